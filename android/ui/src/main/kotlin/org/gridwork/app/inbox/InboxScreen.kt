package org.gridwork.app.inbox

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Badge
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import java.time.ZoneId
import org.gridwork.app.i18n.Language
import org.gridwork.app.i18n.LocalLanguage
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.app.today.formatTime
import org.gridwork.core.InboxEntry

@Composable
fun InboxScreen(
    state: InboxUiState,
    onBack: () -> Unit,
    onOpen: (itemId: String) -> Unit,
    modifier: Modifier = Modifier,
    zone: ZoneId = ZoneId.of("Asia/Shanghai"),
) {
    val s = strings
    LazyColumn(modifier.fillMaxSize().testTag("inbox.list"), contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Row(verticalAlignment = Alignment.CenterVertically) {
                TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
                Text(s.tabInbox, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
                if (state.unread > 0u) Badge(Modifier.padding(start = 8.dp).testTag("inbox.unread")) { Text(state.unread.toString()) }
            }
        }
        state.error?.let { item { Text(it.resolve(), color = MaterialTheme.colorScheme.error) } }
        if (!state.loading && state.items.isEmpty()) item { Text(s.noMessages, modifier = Modifier.testTag("inbox.empty")) }
        items(state.items, key = { it.id }) { e -> InboxItem(e, zone, onOpen) }
    }
}

@Composable
private fun InboxItem(e: InboxEntry, zone: ZoneId, onOpen: (String) -> Unit) {
    val s = strings
    val zh = LocalLanguage.current == Language.ZH
    val unread = e.readAt == null
    Card(
        onClick = { onOpen(e.id) },
        modifier = Modifier.fillMaxWidth().testTag("inbox.item.${e.id}"),
        colors = if (unread) CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.primaryContainer) else CardDefaults.cardColors(),
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(2.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(
                    if (zh) e.titleZh else e.titleEn,
                    fontWeight = if (unread) FontWeight.Bold else FontWeight.Normal,
                    color = if (e.critical) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface,
                    modifier = Modifier.weight(1f),
                )
                if (unread) Text(s.unreadMark, style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.primary)
            }
            Text(if (zh) e.bodyZh else e.bodyEn)
            Text("${formatTime(e.createdAt, zone)} · ${e.actorName}", style = MaterialTheme.typography.bodySmall)
        }
    }
}
