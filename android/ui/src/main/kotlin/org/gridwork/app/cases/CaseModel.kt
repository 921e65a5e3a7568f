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
import org.gridwork.core.ActionKind
import org.gridwork.core.CaseAction
import org.gridwork.core.CaseDetail
import org.gridwork.core.Difficulty
import org.gridwork.core.GridworkException
import org.gridwork.core.PhotoInput
import org.gridwork.core.User
import org.gridwork.app.platform.takePhoto

/** What an action needs from the person before it can be taken. */
enum class ActionInput { NONE, NOTE, REASON, MESSAGE, DAYS, REASON_AND_DAYS, HANDLER, REASON_AND_HANDLER, NOTE_AND_PHOTOS, DIFFICULTY_AND_NOTE }

/** The form one action opens; the core validates what is typed. */
data class ActionForm(
    val kind: ActionKind,
    val text: String = "",
    val days: String = "",
    val handlerId: String? = null,
    val difficulty: Difficulty = Difficulty.NORMAL,
    val photos: List<TakenPhoto> = emptyList(),
    val busy: Boolean = false,
    val error: UiText? = null,
) {
    val input: ActionInput get() = inputFor(kind)
}

fun inputFor(kind: ActionKind): ActionInput = when (kind) {
    ActionKind.ACCEPT -> ActionInput.NONE
    ActionKind.FILE -> ActionInput.DIFFICULTY_AND_NOTE
    ActionKind.CONFIRM, ActionKind.CLOSE -> ActionInput.NOTE
    ActionKind.DISMISS, ActionKind.SEND_BACK, ActionKind.REJECT_EXTENSION, ActionKind.ESCALATE, ActionKind.TAKE_OVER -> ActionInput.REASON
    ActionKind.URGE -> ActionInput.MESSAGE
    ActionKind.APPROVE_EXTENSION -> ActionInput.DAYS
    ActionKind.REQUEST_EXTENSION -> ActionInput.REASON_AND_DAYS
    ActionKind.DISPATCH -> ActionInput.HANDLER
    ActionKind.REASSIGN -> ActionInput.REASON_AND_HANDLER
    ActionKind.RESOLVE, ActionKind.RESOLVE_ON_SPOT -> ActionInput.NOTE_AND_PHOTOS
}

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
        val input = inputFor(kind)
        if (input == ActionInput.HANDLER || input == ActionInput.REASON_AND_HANDLER) {
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

    /** The form as the core's action. Days that are not a number go as 0 (the core says why). */
    private fun ActionForm.toAction(): CaseAction {
        val d = days.toUIntOrNull() ?: 0u
        val handler = handlerId.orEmpty()
        return when (kind) {
            ActionKind.FILE -> CaseAction.File(difficulty, text)
            ActionKind.DISMISS -> CaseAction.Dismiss(text)
            ActionKind.DISPATCH -> CaseAction.Dispatch(handler)
            ActionKind.ACCEPT -> CaseAction.Accept
            ActionKind.RESOLVE -> CaseAction.Resolve(text, emptyList())
            ActionKind.RESOLVE_ON_SPOT -> CaseAction.ResolveOnSpot(text, emptyList())
            ActionKind.CONFIRM -> CaseAction.Confirm(text)
            ActionKind.SEND_BACK -> CaseAction.SendBack(text)
            ActionKind.CLOSE -> CaseAction.Close(text)
            ActionKind.REASSIGN -> CaseAction.Reassign(handler, text)
            ActionKind.REQUEST_EXTENSION -> CaseAction.RequestExtension(d, text)
            ActionKind.APPROVE_EXTENSION -> CaseAction.ApproveExtension(d)
            ActionKind.REJECT_EXTENSION -> CaseAction.RejectExtension(text)
            ActionKind.ESCALATE -> CaseAction.Escalate(text)
            ActionKind.URGE -> CaseAction.Urge(text)
            ActionKind.TAKE_OVER -> CaseAction.TakeOver(text)
        }
    }
}
