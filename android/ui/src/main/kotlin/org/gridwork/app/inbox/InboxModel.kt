package org.gridwork.app.inbox

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.GridworkException
import org.gridwork.core.InboxEntry

data class InboxUiState(
    val items: List<InboxEntry> = emptyList(),
    val unread: UInt = 0u,
    val loading: Boolean = true,
    val error: UiText? = null,
)

/**
 * 消息 Inbox: escalations and notices the server sent this person, newest
 * first, unread marked. Opening one marks it read (the mark syncs) and
 * opens its case, as a notification tap does.
 */
class InboxModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow(InboxUiState())
    val state: StateFlow<InboxUiState> = _state.asStateFlow()

    init {
        refresh()
    }

    fun refresh() {
        scope.launch {
            try {
                val page = session.call { inbox(false, 0u, PAGE) }
                _state.update { it.copy(items = page.items, unread = page.unread, loading = false, error = null) }
            } catch (e: GridworkException) {
                _state.update { it.copy(loading = false, error = UiText.of(e)) }
            }
        }
    }

    /** Mark [itemId] read, then hand its case to [open]. */
    fun open(itemId: String, open: (caseId: String) -> Unit) {
        scope.launch {
            try {
                val entry = session.call { markInboxRead(itemId) }
                refresh()
                open(entry.caseId)
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
    }

    companion object {
        const val PAGE: UInt = 100u
    }
}
