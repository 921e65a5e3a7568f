package org.gridwork.app.me

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.GridworkException
import org.gridwork.core.checkQuietHours
import org.gridwork.core.User
import org.gridwork.core.coreVersion

data class MeUiState(
    val user: User? = null,
    val server: String? = null,
    val quietStart: String = "",
    val quietEnd: String = "",
    val quietSaved: Boolean = false,
    /** Work not yet on the server, counted before forgetting the phone. */
    val unsyncedOperations: ULong = 0u,
    val unsyncedPhotos: UInt = 0u,
    val confirmingForget: Boolean = false,
    val error: UiText? = null,
    val version: String = coreVersion(),
)

/**
 * 我的 Me: who this phone belongs to, quiet hours (the server holds
 * non-critical pushes then), language, and 退出并清除本机 — sign out and
 * forget this phone, after a confirmation that says what unsynced work
 * would be lost.
 */
class MeModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    private val onForgotten: () -> Unit,
) {
    private val _state = MutableStateFlow(MeUiState())
    val state: StateFlow<MeUiState> = _state.asStateFlow()

    init {
        scope.launch {
            try {
                val (user, server, quiet) = session.call { Triple(deviceOwner(), serverUrl(), quietHours()) }
                _state.update { it.copy(user = user, server = server, quietStart = quiet?.start ?: "", quietEnd = quiet?.end ?: "") }
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
    }

    fun onQuietStart(v: String) = _state.update { it.copy(quietStart = v, quietSaved = false, error = null) }
    fun onQuietEnd(v: String) = _state.update { it.copy(quietEnd = v, quietSaved = false, error = null) }

    /** Save quiet hours (both empty: none). The core checks the times. */
    fun saveQuietHours() {
        val s = _state.value
        scope.launch {
            try {
                // The core checks typed times before they cross as times.
                val quiet = if (s.quietStart.isBlank() && s.quietEnd.isBlank()) null else checkQuietHours(s.quietStart, s.quietEnd)
                session.call { setQuietHours(quiet) }
                _state.update { it.copy(quietSaved = true, error = null) }
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
    }

    /** Ask first: count what has not reached the server. */
    fun askForget() {
        scope.launch {
            val (ops, photos) = runCatching {
                session.call { pendingOperations() to uploadQueueStatus().let { it.waiting + it.uploading + it.failed } }
            }.getOrDefault(0uL to 0u)
            _state.update { it.copy(confirmingForget = true, unsyncedOperations = ops, unsyncedPhotos = photos) }
        }
    }

    fun cancelForget() = _state.update { it.copy(confirmingForget = false) }

    fun forget() {
        scope.launch {
            try {
                session.call { forgetThisPhone() }
                _state.update { it.copy(confirmingForget = false) }
                onForgotten()
            } catch (e: GridworkException) {
                _state.update { it.copy(confirmingForget = false, error = UiText.of(e)) }
            }
        }
    }
}
