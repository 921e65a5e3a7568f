package org.gridwork.app.cases

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.CaseRow
import org.gridwork.core.CaseScope
import org.gridwork.core.GridworkException
import org.gridwork.core.homeCaseScope

data class CasesUiState(
    val scope: CaseScope? = null,
    val openOnly: Boolean = true,
    val rows: List<CaseRow> = emptyList(),
    val loading: Boolean = true,
    val error: UiText? = null,
)

/**
 * 事件 Cases: the list the core gives for a scope (mine, my jurisdiction,
 * escalated to me), most urgent first. The scope starts where the person's
 * work is: a worker's own cases, a secretary's village, a supervisor's
 * escalations.
 */
class CasesModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow(CasesUiState())
    val state: StateFlow<CasesUiState> = _state.asStateFlow()

    init {
        scope.launch {
            val role = runCatching { session.call { deviceOwner()?.role } }.getOrNull()
            val start = role?.let(::homeCaseScope) ?: CaseScope.MINE
            _state.update { it.copy(scope = start) }
            load()
        }
    }

    fun onScope(scope: CaseScope) {
        _state.update { it.copy(scope = scope) }
        refresh()
    }

    fun onOpenOnly(openOnly: Boolean) {
        _state.update { it.copy(openOnly = openOnly) }
        refresh()
    }

    fun refresh() {
        scope.launch { load() }
    }

    private suspend fun load() {
        val s = _state.value
        val caseScope = s.scope ?: return
        _state.update { it.copy(loading = true) }
        try {
            val rows = session.call { cases(caseScope, s.openOnly, 0u, LIMIT) }
            _state.update { it.copy(rows = rows, loading = false, error = null) }
        } catch (e: GridworkException) {
            _state.update { it.copy(loading = false, error = UiText.of(e)) }
        }
    }

    companion object {
        const val LIMIT: UInt = 200u
    }
}
