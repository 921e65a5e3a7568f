package org.gridwork.app.today

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.GridworkException
import org.gridwork.core.TodayScreen

/** What the Today screen shows. */
sealed interface TodayUiState {
    data object Loading : TodayUiState

    data class Ready(
        val userName: String,
        val today: TodayScreen,
        val syncing: Boolean = false,
        /** Why the last sync or patrol action failed; work stays saved on the phone. */
        val message: UiText? = null,
    ) : TodayUiState

    data class Failed(val message: UiText) : TodayUiState
}

/**
 * 今日 Today: one core call draws the screen (grids and what is due, my
 * open cases by countdown, what waits to sync); sync and the patrol button
 * call the core and draw again.
 */
class TodayModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow<TodayUiState>(TodayUiState.Loading)
    val state: StateFlow<TodayUiState> = _state.asStateFlow()

    /** Draw the screen again from the store. */
    fun refresh() {
        scope.launch { load() }
    }

    fun sync() {
        val ready = _state.value as? TodayUiState.Ready ?: return
        if (ready.syncing) return
        _state.value = ready.copy(syncing = true, message = null)
        scope.launch {
            val failure = try {
                // Operations first (the photos' records travel with them),
                // then the photos the network policy lets go now.
                session.store.sync(null)
                session.store.uploadEvidence(null, null)
                null
            } catch (e: GridworkException) {
                UiText.of(e)
            }
            load(message = failure)
        }
    }

    /** Start a patrol over [gridCode], or end the one under way. */
    fun togglePatrol(gridCode: String) {
        val ready = _state.value as? TodayUiState.Ready ?: return
        scope.launch {
            val failure = try {
                val open = ready.today.openPatrol
                session.call { if (open == null) startPatrol(gridCode, null) else endPatrol(open.id) }
                null
            } catch (e: GridworkException) {
                UiText.of(e)
            }
            load(message = failure)
        }
    }

    private suspend fun load(message: UiText? = null) {
        _state.value = try {
            val (name, today) = session.call {
                val id = signedInUser() ?: throw GridworkException.NotPermitted("未登录 / not signed in")
                signIn(id).name to today(session.today().toString())
            }
            TodayUiState.Ready(name, today, syncing = false, message = message)
        } catch (e: GridworkException) {
            TodayUiState.Failed(UiText.of(e))
        }
    }
}
