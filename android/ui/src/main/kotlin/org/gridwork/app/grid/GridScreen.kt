package org.gridwork.app.grid

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.lazy.rememberLazyListState
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.snapshotFlow
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import org.gridwork.app.i18n.LocalLanguage
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.core.DueState
import org.gridwork.core.HouseholdRow
import org.gridwork.core.dueLabel
import org.gridwork.core.placeKindLabel
import org.gridwork.core.tagLabel

@Composable
fun GridScreen(
    state: GridUiState,
    onBack: () -> Unit,
    onQuery: (String) -> Unit,
    onDueOnly: (Boolean) -> Unit,
    onShow: (GridView) -> Unit,
    onScrolledTo: (lastVisible: Int) -> Unit,
    onOpenHousehold: (code: String) -> Unit,
    modifier: Modifier = Modifier,
    onReport: (() -> Unit)? = null,
) {
    val s = strings
    Column(modifier.fillMaxSize()) {
        Row(Modifier.fillMaxWidth().padding(horizontal = 8.dp), verticalAlignment = Alignment.CenterVertically) {
            TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
            Text(state.title, style = MaterialTheme.typography.titleLarge, modifier = Modifier.weight(1f).semantics { heading() })
            if (onReport != null) TextButton(onClick = onReport, modifier = Modifier.testTag("grid.report")) { Text(s.reportTitle) }
        }
        Column(Modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedTextField(
                value = state.query,
                onValueChange = onQuery,
                label = { Text(s.searchHouseholds) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth().testTag("grid.search"),
            )
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                FilterChip(selected = !state.dueOnly, onClick = { onDueOnly(false) }, label = { Text(s.filterAll) }, modifier = Modifier.testTag("grid.all"))
                FilterChip(selected = state.dueOnly, onClick = { onDueOnly(true) }, label = { Text(s.filterDue) }, modifier = Modifier.testTag("grid.dueOnly"))
                Box(Modifier.weight(1f))
                FilterChip(selected = state.view == GridView.LIST, onClick = { onShow(GridView.LIST) }, label = { Text(s.viewList) }, modifier = Modifier.testTag("grid.viewList"))
                FilterChip(selected = state.view == GridView.MAP, onClick = { onShow(GridView.MAP) }, label = { Text(s.viewMap) }, modifier = Modifier.testTag("grid.viewMap"))
            }
            Text(s.matches(state.rows.size, state.total), style = MaterialTheme.typography.bodySmall, modifier = Modifier.testTag("grid.count"))
            state.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("grid.error")) }
        }
        when (state.view) {
            GridView.LIST -> HouseholdList(state, onScrolledTo, onOpenHousehold)
            GridView.MAP -> Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                val map = state.map
                if (map == null) {
                    CircularProgressIndicator()
                } else {
                    val due = map.places.count { it.row.due !is DueState.Upcoming }
                    GridMapView(map, s.mapDescription(map.places.size, due))
                    Text(s.mapLegend, style = MaterialTheme.typography.bodySmall)
                }
            }
        }
    }
}

@Composable
private fun HouseholdList(state: GridUiState, onScrolledTo: (Int) -> Unit, onOpen: (String) -> Unit) {
    val s = strings
    val list = rememberLazyListState()
    // Tell the model how far the list has scrolled; it fetches the next
    // page when the last rows come near (it knows what it has loaded).
    LaunchedEffect(list) {
        snapshotFlow { list.layoutInfo.visibleItemsInfo.lastOrNull()?.index }
            .collect { last -> if (last != null) onScrolledTo(last) }
    }
    LazyColumn(
        state = list,
        modifier = Modifier.fillMaxSize().testTag("grid.list"),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        items(state.rows, key = { it.code }) { row -> HouseholdItem(row, onOpen) }
        if (state.loading) item { CircularProgressIndicator(Modifier.padding(16.dp)) }
        if (state.endReached && state.rows.isEmpty()) item { Text(s.noMatches, modifier = Modifier.testTag("grid.empty")) }
    }
}

@Composable
private fun HouseholdItem(row: HouseholdRow, onOpen: (String) -> Unit) {
    val s = strings
    val due = row.due !is DueState.Upcoming
    Card(onClick = { onOpen(row.code) }, modifier = Modifier.fillMaxWidth().testTag("grid.row.${row.code}")) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(2.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(row.name, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.SemiBold, modifier = Modifier.weight(1f))
                Text(
                    pick(dueLabel(row.due)),
                    color = if (due) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.secondary,
                    style = MaterialTheme.typography.labelLarge,
                )
            }
            Text("${pick(placeKindLabel(row.kind))} · ${row.address}", style = MaterialTheme.typography.bodyMedium)
            val language = LocalLanguage.current
            val tags = row.tags.joinToString("、") { language.pick(tagLabel(it)) }
            if (tags.isNotEmpty() || row.openCases > 0u) {
                Text(
                    listOfNotNull(tags.ifEmpty { null }, if (row.openCases > 0u) s.openCasesShort(row.openCases) else null).joinToString(" · "),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.primary,
                )
            }
        }
    }
}
