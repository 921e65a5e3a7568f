package org.gridwork.app

import androidx.compose.runtime.Composable
import org.gridwork.app.i18n.Strings
import org.gridwork.app.i18n.pick
import org.gridwork.app.i18n.strings
import org.gridwork.core.GridworkException
import org.gridwork.core.userMessage

/**
 * A message for the screen, resolved in the current language when drawn:
 * either the core's own bilingual words or one of the app's strings.
 */
sealed interface UiText {
    /** Text from the core, "中文 / English". */
    data class Core(val bilingual: String) : UiText

    /** One of the app's own strings. */
    class App(val text: (Strings) -> String) : UiText

    companion object {
        /** What to tell a person about a failed core call. */
        fun of(e: Throwable): UiText = when (e) {
            is GridworkException.Network -> App { it.noNetwork }
            is GridworkException -> Core(e.userMessage)
            else -> Core("出错了 / something went wrong: ${e.message ?: e::class.simpleName}")
        }
    }
}

@Composable
fun UiText.resolve(): String = when (this) {
    is UiText.Core -> pick(bilingual)
    is UiText.App -> text(strings)
}
