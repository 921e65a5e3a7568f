package org.gridwork.app.cases

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import java.time.ZoneId
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.app.today.formatTime
import org.gridwork.core.ActionInput
import org.gridwork.core.Difficulty
import org.gridwork.core.actionLabel
import org.gridwork.core.caseStateLabel
import org.gridwork.core.priorityLabel
import org.gridwork.core.severityLabel

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun CaseScreen(
    state: CaseUiState,
    model: CaseModel,
    canTakePhotos: Boolean,
    onBack: () -> Unit,
    modifier: Modifier = Modifier,
    zone: ZoneId = ZoneId.of("Asia/Shanghai"),
) {
    val s = strings
    val d = state.detail
    LazyColumn(modifier.fillMaxSize().testTag("case.list"), contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Row(verticalAlignment = Alignment.CenterVertically) {
                TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
                Text(d?.case?.title ?: "", style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
            }
        }
        state.error?.let { item { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("case.error")) } }
        if (d == null) return@LazyColumn
        val c = d.case
        item {
            Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text("${pick(caseStateLabel(c.state))} · ${pick(priorityLabel(c.category.priority))} · ${pick(severityLabel(c.severity))}", modifier = Modifier.testTag("case.state"))
                val overdue = (d.countdownSecs ?: 0L) < 0L
                Text(pick(d.countdownLabel), color = if (overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface, modifier = Modifier.testTag("case.countdown"))
                Text(s.reportedBy(d.reporterName, d.handlerName), style = MaterialTheme.typography.bodySmall)
                d.householdName?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                if (c.description.isNotBlank()) Text(c.description)
                c.lastSendBackReason?.let { Text(s.sentBackBecause(it), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("case.sendBackReason")) }
                c.pendingExtension?.let { Text(s.extensionAsked(it.days, it.reason), color = MaterialTheme.colorScheme.primary, modifier = Modifier.testTag("case.extension")) }
                Text(
                    if (d.chainBreak == null) s.chainIntact else s.chainBroken(d.chainBreak!!.seq, pick(d.chainBreak!!.reason)),
                    color = if (d.chainBreak == null) MaterialTheme.colorScheme.secondary else MaterialTheme.colorScheme.error,
                    style = MaterialTheme.typography.bodySmall,
                    modifier = Modifier.testTag("case.chain"),
                )
                Text(s.photosAttached(d.evidence.size), style = MaterialTheme.typography.bodySmall, modifier = Modifier.testTag("case.photos"))
            }
        }
        state.done?.let { done ->
            item { Text(s.actionDone(pick(actionLabel(done))), color = MaterialTheme.colorScheme.primary, modifier = Modifier.testTag("case.done").semantics { liveRegion = LiveRegionMode.Polite }) }
        }
        if (d.allowedActions.isNotEmpty()) {
            item {
                FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    for (kind in d.allowedActions) {
                        OutlinedButton(onClick = { model.open(kind) }, modifier = Modifier.testTag("case.action.${kind.name}")) { Text(pick(actionLabel(kind))) }
                    }
                }
            }
        }
        item { Text(s.timeline, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() }) }
        items(d.timeline, key = { it.seq.toString() }) { e ->
            Column(Modifier.fillMaxWidth().testTag("case.event.${e.seq}")) {
                Text("${formatTime(e.at, zone)} · ${e.actorName} · ${pick(caseStateLabel(e.stateAfter))}", style = MaterialTheme.typography.bodySmall)
                Text(e.summaryZh, fontWeight = FontWeight.Medium)
            }
        }
    }
    state.form?.let { ActionDialog(it, state, model, canTakePhotos) }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun ActionDialog(form: ActionForm, state: CaseUiState, model: CaseModel, canTakePhotos: Boolean) {
    val s = strings
    val inputs = form.inputs
    AlertDialog(
        onDismissRequest = model::cancel,
        title = { Text(pick(actionLabel(form.kind))) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                if (ActionInput.DIFFICULTY in inputs) {
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        for (dif in Difficulty.entries) {
                            FilterChip(selected = form.difficulty == dif, onClick = { model.onDifficulty(dif) }, label = { Text(s.difficulty(dif)) }, modifier = Modifier.testTag("action.difficulty.${dif.name}"))
                        }
                    }
                }
                if (ActionInput.HANDLER in inputs) {
                    Text(s.chooseHandler)
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        for (u in state.handlers) {
                            FilterChip(selected = form.handlerId == u.id, onClick = { model.onHandler(u.id) }, label = { Text(u.name) }, modifier = Modifier.testTag("action.handler.${u.id}"))
                        }
                    }
                }
                if (ActionInput.DAYS in inputs) {
                    OutlinedTextField(form.days, model::onDays, label = { Text(s.extensionDays) }, singleLine = true, keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number), modifier = Modifier.fillMaxWidth().testTag("action.days"))
                }
                val textLabel = when {
                    ActionInput.NOTE in inputs -> s.actionNote
                    ActionInput.REASON in inputs -> s.actionReason
                    ActionInput.MESSAGE in inputs -> s.urgeMessage
                    else -> null
                }
                if (textLabel != null) {
                    OutlinedTextField(form.text, model::onText, label = { Text(textLabel) }, isError = form.error != null, modifier = Modifier.fillMaxWidth().testTag("action.text"))
                }
                if (ActionInput.PHOTOS in inputs) {
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Text(s.afterPhotosTaken(form.photos.size), modifier = Modifier.weight(1f).testTag("action.photos"))
                        if (canTakePhotos) OutlinedButton(onClick = model::takePhoto, modifier = Modifier.testTag("action.camera")) { Text(s.takePhoto) }
                    }
                }
                form.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("action.error")) }
            }
        },
        confirmButton = { Button(onClick = model::submit, enabled = !form.busy, modifier = Modifier.testTag("action.submit")) { Text(pick(actionLabel(form.kind))) } },
        dismissButton = { TextButton(onClick = model::cancel, modifier = Modifier.testTag("action.cancel")) { Text(s.cancel) } },
        modifier = Modifier.testTag("action.dialog"),
    )
}
