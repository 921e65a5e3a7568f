package org.gridwork.desktop

import java.io.File
import org.gridwork.app.i18n.Language

/**
 * The language chosen on 我的 Me, kept in the desktop's data folder across
 * restarts (Android keeps it in SharedPreferences); Chinese until chosen.
 */
class LanguageFile(private val file: File) {
    fun load(): Language? = runCatching { file.readText().trim() }.getOrNull()
        ?.let { saved -> Language.entries.firstOrNull { it.name == saved } }

    fun save(language: Language) {
        file.parentFile?.mkdirs()
        file.writeText(language.name)
    }
}
