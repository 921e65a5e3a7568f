package org.gridwork.app.i18n

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.staticCompositionLocalOf

/** The app's two languages: Simplified Chinese first, English alongside. */
enum class Language(val tag: String) {
    ZH("zh-CN"),
    EN("en"),
    ;

    /** This language's strings. */
    val strings: Strings get() = if (this == ZH) ZhStrings else EnStrings

    /**
     * The core writes user-facing text as "中文 / English" (labels, reasons,
     * countdowns). Show the half for this language; text without the
     * separator is shown as it is.
     */
    fun pick(bilingual: String): String {
        val at = bilingual.indexOf(" / ")
        if (at < 0) return bilingual
        return if (this == ZH) bilingual.substring(0, at) else bilingual.substring(at + 3)
    }
}

val LocalLanguage = staticCompositionLocalOf { Language.ZH }

/** The strings of the current language. */
val strings: Strings
    @Composable @ReadOnlyComposable
    get() = LocalLanguage.current.strings

/** The current language's half of the core's "中文 / English" text. */
@Composable
@ReadOnlyComposable
fun pick(bilingual: String): String = LocalLanguage.current.pick(bilingual)
