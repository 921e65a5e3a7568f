package org.gridwork.app.report

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.core.Severity
import org.gridwork.core.priorityLabel
import org.gridwork.core.severityLabel

@Composable
fun ReportScreen(
    state: ReportUiState,
    model: ReportModel,
    canTakePhotos: Boolean,
    onBack: () -> Unit,
    modifier: Modifier = Modifier,
) {
    val s = strings
    Column(modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
            Text(s.reportTitle, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        }
        val reported = state.reported
        if (reported != null) {
            Text(s.caseReported, style = MaterialTheme.typography.titleMedium, modifier = Modifier.testTag("report.done").semantics { liveRegion = LiveRegionMode.Polite })
            Text(reported.case.title)
            Text(pick(reported.countdownLabel), modifier = Modifier.testTag("report.countdown"))
            Text(s.photosAttached(reported.evidence.size), modifier = Modifier.testTag("report.evidence"))
            Button(onClick = onBack, modifier = Modifier.fillMaxWidth().testTag("report.close")) { Text(s.done) }
            return@Column
        }
        Text(pick(priorityLabel(state.draft.category.priority)), color = MaterialTheme.colorScheme.primary)
        OutlinedTextField(state.title, model::onTitle, label = { Text(s.caseTitle) }, isError = state.errorField == "title", modifier = Modifier.fillMaxWidth().testTag("report.title"))
        OutlinedTextField(state.description, model::onDescription, label = { Text(s.caseDescription) }, isError = state.errorField == "description", modifier = Modifier.fillMaxWidth().testTag("report.description"))
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            for (sev in Severity.entries) {
                FilterChip(selected = state.severity == sev, onClick = { model.onSeverity(sev) }, label = { Text(pick(severityLabel(sev))) }, modifier = Modifier.testTag("report.severity.${sev.name}"))
            }
        }
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(s.photosTaken(state.photos.size), modifier = Modifier.weight(1f).testTag("report.photos"))
            if (canTakePhotos) OutlinedButton(onClick = { model.takePhoto(after = false) }, modifier = Modifier.testTag("report.camera")) { Text(s.takePhoto) }
        }
        Row(verticalAlignment = Alignment.CenterVertically) {
            Text(s.resolveOnSpot, modifier = Modifier.weight(1f))
            Switch(
                checked = state.resolveOnSpot,
                onCheckedChange = model::onResolveOnSpot,
                modifier = Modifier.testTag("report.onSpot").semantics { contentDescription = s.resolveOnSpot },
            )
        }
        if (state.resolveOnSpot) {
            OutlinedTextField(state.onSpotNote, model::onOnSpotNote, label = { Text(s.onSpotNote) }, modifier = Modifier.fillMaxWidth().testTag("report.onSpotNote"))
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(s.afterPhotosTaken(state.afterPhotos.size), modifier = Modifier.weight(1f).testTag("report.afterPhotos"))
                if (canTakePhotos) OutlinedButton(onClick = { model.takePhoto(after = true) }, modifier = Modifier.testTag("report.afterCamera")) { Text(s.takePhoto) }
            }
        }
        state.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("report.error").semantics { liveRegion = LiveRegionMode.Assertive }) }
        Button(onClick = model::report, enabled = !state.saving, modifier = Modifier.fillMaxWidth().testTag("report.submit")) { Text(if (state.saving) s.saving else s.submitReport) }
    }
}
