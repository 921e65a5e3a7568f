package org.gridwork.app.enrol

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.GridworkException
import org.gridwork.core.SyncListener
import org.gridwork.core.SyncProgress
import org.gridwork.core.User
import org.gridwork.core.parseActivationQr

/** Which input an error belongs to, for highlighting it. */
enum class EnrolField { SERVER, CODE }

/** Where enrolment stands. */
sealed interface EnrolStep {
    /** Filling in the form (again, after an error). */
    data object Form : EnrolStep

    /** Exchanging the code for this phone's credential. */
    data object Activating : EnrolStep

    /** The first pull: records and bytes so far (null before the first page). */
    data class Pulling(val user: User, val progress: SyncProgress?) : EnrolStep

    /** Enrolled and synced: the app moves on to Today. */
    data class Done(val user: User) : EnrolStep
}

data class EnrolUiState(
    val serverUrl: String = "",
    val code: String = "",
    val step: EnrolStep = EnrolStep.Form,
    val error: UiText? = null,
    val errorField: EnrolField? = null,
)

/**
 * 激活 Enrol: server address and activation code → the core's activate →
 * the first sync with progress. The core checks the code; this only keeps
 * the form and turns the core's answer into a state.
 */
class EnrolModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    serverUrl: String = "",
) {
    private val _state = MutableStateFlow(EnrolUiState(serverUrl = serverUrl))
    val state: StateFlow<EnrolUiState> = _state.asStateFlow()

    fun onServerUrl(value: String) = _state.update { it.copy(serverUrl = value.trim(), error = null, errorField = null) }

    fun onCode(value: String) = _state.update { it.copy(code = value.uppercase(), error = null, errorField = null) }

    /**
     * A scanned QR code: the core reads it (`parseActivationQr`) and fills
     * in the server (when it carries one) and the code; anything that is not
     * an activation code is shown as the core's reason, nothing changed.
     * The person still taps 激活 to enrol: a stray scan never enrols.
     */
    fun onScanned(text: String) {
        val link = try {
            parseActivationQr(text)
        } catch (e: GridworkException) {
            return fail(UiText.of(e), EnrolField.CODE)
        }
        link.serverUrl?.let(::onServerUrl)
        onCode(link.code)
    }

    fun enrol() {
        val s = _state.value
        if (s.step != EnrolStep.Form) return
        when {
            s.serverUrl.isBlank() -> return fail(UiText.App { it.missingServer }, EnrolField.SERVER)
            s.code.isBlank() -> return fail(UiText.App { it.missingCode }, EnrolField.CODE)
        }
        _state.update { it.copy(step = EnrolStep.Activating, error = null, errorField = null) }
        scope.launch {
            val user = try {
                session.store.activate(s.serverUrl.trimEnd('/'), s.code, session.deviceName)
            } catch (e: GridworkException) {
                return@launch fail(UiText.of(e), fieldOf(e))
            }
            session.call { signIn(user.id) }
            pull(user)
        }
    }

    /** The first pull again, after it failed (the phone stays enrolled). */
    fun retryPull() {
        val step = _state.value.step
        if (step is EnrolStep.Pulling && _state.value.error != null) scope.launch { pull(step.user) }
    }

    private suspend fun pull(user: User) {
        _state.update { it.copy(step = EnrolStep.Pulling(user, null), error = null) }
        val listener = object : SyncListener {
            override fun onProgress(progress: SyncProgress) {
                _state.update { it.copy(step = EnrolStep.Pulling(user, progress)) }
            }
        }
        try {
            session.store.sync(listener)
            _state.update { it.copy(step = EnrolStep.Done(user)) }
        } catch (e: GridworkException) {
            _state.update { it.copy(error = UiText.of(e)) }
        }
    }

    private fun fail(message: UiText, field: EnrolField?) =
        _state.update { it.copy(step = EnrolStep.Form, error = message, errorField = field) }

    private fun fieldOf(e: GridworkException): EnrolField? = when {
        e is GridworkException.Network -> EnrolField.SERVER
        e is GridworkException.Invalid && e.field.contains("url") -> EnrolField.SERVER
        e is GridworkException.Invalid -> EnrolField.CODE
        else -> null
    }
}
