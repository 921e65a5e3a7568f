package org.gridwork.app.enrol

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import org.gridwork.app.i18n.strings
import org.gridwork.app.resolve

/**
 * 激活 Enrol. [onScanQr] opens the platform's QR scanner (its result goes
 * to [EnrolModel.onScanned]); null where there is no camera.
 */
@Composable
fun EnrolScreen(
    state: EnrolUiState,
    onServerUrl: (String) -> Unit,
    onCode: (String) -> Unit,
    onEnrol: () -> Unit,
    onRetryPull: () -> Unit,
    onScanQr: (() -> Unit)?,
    modifier: Modifier = Modifier,
) {
    val s = strings
    val editable = state.step == EnrolStep.Form
    Column(
        modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        Text(s.appName, style = MaterialTheme.typography.titleMedium, color = MaterialTheme.colorScheme.primary)
        Text(s.enrolTitle, style = MaterialTheme.typography.headlineMedium)
        Text(s.enrolIntro, style = MaterialTheme.typography.bodyMedium)
        OutlinedTextField(
            value = state.serverUrl,
            onValueChange = onServerUrl,
            label = { Text(s.serverAddress) },
            supportingText = { Text(s.serverAddressHint) },
            isError = state.errorField == EnrolField.SERVER,
            enabled = editable,
            singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri),
            modifier = Modifier.fillMaxWidth().testTag("enrol.server"),
        )
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedTextField(
                value = state.code,
                onValueChange = onCode,
                label = { Text(s.activationCode) },
                supportingText = { Text(s.activationCodeHint) },
                isError = state.errorField == EnrolField.CODE,
                enabled = editable,
                singleLine = true,
                keyboardOptions = KeyboardOptions(capitalization = KeyboardCapitalization.Characters),
                modifier = Modifier.weight(1f).testTag("enrol.code"),
            )
            if (onScanQr != null) {
                OutlinedButton(onClick = onScanQr, enabled = editable, modifier = Modifier.testTag("enrol.scan")) {
                    Text(s.scanQr)
                }
            }
        }
        state.error?.let { error ->
            Text(
                error.resolve(),
                color = MaterialTheme.colorScheme.error,
                style = MaterialTheme.typography.bodyMedium,
                modifier = Modifier.testTag("enrol.error").semantics { liveRegion = LiveRegionMode.Polite },
            )
        }
        when (val step = state.step) {
            EnrolStep.Form -> Button(onClick = onEnrol, modifier = Modifier.fillMaxWidth().testTag("enrol.submit")) {
                Text(s.enrolButton)
            }
            EnrolStep.Activating -> {
                Text(s.enrolling)
                LinearProgressIndicator(Modifier.fillMaxWidth().testTag("enrol.progress"))
            }
            is EnrolStep.Pulling -> {
                Text(s.firstPull, style = MaterialTheme.typography.titleMedium)
                val p = step.progress
                if (p == null || p.itemsTotal == 0uL) {
                    LinearProgressIndicator(Modifier.fillMaxWidth().testTag("enrol.progress"))
                } else {
                    LinearProgressIndicator(
                        progress = { p.itemsDone.toFloat() / p.itemsTotal.toFloat() },
                        modifier = Modifier.fillMaxWidth().testTag("enrol.progress"),
                    )
                }
                if (p != null) Text(s.pulled(p.itemsDone.toLong(), p.bytesReceived.toLong()), modifier = Modifier.testTag("enrol.pulled"))
                if (state.error != null) {
                    Button(onClick = onRetryPull, modifier = Modifier.testTag("enrol.retry")) { Text(s.retry) }
                }
            }
            is EnrolStep.Done -> Text(s.greeting(step.user.name))
        }
    }
}
