package org.gridwork.app.report

import androidx.compose.foundation.clickable
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import org.gridwork.app.i18n.LocalLanguage
import org.gridwork.app.i18n.Language
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve
import org.gridwork.core.CaseCategory
import org.gridwork.core.Priority
import org.gridwork.core.priorityLabel

/** 选择事件类别: the core's categories under their priorities; a tap opens the report form. */
@Composable
fun CategoryScreen(
    state: CategoryUiState,
    onChoose: (CaseCategory) -> Unit,
    onSelect: (Priority) -> Unit,
    onBack: () -> Unit,
    modifier: Modifier = Modifier,
) {
    val s = strings
    val english = LocalLanguage.current == Language.EN
    Column(modifier.fillMaxSize()) {
        Row(Modifier.fillMaxWidth().padding(horizontal = 8.dp), verticalAlignment = Alignment.CenterVertically) {
            TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
            Text(s.chooseCategory, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        }
        if (state.loading) CircularProgressIndicator(Modifier.padding(16.dp))
        state.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp).testTag("category.error")) }
        // The five priorities first, then that priority's categories: one short list at a time.
        Row(
            Modifier.fillMaxWidth().horizontalScroll(rememberScrollState()).padding(horizontal = 16.dp),
            horizontalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            state.byPriority.forEach { (priority, _) ->
                FilterChip(
                    selected = priority == state.selected,
                    onClick = { onSelect(priority) },
                    label = { Text(LocalLanguage.current.pick(priorityLabel(priority))) },
                    modifier = Modifier.testTag("category.priority.${priority.name}"),
                )
            }
        }
        val shown = state.byPriority.firstOrNull { it.first == state.selected }?.second.orEmpty()
        LazyColumn(Modifier.fillMaxSize().testTag("category.list"), contentPadding = PaddingValues(bottom = 24.dp)) {
            items(shown, key = { "${it.priority.name}.${it.subcategory}" }) { c ->
                Text(
                    if (english) c.labelEn else c.labelZh,
                    style = MaterialTheme.typography.bodyLarge,
                    modifier = Modifier
                        .fillMaxWidth()
                        .heightIn(min = 48.dp)
                        .clickable(role = Role.Button, onClickLabel = s.chooseCategory) { onChoose(c) }
                        .padding(horizontal = 16.dp, vertical = 12.dp)
                        .testTag("category.${c.priority.name}.${c.subcategory}"),
                )
                HorizontalDivider(Modifier.padding(horizontal = 16.dp))
            }
        }
    }
}
