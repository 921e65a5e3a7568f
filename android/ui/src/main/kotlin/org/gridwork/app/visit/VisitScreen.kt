package org.gridwork.app.visit

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
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
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
import org.gridwork.app.i18n.Language
import org.gridwork.app.i18n.LocalLanguage
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.core.AnswerValue
import org.gridwork.core.CaseDraft
import org.gridwork.core.GeofenceStatus
import org.gridwork.core.Item
import org.gridwork.core.ItemKind
import org.gridwork.core.VisitOutcome
import org.gridwork.core.geofenceLabel
import org.gridwork.core.priorityLabel
import org.gridwork.core.severityLabel

/** What the Visit screen can ask of its model. */
interface VisitActions {
    fun answer(itemCode: String, value: AnswerValue?)
    fun answerNumber(itemCode: String, text: String)
    fun toggleChoice(itemCode: String, option: String)
    fun onNotes(notes: String)
    fun takePhoto(itemCode: String?)
    fun clearPhotos(itemCode: String?)
    fun locate()
    fun save()
    fun startOver()
}

@Composable
fun VisitScreen(
    state: VisitUiState,
    actions: VisitActions,
    canTakePhotos: Boolean,
    onBack: () -> Unit,
    onReport: (CaseDraft) -> Unit,
    modifier: Modifier = Modifier,
) {
    val s = strings
    val language = LocalLanguage.current
    LazyColumn(modifier.fillMaxSize().testTag("visit.list"), contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        item {
            Row(verticalAlignment = Alignment.CenterVertically) {
                TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
                Text(s.visitTitle(state.householdName), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
            }
        }
        val saved = state.saved
        if (saved != null) {
            item { SavedPanel(saved, onReport, onBack) }
            return@LazyColumn
        }
        if (state.restored) {
            item { RestoredBanner(state, actions) }
        }
        item { LocationCard(state, actions) }
        val template = state.template
        if (template != null) {
            item { Text(language.pickOf(template.titleZh, template.titleEn), style = MaterialTheme.typography.titleMedium) }
            for (section in template.sections) {
                item(key = "section-${section.priority}") {
                    Text(pick(priorityLabel(section.priority)), style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.SemiBold, modifier = Modifier.semantics { heading() })
                }
                items(section.items, key = { it.code }) { item -> ItemCard(item, state, actions, canTakePhotos) }
            }
            item {
                OutlinedTextField(
                    value = state.notes,
                    onValueChange = actions::onNotes,
                    label = { Text(s.notes) },
                    modifier = Modifier.fillMaxWidth().testTag("visit.notes"),
                )
            }
        }
        state.error?.let { e ->
            item {
                Text(e.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("visit.error").semantics { liveRegion = LiveRegionMode.Assertive })
            }
        }
        item {
            Button(onClick = actions::save, enabled = template != null && !state.saving, modifier = Modifier.fillMaxWidth().testTag("visit.save")) {
                Text(if (state.saving) s.saving else s.saveVisit)
            }
        }
    }
}

/** The answers came back from an unfinished visit; the worker may start over. */
@Composable
private fun RestoredBanner(state: VisitUiState, actions: VisitActions) {
    val s = strings
    Card(Modifier.fillMaxWidth().testTag("visit.restored"), colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer)) {
        Row(Modifier.padding(horizontal = 16.dp, vertical = 8.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(
                s.visitRestored(state.answers.size, state.photos.size),
                modifier = Modifier.weight(1f).semantics { liveRegion = LiveRegionMode.Polite },
            )
            TextButton(onClick = actions::startOver, modifier = Modifier.testTag("visit.startOver")) { Text(s.startOver) }
        }
    }
}

private fun Language.pickOf(zh: String, en: String) = if (this == Language.ZH) zh else en

@Composable
private fun LocationCard(state: VisitUiState, actions: VisitActions) {
    val s = strings
    Card(Modifier.fillMaxWidth().testTag("visit.location"), colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.surfaceVariant)) {
        Row(Modifier.padding(12.dp), verticalAlignment = Alignment.CenterVertically) {
            val fix = state.fix
            Text(
                when {
                    state.locating && fix == null -> s.locating
                    fix == null -> s.noFix
                    else -> s.fixLine(fix.accuracyM, fix.provider, fix.mock)
                },
                modifier = Modifier.weight(1f).testTag("visit.fix"),
            )
            OutlinedButton(onClick = actions::locate, modifier = Modifier.testTag("visit.locate")) { Text(s.locateAgain) }
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun ItemCard(item: Item, state: VisitUiState, actions: VisitActions, canTakePhotos: Boolean) {
    val s = strings
    val language = LocalLanguage.current
    val isError = state.errorItem == item.code
    val label = language.pickOf(item.labelZh, item.labelEn)
    Card(
        Modifier.fillMaxWidth().testTag("item.${item.code}"),
        colors = if (isError) CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer) else CardDefaults.cardColors(),
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text(if (item.required) "$label ${s.requiredMark}" else label, style = MaterialTheme.typography.bodyLarge)
            val answer = state.answers[item.code]
            when (val kind = item.kind) {
                ItemKind.YesNo -> FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    FilterChip(selected = answer == AnswerValue.YesNo(true), onClick = { actions.answer(item.code, AnswerValue.YesNo(true)) }, label = { Text(s.yes) }, modifier = Modifier.testTag("item.${item.code}.yes"))
                    FilterChip(selected = answer == AnswerValue.YesNo(false), onClick = { actions.answer(item.code, AnswerValue.YesNo(false)) }, label = { Text(s.no) }, modifier = Modifier.testTag("item.${item.code}.no"))
                }
                is ItemKind.SingleChoice -> FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    for (o in kind.options) {
                        FilterChip(selected = answer == AnswerValue.Choice(o.code), onClick = { actions.answer(item.code, AnswerValue.Choice(o.code)) }, label = { Text(language.pickOf(o.labelZh, o.labelEn)) }, modifier = Modifier.testTag("item.${item.code}.${o.code}"))
                    }
                }
                is ItemKind.MultiChoice -> FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    val chosen = (answer as? AnswerValue.Choices)?.v1.orEmpty()
                    for (o in kind.options) {
                        FilterChip(selected = o.code in chosen, onClick = { actions.toggleChoice(item.code, o.code) }, label = { Text(language.pickOf(o.labelZh, o.labelEn)) }, modifier = Modifier.testTag("item.${item.code}.${o.code}"))
                    }
                }
                is ItemKind.Number -> OutlinedTextField(
                    value = state.numberText[item.code] ?: "",
                    onValueChange = { actions.answerNumber(item.code, it) },
                    label = { Text(s.numberAnswer(kind.unit)) },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                    singleLine = true,
                    isError = isError,
                    modifier = Modifier.fillMaxWidth().testTag("item.${item.code}.number"),
                )
                is ItemKind.Text -> OutlinedTextField(
                    value = (answer as? AnswerValue.Text)?.v1 ?: "",
                    onValueChange = { actions.answer(item.code, if (it.isEmpty()) null else AnswerValue.Text(it)) },
                    label = { Text(label) },
                    isError = isError,
                    modifier = Modifier.fillMaxWidth().testTag("item.${item.code}.text"),
                )
                is ItemKind.Photo -> Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    val count = state.photos.count { it.itemCode == item.code }
                    Text(s.photoCount(count, kind.minCount), modifier = Modifier.weight(1f).testTag("item.${item.code}.photos"))
                    if (count > 0) {
                        TextButton(onClick = { actions.clearPhotos(item.code) }, modifier = Modifier.testTag("item.${item.code}.clear")) { Text(s.clearPhotos) }
                    }
                    if (canTakePhotos) {
                        OutlinedButton(onClick = { actions.takePhoto(item.code) }, modifier = Modifier.testTag("item.${item.code}.camera")) { Text(s.takePhoto) }
                    }
                }
            }
            if (isError) state.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall) }
        }
    }
}

