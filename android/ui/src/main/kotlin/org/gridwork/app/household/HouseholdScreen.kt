package org.gridwork.app.household

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import java.time.ZoneId
import org.gridwork.app.i18n.LocalLanguage
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.app.today.formatTime
import org.gridwork.core.MemberView
import org.gridwork.core.PiiField
import org.gridwork.core.dueLabel
import org.gridwork.core.placeKindLabel
import org.gridwork.core.tagLabel

@Composable
fun HouseholdScreen(
    state: HouseholdUiState,
    onBack: () -> Unit,
    onReveal: (memberId: String, field: PiiField) -> Unit,
    onReason: (String) -> Unit,
    onConfirmReveal: () -> Unit,
    onCancelReveal: () -> Unit,
    onVisit: ((code: String) -> Unit)?,
    modifier: Modifier = Modifier,
    zone: ZoneId = ZoneId.of("Asia/Shanghai"),
) {
    val s = strings
    val d = state.detail
    LazyColumn(modifier.fillMaxSize().testTag("household.list"), contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Row(verticalAlignment = Alignment.CenterVertically) {
                TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
                Text(d?.household?.name ?: state.code, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
            }
        }
        state.error?.let { item { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("household.error")) } }
        if (d != null) {
            val h = d.household
            item {
                Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text("${pick(placeKindLabel(h.kind))} · ${h.code}", style = MaterialTheme.typography.bodyMedium)
                    Text(h.address, style = MaterialTheme.typography.bodyMedium)
                    Text(pick(dueLabel(h.due)), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("household.due"))
                    val language = LocalLanguage.current
                    if (h.tags.isNotEmpty()) Text(h.tags.joinToString("、") { language.pick(tagLabel(it)) }, color = MaterialTheme.colorScheme.primary)
                    if (onVisit != null) {
                        Button(onClick = { onVisit(h.code) }, modifier = Modifier.fillMaxWidth().testTag("household.visit")) { Text(s.startVisit) }
                    }
                }
            }
            item { Text(s.members, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() }) }
            if (d.members.isEmpty()) item { Text(s.noMembers) }
            items(d.members, key = { it.id }) { m -> MemberCard(m, state.revealed, onReveal) }
            item { Text(s.recentVisits, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 8.dp).semantics { heading() }) }
            if (d.recentVisits.isEmpty()) item { Text(s.noVisitsYet, modifier = Modifier.testTag("household.noVisits")) }
            items(d.recentVisits, key = { it.visitId }) { v ->
                Text("${formatTime(v.at, zone)} · ${v.workerName}", modifier = Modifier.testTag("household.visit.${v.visitId}"))
            }
        }
    }
    state.dialog?.let { RevealReasonDialog(it, onReason, onConfirmReveal, onCancelReveal) }
}

@Composable
private fun MemberCard(m: MemberView, revealed: Map<Pair<String, PiiField>, String>, onReveal: (String, PiiField) -> Unit) {
    val s = strings
    Card(Modifier.fillMaxWidth().testTag("member.${m.id}")) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text("${m.name}（${m.relation}）", fontWeight = FontWeight.SemiBold)
            m.phoneMasked?.let { PiiLine(s.phone, it, revealed[m.id to PiiField.PHONE], s.revealPhone(m.name), "member.${m.id}.phone") { onReveal(m.id, PiiField.PHONE) } }
            m.idNumberMasked?.let { PiiLine(s.idNumber, it, revealed[m.id to PiiField.ID_NUMBER], s.revealIdNumber(m.name), "member.${m.id}.id") { onReveal(m.id, PiiField.ID_NUMBER) } }
        }
    }
}

@Composable
private fun PiiLine(label: String, masked: String, whole: String?, revealLabel: String, tag: String, onReveal: () -> Unit) {
    val s = strings
    Row(verticalAlignment = Alignment.CenterVertically) {
        Text("$label ${whole ?: masked}", modifier = Modifier.weight(1f).testTag(tag))
        if (whole == null) {
            TextButton(onClick = onReveal, modifier = Modifier.testTag("$tag.reveal").semantics { contentDescription = revealLabel }) { Text(s.reveal) }
        } else {
            Text(s.revealRecorded, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.secondary)
        }
    }
}

@Composable
private fun RevealReasonDialog(d: RevealDialog, onReason: (String) -> Unit, onConfirm: () -> Unit, onCancel: () -> Unit) {
    val s = strings
    AlertDialog(
        onDismissRequest = onCancel,
        title = { Text(if (d.field == PiiField.PHONE) s.revealPhone(d.memberName) else s.revealIdNumber(d.memberName)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(s.revealWhy)
                OutlinedTextField(
                    value = d.reason,
                    onValueChange = onReason,
                    label = { Text(s.revealReason) },
                    isError = d.error != null,
                    modifier = Modifier.fillMaxWidth().testTag("reveal.reason"),
                )
                d.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("reveal.error")) }
            }
        },
        confirmButton = { Button(onClick = onConfirm, enabled = !d.busy, modifier = Modifier.testTag("reveal.confirm")) { Text(s.reveal) } },
        dismissButton = { TextButton(onClick = onCancel, modifier = Modifier.testTag("reveal.cancel")) { Text(s.cancel) } },
        modifier = Modifier.testTag("reveal.dialog"),
    )
}
