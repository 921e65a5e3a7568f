package org.gridwork.app.cases

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
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
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.core.CaseRow
import org.gridwork.core.CaseScope
import org.gridwork.core.caseStateLabel
import org.gridwork.core.severityLabel

@Composable
fun CasesScreen(
    state: CasesUiState,
    onBack: () -> Unit,
    onScope: (CaseScope) -> Unit,
    onOpenOnly: (Boolean) -> Unit,
    onOpenCase: (String) -> Unit,
    modifier: Modifier = Modifier,
) {
    val s = strings
    Column(modifier.fillMaxSize()) {
        Row(Modifier.padding(horizontal = 8.dp), verticalAlignment = Alignment.CenterVertically) {
            TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
            Text(s.tabCases, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        }
        Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            for (scope in CaseScope.entries) {
                FilterChip(selected = state.scope == scope, onClick = { onScope(scope) }, label = { Text(s.caseScope(scope)) }, modifier = Modifier.testTag("cases.scope.${scope.name}"))
            }
        }
        Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            FilterChip(selected = state.openOnly, onClick = { onOpenOnly(!state.openOnly) }, label = { Text(s.openOnly) }, modifier = Modifier.testTag("cases.openOnly"))
        }
        state.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp).testTag("cases.error")) }
        LazyColumn(Modifier.fillMaxSize().testTag("cases.list"), contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            if (!state.loading && state.rows.isEmpty()) item { Text(s.noCases, modifier = Modifier.testTag("cases.empty")) }
            items(state.rows, key = { it.id }) { row -> CaseRowItem(row, onOpenCase) }
        }
    }
}

@Composable
private fun CaseRowItem(row: CaseRow, onOpen: (String) -> Unit) {
    val overdue = (row.countdownSecs ?: 0L) < 0L
    Card(onClick = { onOpen(row.id) }, modifier = Modifier.fillMaxWidth().testTag("cases.row.${row.id}")) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(2.dp)) {
            Text(row.title, fontWeight = FontWeight.SemiBold)
            Text("${pick(caseStateLabel(row.state))} · ${pick(severityLabel(row.severity))} · ${row.gridCode}", style = MaterialTheme.typography.bodySmall)
            Text(pick(row.countdownLabel), color = if (overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface, style = MaterialTheme.typography.bodyMedium)
        }
    }
}
