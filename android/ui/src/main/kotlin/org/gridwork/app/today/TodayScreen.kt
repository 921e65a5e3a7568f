package org.gridwork.app.today

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.HorizontalDivider
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
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.core.CaseRow
import org.gridwork.core.GridSummary

@Composable
fun TodayScreen(
    state: TodayUiState,
    onSync: () -> Unit,
    onTogglePatrol: (gridCode: String) -> Unit,
    onOpenGrid: ((gridCode: String) -> Unit)?,
    onOpenCase: ((caseId: String) -> Unit)?,
    onRetry: () -> Unit,
    onOpenCases: (() -> Unit)? = null,
    onOpenInbox: (() -> Unit)? = null,
    onOpenSync: (() -> Unit)? = null,
    onOpenMe: (() -> Unit)? = null,
    onOpenVisit: ((householdCode: String) -> Unit)? = null,
    modifier: Modifier = Modifier,
    zone: ZoneId = ZoneId.of("Asia/Shanghai"),
) {
    val s = strings
    when (state) {
        TodayUiState.Loading -> Box(modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
            CircularProgressIndicator(Modifier.semantics { liveRegion = LiveRegionMode.Polite })
        }
        is TodayUiState.Failed -> Column(modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(16.dp)) {
            Text(state.message.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("today.error"))
            Button(onClick = onRetry) { Text(s.retry) }
        }
        is TodayUiState.Ready -> {
            val t = state.today
            LazyColumn(
                modifier.fillMaxSize().testTag("today.list"),
                contentPadding = androidx.compose.foundation.layout.PaddingValues(16.dp),
                verticalArrangement = Arrangement.spacedBy(12.dp),
            ) {
                item {
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Text(s.greeting(state.userName), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.weight(1f).semantics { heading() })
                        if (onOpenMe != null) TextButton(onClick = onOpenMe, modifier = Modifier.testTag("today.me")) { Text(s.tabMe) }
                    }
                    Text(s.todaySoFar(t.day.visits, t.day.hazardsFound, t.day.casesReported), style = MaterialTheme.typography.bodyMedium)
                }
                item { SyncCard(state, zone, onSync, onOpenSync) }
                state.message?.let { m ->
                    item {
                        Text(
                            m.resolve(),
                            color = MaterialTheme.colorScheme.error,
                            modifier = Modifier.testTag("today.message").semantics { liveRegion = LiveRegionMode.Polite },
                        )
                    }
                }
                item {
                    Text(s.dueVisits(t.dueVisits), style = MaterialTheme.typography.titleMedium, modifier = Modifier.testTag("today.due"))
                }
                if (onOpenInbox != null) {
                    item {
                        Row(verticalAlignment = Alignment.CenterVertically) {
                            Text(
                                if (t.unreadMessages > 0u) s.unread(t.unreadMessages) else s.noUnread,
                                color = if (t.unreadMessages > 0u) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.onSurface,
                                fontWeight = if (t.unreadMessages > 0u) FontWeight.SemiBold else FontWeight.Normal,
                                modifier = Modifier.weight(1f).testTag("today.unread"),
                            )
                            OutlinedButton(onClick = onOpenInbox, modifier = Modifier.testTag("today.inbox")) { Text(s.tabInbox) }
                        }
                    }
                }
                if (t.unfinishedVisits.isNotEmpty()) {
                    item { SectionTitle(s.unfinishedVisits) }
                    items(t.unfinishedVisits, key = { "draft-${it.householdCode}" }) { u ->
                        TappableCard(onOpenVisit?.let { { it(u.householdCode) } }, Modifier.fillMaxWidth().testTag("today.unfinished.${u.householdCode}")) {
                            Column(Modifier.padding(16.dp)) {
                                Text(s.visitTitle(u.householdName), style = MaterialTheme.typography.titleSmall)
                                Text(s.unfinishedVisitLine(u.answered, u.photos), style = MaterialTheme.typography.bodyMedium)
                            }
                        }
                    }
                }
                item { SectionTitle(s.myGrids) }
                items(t.grids, key = { it.code }) { grid ->
                    GridCard(grid, patrolling = t.openPatrol?.gridCode == grid.code, canPatrol = t.patrols && (t.openPatrol == null || t.openPatrol?.gridCode == grid.code), onOpenGrid, onTogglePatrol)
                }
                item {
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Box(Modifier.weight(1f)) { SectionTitle(s.myOpenCases) }
                        if (onOpenCases != null) {
                            OutlinedButton(onClick = onOpenCases, modifier = Modifier.testTag("today.allCases")) { Text(s.allCases) }
                        }
                    }
                }
                if (t.openCases.isEmpty()) {
                    item { Text(s.noOpenCases, modifier = Modifier.testTag("today.noCases")) }
                } else {
                    items(t.openCases, key = { it.id }) { c -> CaseLine(c, onOpenCase) }
                }
            }
        }
    }
}

