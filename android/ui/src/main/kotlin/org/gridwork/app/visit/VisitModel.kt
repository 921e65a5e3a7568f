package org.gridwork.app.visit

import java.io.File
import java.time.Instant
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.Answer
import org.gridwork.core.AnswerValue
import org.gridwork.core.ChecklistTemplate
import org.gridwork.core.GridworkException
import org.gridwork.core.LocationFix
import org.gridwork.core.PhotoInput
import org.gridwork.core.VisitInput
import org.gridwork.core.VisitOutcome

/** A photo taken for an item (or for the visit as a whole when [itemCode] is null). */
data class TakenPhoto(val itemCode: String?, val file: File, val takenAt: Instant, val fix: LocationFix?)

data class VisitUiState(
    val householdCode: String,
    val householdName: String = "",
    val template: ChecklistTemplate? = null,
    val answers: Map<String, AnswerValue> = emptyMap(),
    /** Number answers as typed, so a half-typed "3." is not lost. */
    val numberText: Map<String, String> = emptyMap(),
    val photos: List<TakenPhoto> = emptyList(),
    val notes: String = "",
    val fix: LocationFix? = null,
    val locating: Boolean = false,
    val saving: Boolean = false,
    /** The core's refusal, and the item it names. */
    val error: UiText? = null,
    val errorItem: String? = null,
    /** Recorded: the verdict and the hazards found, each a pre-filled case. */
    val saved: VisitOutcome? = null,
)

/**
 * 走访 Visit: the household's checklist from the core, answered here;
 * the core checks required answers and types, judges the location and
 * finds hazards when the visit is recorded (offline, in the phone's
 * store, before the screen says "saved").
 */
class VisitModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    householdCode: String,
) : VisitActions {
    private val _state = MutableStateFlow(VisitUiState(householdCode))
    val state: StateFlow<VisitUiState> = _state.asStateFlow()

    init {
        scope.launch {
            try {
                val (name, template) = session.call { householdDetail(householdCode).household.name to checklistFor(householdCode) }
                _state.update { it.copy(householdName = name, template = template) }
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
        locate()
    }

    /** Ask the platform for a fix (again); the visit never waits for one. */
    override fun locate() {
        _state.update { it.copy(locating = true) }
        scope.launch {
            val fix = runCatching { session.location.currentFix() }.getOrNull()
            _state.update { it.copy(fix = fix ?: it.fix, locating = false) }
        }
    }

    override fun answer(itemCode: String, value: AnswerValue?) {
        _state.update {
            it.copy(
            answers = if (value == null) it.answers - itemCode else it.answers + (itemCode to value),
            error = if (it.errorItem == itemCode) null else it.error,
                errorItem = if (it.errorItem == itemCode) null else it.errorItem,
            )
        }
    }

    /** A number as typed; the answer is the number it reads as (none while it reads as none). */
    override fun answerNumber(itemCode: String, text: String) {
        _state.update { it.copy(numberText = it.numberText + (itemCode to text)) }
        answer(itemCode, text.trim().toDoubleOrNull()?.let { AnswerValue.Number(it) })
    }

    override fun toggleChoice(itemCode: String, option: String) {
        val current = (_state.value.answers[itemCode] as? AnswerValue.Choices)?.v1 ?: emptyList()
        val next = if (option in current) current - option else current + option
        answer(itemCode, if (next.isEmpty()) null else AnswerValue.Choices(next))
    }

    override fun onNotes(notes: String) {
        _state.update { it.copy(notes = notes) }
    }

    /** Take a photo for [itemCode] with the platform camera. */
    override fun takePhoto(itemCode: String?) {
        val camera = session.camera ?: return
        scope.launch {
            val file = runCatching { camera.takePhoto() }.getOrNull() ?: return@launch
            val s = _state.value
            _state.update { it.copy(photos = it.photos + TakenPhoto(itemCode, file, session.now(), s.fix)) }
        }
    }

    /** Drop the photos taken for [itemCode] (to take them again). */
    override fun clearPhotos(itemCode: String?) {
        _state.update { s -> s.copy(photos = s.photos.filterNot { it.itemCode == itemCode }, error = null, errorItem = null) }
    }

    /** Record the visit in the phone's store. On refusal nothing is saved and the item is named. */
    override fun save() {
        val s = _state.value
        val template = s.template ?: return
        if (s.saving || s.saved != null) return
        _state.update { it.copy(saving = true, error = null, errorItem = null) }
        scope.launch {
            val input = VisitInput(
                householdCode = s.householdCode,
                patrolId = null,
                templateId = template.id,
                templateVersion = template.version,
                answers = s.answers.map { (code, value) -> Answer(code, value) },
                notes = s.notes,
                fix = s.fix,
                photos = s.photos.map { PhotoInput(it.itemCode, it.file.absolutePath, "image/jpeg", it.takenAt, it.fix) },
            )
            try {
                val outcome = session.call { recordVisit(input) }
                _state.update { it.copy(saving = false, saved = outcome) }
            } catch (e: GridworkException) {
                val item = (e as? GridworkException.Invalid)?.field
                _state.update { it.copy(saving = false, error = UiText.of(e), errorItem = item) }
            }
        }
    }
}
