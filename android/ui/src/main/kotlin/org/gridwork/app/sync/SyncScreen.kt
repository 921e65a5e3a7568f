package org.gridwork.app.sync

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
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
import androidx.compose.ui.unit.dp
import java.time.ZoneId
import org.gridwork.app.i18n.formatBytes
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.app.today.formatTime
import org.gridwork.core.uploadBlockerLabel
import org.gridwork.core.NetworkPolicy
import org.gridwork.core.operationLabel

@Composable
fun SyncScreen(
    state: SyncUiState,
    model: SyncModel,
    onBack: () -> Unit,
    modifier: Modifier = Modifier,
    zone: ZoneId = ZoneId.of("Asia/Shanghai"),
) {
    val s = strings
    val q = state.queue
    LazyColumn(modifier.fillMaxSize().testTag("sync.list"), contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(10.dp)) {
        item {
            Row(verticalAlignment = Alignment.CenterVertically) {
                TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
                Text(s.syncTitle, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
            }
        }
        if (state.storageLow) {
            item {
                Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer), modifier = Modifier.fillMaxWidth().testTag("sync.storageLow")) {
                    Text(s.storageLow(formatBytes(state.freeBytes ?: 0)), modifier = Modifier.padding(12.dp))
                }
            }
        }
        item {
            Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(if (state.pendingOperations == 0uL) s.noPendingOperations else s.pendingOperations(state.pendingOperations), modifier = Modifier.testTag("sync.pending"))
                Text(s.lastSync(state.lastSyncedAt?.let { formatTime(it, zone) }), style = MaterialTheme.typography.bodySmall, modifier = Modifier.testTag("sync.last"))
                Button(onClick = model::syncNow, enabled = !state.syncing, modifier = Modifier.fillMaxWidth().testTag("sync.now")) { Text(if (state.syncing) s.syncing else s.syncNow) }
                state.message?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("sync.message").semantics { liveRegion = LiveRegionMode.Polite }) }
            }
        }
        if (q != null) {
            item {
                Text(s.photoQueue, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() })
                Text(s.queueCounts(q.waiting + q.uploading, q.stored, q.failed, formatBytes(q.bytesWaiting.toLong())), modifier = Modifier.testTag("sync.queue"))
            }
            item {
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                    Text(s.photosOver, modifier = Modifier.weight(1f))
                    FilterChip(selected = q.policy == NetworkPolicy.AnyNetwork, onClick = { model.setPolicy(NetworkPolicy.AnyNetwork) }, label = { Text(s.anyNetwork) }, modifier = Modifier.testTag("sync.policy.any"))
                    FilterChip(selected = q.policy == NetworkPolicy.UnmeteredOnly, onClick = { model.setPolicy(NetworkPolicy.UnmeteredOnly) }, label = { Text(s.wifiOnly) }, modifier = Modifier.testTag("sync.policy.wifi"))
                }
            }
            items(q.items, key = { it.evidenceId }) { item ->
                Column(Modifier.fillMaxWidth().testTag("sync.photo.${item.evidenceId}")) {
                    Text("${s.photoState(item.state.name)} · ${formatBytes(item.size.toLong())} · ${s.attempts(item.attempts)}", fontWeight = FontWeight.Medium)
                    item.reason?.let { Text(pick(it), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall) }
                    uploadBlockerLabel(item.blockedBy).takeIf { it.isNotEmpty() }?.let {
                        Text(pick(it), style = MaterialTheme.typography.bodySmall, modifier = Modifier.testTag("sync.photo.${item.evidenceId}.waits"))
                    }
                }
            }
            if (q.failed > 0u || q.items.any { it.nextAttemptAt != null }) {
                item { OutlinedButton(onClick = model::retryUploads, modifier = Modifier.testTag("sync.retry")) { Text(s.retryNow) } }
            }
        }
        item { Text(s.conflicts, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() }) }
        if (state.conflicts.isEmpty()) item { Text(s.noConflicts, modifier = Modifier.testTag("sync.noConflicts")) }
        items(state.conflicts, key = { it.id }) { c ->
            Card(Modifier.fillMaxWidth().testTag("sync.conflict.${c.id}")) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(2.dp)) {
                    Text(s.conflictTitle(pick(operationLabel(c.opKind))), fontWeight = if (c.seen) FontWeight.Normal else FontWeight.Bold)
                    Text(pick(c.reason), modifier = Modifier.testTag("sync.conflict.${c.id}.reason"))
                    Text(formatTime(c.at, zone), style = MaterialTheme.typography.bodySmall)
                    if (!c.seen) TextButton(onClick = { model.markSeen(c.id) }, modifier = Modifier.testTag("sync.conflict.${c.id}.seen")) { Text(s.understood) }
                }
            }
        }
    }
}
