package org.gridwork.app.theme

import androidx.compose.material3.LocalMinimumInteractiveComponentSize
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.unit.dp
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color

/** Calm blue for actions, red only for what is overdue or dangerous. */
private val Colors = lightColorScheme(
    primary = Color(0xFF1F5FA8),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFD6E3FF),
    onPrimaryContainer = Color(0xFF001B3E),
    secondary = Color(0xFF4F6070),
    error = Color(0xFFB3261E),
    errorContainer = Color(0xFFF9DEDC),
    onErrorContainer = Color(0xFF410E0B),
    surface = Color(0xFFFBFCFF),
    surfaceVariant = Color(0xFFE7EBF1),
)

/**
 * Touch targets of at least 48 dp everywhere: Android's default, set here
 * too so the desktop (where Compose defaults to none) draws the same app.
 */
@Composable
fun GridworkTheme(content: @Composable () -> Unit) {
    MaterialTheme(colorScheme = Colors) {
        CompositionLocalProvider(LocalMinimumInteractiveComponentSize provides 48.dp, content = content)
    }
}
