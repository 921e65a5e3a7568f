package org.gridwork.app.report

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.CaseCategory
import org.gridwork.core.CaseDraft
import org.gridwork.core.caseDraftFor
import org.gridwork.core.GridworkException
import org.gridwork.core.Priority

data class CategoryUiState(
    val gridCode: String,
    /** The core's categories by priority, in its order; empty while loading. */
    val byPriority: List<Pair<Priority, List<CaseCategory>>> = emptyList(),
    /** The priority whose categories are listed (the first until one is picked). */
    val selected: Priority? = null,
    val loading: Boolean = true,
    val error: UiText? = null,
)

/**
 * 上报事件 without a visit: pick what the case is about from the core's
 * categories (the checklists' hazards per priority, and "other"); the
 * report form then opens pre-filled with it, for this grid.
 */
class CategoryModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    gridCode: String,
    private val onChosen: (CaseDraft) -> Unit,
) {
    private val _state = MutableStateFlow(CategoryUiState(gridCode))
    val state: StateFlow<CategoryUiState> = _state.asStateFlow()

    init {
        scope.launch {
            try {
                val categories = session.call { caseCategories() }
                val grouped = categories.groupBy { it.priority }.toList()
                _state.update { it.copy(byPriority = grouped, selected = grouped.firstOrNull()?.first, loading = false) }
            } catch (e: GridworkException) {
                _state.update { it.copy(loading = false, error = UiText.of(e)) }
            }
        }
    }

    fun select(priority: Priority) = _state.update { it.copy(selected = priority) }

    /** The draft the report form starts from (the core's); the person writes what they saw. */
    fun choose(category: CaseCategory) {
        onChosen(caseDraftFor(category, _state.value.gridCode))
    }
}
