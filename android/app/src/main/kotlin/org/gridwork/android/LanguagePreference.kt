package org.gridwork.android

import android.content.Context
import org.gridwork.app.i18n.Language

/** The language the person chose on 我的 Me, kept across restarts (Chinese until they choose). */
class LanguagePreference(context: Context) {
    private val prefs = context.getSharedPreferences("gridwork.settings", Context.MODE_PRIVATE)

    fun load(): Language = Language.entries.firstOrNull { it.name == prefs.getString(KEY, null) } ?: Language.ZH

    fun save(language: Language) {
        prefs.edit().putString(KEY, language.name).apply()
    }

    private companion object {
        const val KEY = "language"
    }
}
