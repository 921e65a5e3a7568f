package org.gridwork.app.cases

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.app.visit.TakenPhoto
import org.gridwork.core.ActionFields
import org.gridwork.core.ActionInput
import org.gridwork.core.ActionKind
import org.gridwork.core.actionInputs
import org.gridwork.core.caseAction
import org.gridwork.core.CaseAction
import org.gridwork.core.CaseDetail
import org.gridwork.core.Difficulty
import org.gridwork.core.GridworkException
import org.gridwork.core.PhotoInput
import org.gridwork.core.User
import org.gridwork.app.platform.takePhoto

/** The form one action opens: the fields the core asks for ([inputs], in order); the core validates what is typed. */
data class ActionForm(
    val kind: ActionKind,
    val inputs: List<ActionInput> = actionInputs(kind),
    val text: String = "",
    val days: String = "",
    val handlerId: String? = null,
    val difficulty: Difficulty = Difficulty.NORMAL,
    val photos: List<TakenPhoto> = emptyList(),
    val busy: Boolean = false,
    val error: UiText? = null,
)

data class CaseUiState(
    val caseId: String,
    val detail: CaseDetail? = null,
    val form: ActionForm? = null,
    val handlers: List<User> = emptyList(),
    val error: UiText? = null,
    /** The last action taken, for the confirmation line. */
    val done: ActionKind? = null,
)

/**
 * 事件 detail: timeline, photos, the hash-chain verdict, and exactly the
 * actions the core allows this person now, as buttons. Taking one opens a
 * form for what it needs; the core decides and records it offline.
 */
class CaseModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    caseId: String,
) {
    private val _state = MutableStateFlow(CaseUiState(caseId))
    val state: StateFlow<CaseUiState> = _state.asStateFlow()

    init {
        refresh()
    }

    fun refresh() {
        scope.launch {
            try {
                val detail = session.call { caseDetail(_state.value.caseId) }
                _state.update { it.copy(detail = detail, error = null) }
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
    }

    fun open(kind: ActionKind) {
        val pending = _state.value.detail?.case?.pendingExtension
        val days = if (kind == ActionKind.APPROVE_EXTENSION && pending != null) pending.days.toString() else ""
        _state.update { it.copy(form = ActionForm(kind, days = days), done = null) }
        if (ActionInput.HANDLER in actionInputs(kind)) {
            scope.launch {
                val people = runCatching { session.call { handlerChoices(_state.value.caseId) } }.getOrDefault(emptyList())
                _state.update { s -> s.copy(handlers = people, form = s.form?.copy(handlerId = s.form.handlerId ?: people.firstOrNull()?.id)) }
            }
        }
    }

    fun cancel() = _state.update { it.copy(form = null) }
    fun onText(v: String) = _state.update { s -> s.copy(form = s.form?.copy(text = v, error = null)) }
    fun onDays(v: String) = _state.update { s -> s.copy(form = s.form?.copy(days = v.filter(Char::isDigit), error = null)) }
    fun onHandler(id: String) = _state.update { s -> s.copy(form = s.form?.copy(handlerId = id, error = null)) }
    fun onDifficulty(d: Difficulty) = _state.update { s -> s.copy(form = s.form?.copy(difficulty = d)) }

    fun takePhoto() {
        val camera = session.camera ?: return
        scope.launch {
            val file = runCatching { camera.takePhoto() }.getOrNull() ?: return@launch
            val fix = runCatching { session.location.currentFix() }.getOrNull()
            _state.update { s -> s.copy(form = s.form?.copy(photos = s.form.photos + TakenPhoto(null, file, session.now(), fix))) }
        }
    }

    fun submit() {
        val form = _state.value.form ?: return
        if (form.busy) return
        val action = form.toAction()
        _state.update { it.copy(form = form.copy(busy = true, error = null)) }
        scope.launch {
            try {
                val photos = form.photos.map { PhotoInput(null, it.file.absolutePath, "image/jpeg", it.takenAt, it.fix) }
                val detail = session.call { actOnCase(_state.value.caseId, action, photos) }
                _state.update { it.copy(detail = detail, form = null, done = form.kind) }
            } catch (e: GridworkException) {
                _state.update { it.copy(form = form.copy(busy = false, error = UiText.of(e))) }
            }
        }
    }

    /** The form as the core's action (the core builds it; days that are not a number go as none, and the core says why). */
    private fun ActionForm.toAction(): CaseAction = caseAction(
        kind,
        ActionFields(text = text, handlerId = handlerId, days = days.toUIntOrNull(), difficulty = if (ActionInput.DIFFICULTY in inputs) difficulty else null),
    )
}
