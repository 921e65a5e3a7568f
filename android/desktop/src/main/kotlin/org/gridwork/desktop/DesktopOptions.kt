package org.gridwork.desktop

import java.io.File
import org.gridwork.app.i18n.Language
import org.gridwork.core.GridworkException
import org.gridwork.core.parseActivationQr
import org.gridwork.core.userMessage

/** The command line of the desktop app. */
data class DesktopOptions(
    val dataDir: File,
    val server: String?,
    val code: String?,
    /** The language asked for with --lang; null to use the one chosen last time. */
    val language: Language?,
) {
    companion object {
        const val USAGE = """usage: desktop.sh [--data DIR] [--server URL] [--code CODE | --qr 'gridwork:activate?...'] [--lang zh|en]
  --data    where this desktop keeps its store and secrets (default ~/.gridwork-desktop)
  --server  the server address (filled into the Enrol screen)
  --code    an activation code: with --server, the app enrols at once
  --qr      the QR text an administrator printed (server and code in one)
  --lang    zh or en (default: the language chosen last time in 我的, else zh)"""

        /** Parse [args]; a bad argument throws with the usage. */
        fun parse(args: Array<String>, home: File = File(System.getProperty("user.home"))): DesktopOptions {
            var data = File(home, ".gridwork-desktop")
            var server: String? = null
            var code: String? = null
            var language: Language? = null
            var i = 0
            fun value(name: String): String = args.getOrNull(++i) ?: throw IllegalArgumentException("$name needs a value\n$USAGE")
            while (i < args.size) {
                when (val a = args[i]) {
                    "--data" -> data = File(value(a))
                    "--server" -> server = value(a)
                    "--code" -> code = value(a)
                    "--qr" -> {
                        // The core reads the QR text, as the phone's scanner does.
                        val link = try {
                            parseActivationQr(value(a))
                        } catch (e: GridworkException) {
                            throw IllegalArgumentException("--qr: ${e.userMessage}\n$USAGE")
                        }
                        server = link.serverUrl ?: throw IllegalArgumentException("--qr: no server in the QR text\n$USAGE")
                        code = link.code
                    }
                    "--lang" -> language = when (value(a)) {
                        "zh" -> Language.ZH
                        "en" -> Language.EN
                        else -> throw IllegalArgumentException("--lang is zh or en\n$USAGE")
                    }
                    "-h", "--help" -> throw IllegalArgumentException(USAGE)
                    else -> throw IllegalArgumentException("unknown argument $a\n$USAGE")
                }
                i++
            }
            return DesktopOptions(data, server, code, language)
        }
    }
}