@Composable
private fun SavedPanel(outcome: VisitOutcome, onReport: (CaseDraft) -> Unit, onDone: () -> Unit) {
    val s = strings
    Column(verticalArrangement = Arrangement.spacedBy(12.dp), modifier = Modifier.testTag("visit.saved")) {
        Text(s.visitSaved, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
        val verdict = outcome.visit.verdict
        if (verdict != null) {
            Text(
                pick(geofenceLabel(verdict.status)),
                color = if (verdict.status == GeofenceStatus.CONSISTENT) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.error,
                modifier = Modifier.testTag("visit.verdict"),
            )
        } else {
            Text(s.noFixRecorded, modifier = Modifier.testTag("visit.verdict"))
        }
        if (outcome.findings.isEmpty()) {
            Text(s.noHazards, modifier = Modifier.testTag("visit.noHazards"))
        } else {
            Text(s.hazardsFound(outcome.findings.size), color = MaterialTheme.colorScheme.error, fontWeight = FontWeight.SemiBold)
            outcome.drafts.forEachIndexed { i, draft ->
                Card(Modifier.fillMaxWidth().testTag("visit.draft.$i")) {
                    Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                        Text(draft.title, fontWeight = FontWeight.SemiBold)
                        Text("${pick(priorityLabel(draft.category.priority))} · ${pick(severityLabel(draft.severity))}", style = MaterialTheme.typography.bodySmall)
                        Button(onClick = { onReport(draft) }, modifier = Modifier.testTag("visit.draft.$i.report")) { Text(s.reportThis) }
                    }
                }
            }
        }
        OutlinedButton(onClick = onDone, modifier = Modifier.fillMaxWidth().testTag("visit.done")) { Text(s.done) }
    }
}
