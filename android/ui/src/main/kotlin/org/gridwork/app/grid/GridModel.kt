package org.gridwork.app.grid

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.CoordSystem
import org.gridwork.core.GridMap
import org.gridwork.core.GridworkException
import org.gridwork.core.HouseholdFilter
import org.gridwork.core.HouseholdRow

enum class GridView { LIST, MAP }

data class GridUiState(
    val gridCode: String,
    val title: String = "",
    val query: String = "",
    val dueOnly: Boolean = false,
    /** The rows loaded so far, due first (the core's order). */
    val rows: List<HouseholdRow> = emptyList(),
    /** How many match the search and filter in all. */
    val total: UInt = 0u,
    val loading: Boolean = true,
    val view: GridView = GridView.LIST,
    val map: GridMap? = null,
    val error: UiText? = null,
) {
    val endReached: Boolean get() = !loading && rows.size.toUInt() >= total
}

/**
 * 网格 Grid: the households and places of one grid, searched and filtered
 * by the core and loaded a page at a time as the list scrolls (smooth with
 * thousands); the map of the boundary and places.
 */
class GridModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    gridCode: String,
    /** The coordinates of the map's tile source; without tiles, WGS-84 as stored. */
    private val mapSystem: CoordSystem = CoordSystem.WGS84,
) {
    private val _state = MutableStateFlow(GridUiState(gridCode))
    val state: StateFlow<GridUiState> = _state.asStateFlow()
    private var search: Job? = null

    init {
        scope.launch {
            val title = runCatching { session.call { myGrids() }.firstOrNull { it.code == gridCode }?.name }.getOrNull()
            _state.update { it.copy(title = title ?: gridCode) }
        }
        reload(debounceMs = 0)
    }

    fun onQuery(query: String) {
        _state.update { it.copy(query = query) }
        reload(debounceMs = SEARCH_DEBOUNCE_MS)
    }

    fun onDueOnly(dueOnly: Boolean) {
        _state.update { it.copy(dueOnly = dueOnly) }
        reload(debounceMs = 0)
    }

    /** The list shows rows up to [lastVisible]: near the end, the next page. */
    fun onScrolledTo(lastVisible: Int) {
        if (lastVisible >= _state.value.rows.size - PREFETCH) loadMore()
    }

    private fun loadMore() {
        val s = _state.value
        if (s.loading || s.endReached) return
        _state.update { it.copy(loading = true) }
        search = scope.launch { load(offset = s.rows.size.toUInt(), replace = false) }
    }

    fun show(view: GridView) {
        _state.update { it.copy(view = view) }
        if (view == GridView.MAP && _state.value.map == null) {
            scope.launch {
                try {
                    val map = session.call { gridMap(_state.value.gridCode, mapSystem) }
                    _state.update { it.copy(map = map) }
                } catch (e: GridworkException) {
                    _state.update { it.copy(error = UiText.of(e)) }
                }
            }
        }
    }

    private fun reload(debounceMs: Long) {
        search?.cancel()
        _state.update { it.copy(loading = true) }
        search = scope.launch {
            // Typing a name: wait for a pause before asking the store.
            if (debounceMs > 0) delay(debounceMs)
            load(offset = 0u, replace = true)
        }
    }

    private suspend fun load(offset: UInt, replace: Boolean) {
        val s = _state.value
        val filter = HouseholdFilter(query = s.query.trim().ifEmpty { null }, tag = null, kind = null, dueOnly = s.dueOnly)
        try {
            val page = session.call { households(s.gridCode, filter, offset, PAGE_SIZE) }
            _state.update {
                it.copy(rows = if (replace) page.rows else it.rows + page.rows, total = page.total, loading = false, error = null)
            }
        } catch (e: GridworkException) {
            _state.update { it.copy(loading = false, error = UiText.of(e)) }
        }
    }

    companion object {
        const val PAGE_SIZE: UInt = 50u
        const val SEARCH_DEBOUNCE_MS = 250L

        /** Fetch the next page when this few loaded rows are left below the screen. */
        const val PREFETCH = 10
    }
}
