package org.gridwork.app.visit

import java.io.File
import java.time.Instant
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
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
    /** Answers and photos came back from an unfinished visit (the app had been closed or killed). */
    val restored: Boolean = false,
)

/**
 * 走访 Visit: the household's checklist from the core, answered here;
 * the core checks required answers and types, judges the location and
 * finds hazards when the visit is recorded (offline, in the phone's
 * store, before the screen says "saved").
 *
 * Every change is kept as the core's draft of this visit (shortly after
 * it, and at once before the camera opens, with the photo's file named),
 * so an app killed while the camera app is open loses nothing: Today
 * lists the unfinished visit and reopening it brings everything back.
 */
class VisitModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    householdCode: String,
) : VisitActions {
    private val _state = MutableStateFlow(VisitUiState(householdCode))
    val state: StateFlow<VisitUiState> = _state.asStateFlow()

    /** The draft save waiting to run (debounced) or running. */
    private var draftSave: Job? = null

    init {
        scope.launch {
            try {
                val (name, template, draft) = session.call {
                    Triple(householdDetail(householdCode).household.name, checklistFor(householdCode), visitDraft(householdCode))
                }
                _state.update { it.copy(householdName = name, template = template) }
                // The core offers a draft only while its checklist version is current.
                if (draft != null) restore(draft)
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
        locate()
    }

    private fun restore(draft: VisitInput) {
        _state.update { s ->
            s.copy(
                answers = draft.answers.associate { it.itemCode to it.value },
                numberText = draft.answers.mapNotNull { a -> (a.value as? AnswerValue.Number)?.let { a.itemCode to formatNumber(it.v1) } }.toMap(),
                notes = draft.notes,
                photos = draft.photos.map { TakenPhoto(it.itemCode, File(it.path), it.takenAt, it.fix) },
                fix = s.fix ?: draft.fix,
                restored = draft.answers.isNotEmpty() || draft.photos.isNotEmpty() || draft.notes.isNotEmpty(),
            )
        }
    }

    /** Start over: the draft and its photos are dropped. */
    override fun startOver() {
        val photos = _state.value.photos
        scope.launch {
            draftSave?.cancelAndJoin()
            try {
                session.call { discardVisitDraft(_state.value.householdCode) }
                photos.forEach { it.file.delete() }
                _state.update { it.copy(answers = emptyMap(), numberText = emptyMap(), notes = "", photos = emptyList(), restored = false, error = null, errorItem = null) }
            } catch (e: GridworkException) {
                _state.update { it.copy(error = UiText.of(e)) }
            }
        }
    }

    /**
     * The screen is closing: keep the visit as it stands now (the shortly-after
     * save would be cancelled with the screen). Run it outside the screen's scope.
     */
    suspend fun keepDraftNow() {
        draftSave?.cancelAndJoin()
        writeDraft(_state.value)
    }

    /** Keep the visit as it stands, shortly (typing does not write on every key). */
    private fun keepDraft(soon: Long = 400) {
        val previous = draftSave
        draftSave = scope.launch {
            previous?.cancelAndJoin()
            delay(soon)
            writeDraft(_state.value)
        }
    }

    private suspend fun writeDraft(s: VisitUiState) {
        val template = s.template ?: return
        if (s.saving || s.saved != null) return
        // Best effort: a draft the core refuses (notes over the limit) leaves the last one kept,
        // and saving the visit names the problem.
        runCatching { session.call { saveVisitDraft(s.toInput(template)) } }
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
        setAnswer(itemCode, value)
        keepDraft()
    }

    private fun setAnswer(itemCode: String, value: AnswerValue?) {
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
        keepDraft()
    }

    /**
     * Take a photo for [itemCode] with the platform camera. The photo's file
     * is in the draft before the camera opens: if the camera app gets this
     * app killed, the photo is found when the visit is reopened (the core
     * leaves out a file the camera never wrote).
     */
    override fun takePhoto(itemCode: String?) {
        val camera = session.camera ?: return
        scope.launch {
            val taken = TakenPhoto(itemCode, camera.newPhotoFile(), session.now(), _state.value.fix)
            draftSave?.cancelAndJoin()
            writeDraft(_state.value.let { it.copy(photos = it.photos + taken) })
            val ok = try {
                camera.takePhoto(taken.file)
            } catch (e: CancellationException) {
                // The screen went away with the camera open: keep the file, the draft names it.
                throw e
            } catch (e: Exception) {
                false
            }
            if (ok) {
                _state.update { it.copy(photos = it.photos + taken) }
            } else {
                taken.file.delete()
            }
            keepDraft(soon = 0)
        }
    }

    /** Drop the photos taken for [itemCode] (to take them again). */
    override fun clearPhotos(itemCode: String?) {
        _state.update { s -> s.copy(photos = s.photos.filterNot { it.itemCode == itemCode }, error = null, errorItem = null) }
        keepDraft(soon = 0)
    }

    /** Record the visit in the phone's store. On refusal nothing is saved and the item is named. */
    override fun save() {
        val s = _state.value
        val template = s.template ?: return
        if (s.saving || s.saved != null) return
        _state.update { it.copy(saving = true, error = null, errorItem = null) }
        scope.launch {
            // No draft write may land after the visit is recorded (it would bring the draft back).
            draftSave?.cancelAndJoin()
            val input = s.toInput(template)
            try {
                // Recording the visit drops its draft in the same transaction.
                val outcome = session.call { recordVisit(input) }
                _state.update { it.copy(saving = false, saved = outcome) }
            } catch (e: GridworkException) {
                val item = (e as? GridworkException.Invalid)?.field
                _state.update { it.copy(saving = false, error = UiText.of(e), errorItem = item) }
            }
        }
    }
}

/** The visit as the core takes it (to record, or to keep as a draft). */
private fun VisitUiState.toInput(template: ChecklistTemplate) = VisitInput(
    householdCode = householdCode,
    patrolId = null,
    templateId = template.id,
    templateVersion = template.version,
    answers = answers.map { (code, value) -> Answer(code, value) },
    notes = notes,
    fix = fix,
    photos = photos.map { PhotoInput(it.itemCode, it.file.absolutePath, "image/jpeg", it.takenAt, it.fix) },
)

/** "3" rather than "3.0" when a kept number is shown again. */
private fun formatNumber(v: Double): String = if (v % 1.0 == 0.0 && kotlin.math.abs(v) < 1e15) v.toLong().toString() else v.toString()
