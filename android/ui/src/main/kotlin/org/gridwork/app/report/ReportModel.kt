package org.gridwork.app.report

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.app.visit.TakenPhoto
import org.gridwork.core.CaseDetail
import org.gridwork.core.CaseDraft
import org.gridwork.core.GridworkException
import org.gridwork.core.OnSpotResolution
import org.gridwork.core.PhotoInput
import org.gridwork.core.Severity
import org.gridwork.app.platform.takePhoto

data class ReportUiState(
    val draft: CaseDraft,
    val title: String = draft.title,
    val description: String = draft.description,
    val severity: Severity = draft.severity,
    val photos: List<TakenPhoto> = emptyList(),
    /** 就地解决: the worker fixed it already; after-photos and a note go with the report. */
    val resolveOnSpot: Boolean = false,
    val onSpotNote: String = "",
    val afterPhotos: List<TakenPhoto> = emptyList(),
    val saving: Boolean = false,
    val error: UiText? = null,
    val errorField: String? = null,
    /** Reported: the case as the core now shows it. */
    val reported: CaseDetail? = null,
)

/**
 * 上报 Report a case from a draft (a hazard found on a visit pre-fills it),
 * optionally 就地解决 resolved on the spot with after-photos. The core
 * validates and records it in the phone's store; the secretary confirms.
 */
class ReportModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    draft: CaseDraft,
) {
    private val _state = MutableStateFlow(ReportUiState(draft))
    val state: StateFlow<ReportUiState> = _state.asStateFlow()

    fun onTitle(v: String) = _state.update { it.copy(title = v, error = null, errorField = null) }
    fun onDescription(v: String) = _state.update { it.copy(description = v, error = null, errorField = null) }
    fun onSeverity(v: Severity) = _state.update { it.copy(severity = v) }
    fun onResolveOnSpot(v: Boolean) = _state.update { it.copy(resolveOnSpot = v) }
    fun onOnSpotNote(v: String) = _state.update { it.copy(onSpotNote = v, error = null, errorField = null) }

    /** A photo of the problem ([after] false) or of it fixed ([after] true). */
    fun takePhoto(after: Boolean) {
        val camera = session.camera ?: return
        scope.launch {
            val file = runCatching { camera.takePhoto() }.getOrNull() ?: return@launch
            val fix = runCatching { session.location.currentFix() }.getOrNull()
            val photo = TakenPhoto(null, file, session.now(), fix)
            _state.update { if (after) it.copy(afterPhotos = it.afterPhotos + photo) else it.copy(photos = it.photos + photo) }
        }
    }

    fun report() {
        val s = _state.value
        if (s.saving || s.reported != null) return
        _state.update { it.copy(saving = true, error = null, errorField = null) }
        scope.launch {
            val draft = s.draft.copy(title = s.title, description = s.description, severity = s.severity)
            val onSpot = if (s.resolveOnSpot) OnSpotResolution(s.onSpotNote, s.afterPhotos.map { it.input() }) else null
            try {
                val detail = session.call { reportCase(draft, s.photos.map { it.input() }, onSpot) }
                _state.update { it.copy(saving = false, reported = detail) }
            } catch (e: GridworkException) {
                _state.update { it.copy(saving = false, error = UiText.of(e), errorField = (e as? GridworkException.Invalid)?.field) }
            }
        }
    }

    private fun TakenPhoto.input() = PhotoInput(itemCode, file.absolutePath, "image/jpeg", takenAt, fix)
}
