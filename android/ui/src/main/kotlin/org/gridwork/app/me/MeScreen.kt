package org.gridwork.app.me

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
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
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import org.gridwork.app.i18n.Language
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve

@Composable
fun MeScreen(
    state: MeUiState,
    model: MeModel,
    language: Language,
    onLanguage: (Language) -> Unit,
    onBack: () -> Unit,
    modifier: Modifier = Modifier,
) {
    val s = strings
    Column(modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            TextButton(onClick = onBack, modifier = Modifier.testTag("back")) { Text(s.back) }
            Text(s.tabMe, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        }
        state.user?.let { Text(s.signedInAs(it.name), style = MaterialTheme.typography.titleMedium, modifier = Modifier.testTag("me.user")) }
        state.server?.let { Text(s.serverLine(it), style = MaterialTheme.typography.bodySmall) }

        Text(s.language, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() })
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            FilterChip(selected = language == Language.ZH, onClick = { onLanguage(Language.ZH) }, label = { Text("中文") }, modifier = Modifier.testTag("me.lang.zh"))
            FilterChip(selected = language == Language.EN, onClick = { onLanguage(Language.EN) }, label = { Text("English") }, modifier = Modifier.testTag("me.lang.en"))
        }

        Text(s.quietHours, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() })
        Text(s.quietHoursHelp, style = MaterialTheme.typography.bodySmall)
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedTextField(state.quietStart, model::onQuietStart, label = { Text(s.quietFrom) }, singleLine = true, modifier = Modifier.weight(1f).testTag("me.quietStart"))
            OutlinedTextField(state.quietEnd, model::onQuietEnd, label = { Text(s.quietTo) }, singleLine = true, modifier = Modifier.weight(1f).testTag("me.quietEnd"))
        }
        OutlinedButton(onClick = model::saveQuietHours, modifier = Modifier.testTag("me.saveQuiet")) { Text(if (state.quietSaved) s.saved else s.save) }
        state.error?.let { Text(it.resolve(), color = MaterialTheme.colorScheme.error, modifier = Modifier.testTag("me.error")) }

        Button(
            onClick = model::askForget,
            colors = ButtonDefaults.buttonColors(containerColor = MaterialTheme.colorScheme.error),
            modifier = Modifier.fillMaxWidth().testTag("me.forget"),
        ) { Text(s.forgetPhone) }
        Text(s.version(state.version), style = MaterialTheme.typography.bodySmall, modifier = Modifier.testTag("me.version"))
    }
    if (state.confirmingForget) {
        AlertDialog(
            onDismissRequest = model::cancelForget,
            title = { Text(s.forgetPhone) },
            text = { Text(s.forgetWarning(state.unsyncedOperations, state.unsyncedPhotos), modifier = Modifier.testTag("me.forgetWarning")) },
            confirmButton = {
                Button(onClick = model::forget, colors = ButtonDefaults.buttonColors(containerColor = MaterialTheme.colorScheme.error), modifier = Modifier.testTag("me.forgetConfirm")) { Text(s.forgetConfirm) }
            },
            dismissButton = { TextButton(onClick = model::cancelForget, modifier = Modifier.testTag("me.forgetCancel")) { Text(s.cancel) } },
        )
    }
}
