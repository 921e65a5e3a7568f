package org.gridwork.app.household

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.GridworkException
import org.gridwork.core.HouseholdDetail
import org.gridwork.core.PiiField

/** The reveal dialog: whose number, which one, and the reason typed so far. */
data class RevealDialog(
    val memberId: String,
    val memberName: String,
    val field: PiiField,
    val reason: String = "",
    val busy: Boolean = false,
    val error: UiText? = null,
)

data class HouseholdUiState(
    val code: String,
    val detail: HouseholdDetail? = null,
    /** Whole numbers shown after a recorded reveal, by member and field; gone when the screen closes. */
    val revealed: Map<Pair<String, PiiField>, String> = emptyMap(),
    val dialog: RevealDialog? = null,
    val error: UiText? = null,
)

/**
 * 户 Household: members with ID and phone numbers masked by the core; a
 * whole number only after a reason, which the core records (on the phone,
 * or on the server for people whose phone holds masked copies).
 */
class HouseholdModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    code: String,
) {
    private val _state = MutableStateFlow(HouseholdUiState(code))
    val state: StateFlow<HouseholdUiState> = _state.asStateFlow()

    init {
        refresh()
    }

    fun refresh() {
        scope.launch {
            try {
                val detail = session.call { householdDetail(_state.value.code) }
                _state.update { it.copy(detail = detail, error = null) }
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
    }

    fun askReveal(memberId: String, field: PiiField) {
        val member = _state.value.detail?.members?.firstOrNull { it.id == memberId } ?: return
        _state.update { it.copy(dialog = RevealDialog(memberId, member.name, field)) }
    }

    fun onReason(reason: String) = _state.update { s -> s.copy(dialog = s.dialog?.copy(reason = reason, error = null)) }

    fun cancelReveal() = _state.update { it.copy(dialog = null) }

    fun confirmReveal() {
        val dialog = _state.value.dialog ?: return
        if (dialog.busy) return
        val online = _state.value.detail?.members?.firstOrNull { it.id == dialog.memberId }?.revealOnline ?: false
        _state.update { it.copy(dialog = dialog.copy(busy = true, error = null)) }
        scope.launch {
            try {
                val whole = if (online) {
                    session.store.revealMemberFieldOnline(dialog.memberId, dialog.field, dialog.reason)
                } else {
                    session.call { revealMemberField(dialog.memberId, dialog.field, dialog.reason) }
                }
                _state.update { it.copy(dialog = null, revealed = it.revealed + ((dialog.memberId to dialog.field) to whole)) }
            } catch (e: GridworkException) {
                _state.update { it.copy(dialog = dialog.copy(busy = false, error = UiText.of(e))) }
            }
        }
    }
}