@Composable
private fun SectionTitle(text: String) {
    Text(text, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.SemiBold, modifier = Modifier.padding(top = 8.dp).semantics { heading() })
}

@Composable
private fun SyncCard(state: TodayUiState.Ready, zone: ZoneId, onSync: () -> Unit, onOpenSync: (() -> Unit)?) {
    val s = strings
    val t = state.today
    Card(Modifier.fillMaxWidth().testTag("today.sync"), colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.surfaceVariant)) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            if (t.pendingOperations == 0uL && t.photosWaiting == 0u) {
                Text(s.allSynced, fontWeight = FontWeight.SemiBold)
            } else {
                Text(s.waitingToSync, fontWeight = FontWeight.SemiBold)
                if (t.pendingOperations > 0uL) Text(s.pendingOperations(t.pendingOperations), modifier = Modifier.testTag("today.pending"))
                if (t.photosWaiting > 0u) Text(s.photosWaiting(t.photosWaiting, t.photoBytesWaiting), modifier = Modifier.testTag("today.photos"))
            }
            if (onOpenSync != null) {
                TextButton(onClick = onOpenSync, modifier = Modifier.testTag("today.openSync")) { Text(s.syncDetails) }
            }
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(s.lastSync(t.lastSyncedAt?.let { formatTime(it, zone) }), style = MaterialTheme.typography.bodySmall, modifier = Modifier.weight(1f).testTag("today.lastSync"))
                if (state.syncing) {
                    Text(s.syncing, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
                } else {
                    OutlinedButton(onClick = onSync, modifier = Modifier.testTag("today.syncNow")) { Text(s.syncNow) }
                }
            }
        }
    }
}

@Composable
private fun GridCard(
    grid: GridSummary,
    patrolling: Boolean,
    canPatrol: Boolean,
    onOpenGrid: ((String) -> Unit)?,
    onTogglePatrol: (String) -> Unit,
) {
    val s = strings
    TappableCard(onOpenGrid?.let { { it(grid.code) } }, Modifier.fillMaxWidth().testTag("today.grid.${grid.code}")) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text("${grid.name}（${grid.villageName}）", style = MaterialTheme.typography.titleMedium)
            Text(s.gridLine(grid.households, grid.dueVisits, grid.openCases), style = MaterialTheme.typography.bodyMedium)
            if (canPatrol) {
                Button(onClick = { onTogglePatrol(grid.code) }, modifier = Modifier.testTag("today.patrol.${grid.code}")) {
                    Text(if (patrolling) s.endPatrol else s.startPatrol)
                }
            }
        }
    }
}

@Composable
private fun CaseLine(c: CaseRow, onOpenCase: ((String) -> Unit)?) {
    val overdue = (c.countdownSecs ?: 0L) < 0L
    TappableCard(onOpenCase?.let { { it(c.id) } }, Modifier.fillMaxWidth().testTag("today.case.${c.id}")) {
        Column(Modifier.padding(16.dp)) {
            Text(c.title, style = MaterialTheme.typography.titleSmall)
            Text(
                pick(c.countdownLabel),
                color = if (overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface,
                style = MaterialTheme.typography.bodyMedium,
            )
        }
    }
    HorizontalDivider()
}

/** A card that opens something when there is something to open. */
@Composable
private fun TappableCard(onClick: (() -> Unit)?, modifier: Modifier, content: @Composable () -> Unit) {
    if (onClick == null) {
        // Read as one item by screen readers, like a tappable card.
        Card(modifier.semantics(mergeDescendants = true) {}) { content() }
    } else {
        Card(onClick = onClick, modifier = modifier) { content() }
    }
}

/** "14:05" today, "12-03 14:05" on another day (China time). */
fun formatTime(at: Instant, zone: ZoneId, now: Instant = Instant.now()): String {
    val local = at.atZone(zone)
    val sameDay = local.toLocalDate() == now.atZone(zone).toLocalDate()
    return local.format(DateTimeFormatter.ofPattern(if (sameDay) "HH:mm" else "MM-dd HH:mm"))
}
