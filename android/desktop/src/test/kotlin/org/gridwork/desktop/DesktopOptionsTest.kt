package org.gridwork.desktop

import java.io.File
import java.nio.file.Files
import org.gridwork.app.i18n.Language
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test

class DesktopOptionsTest {
    private val home = File("/home/someone")

    @Test
    fun `defaults, a typed code, and the administrator's QR text`() {
        val none = DesktopOptions.parse(arrayOf(), home)
        assertEquals(File(home, ".gridwork-desktop"), none.dataDir)
        assertNull(none.code)
        assertNull("no --lang: the language chosen last time", none.language)
        val typed = DesktopOptions.parse(arrayOf("--server", "http://127.0.0.1:8080", "--code", "ABCDE-12345", "--lang", "en", "--data", "/tmp/x"), home)
        assertEquals(DesktopOptions(File("/tmp/x"), "http://127.0.0.1:8080", "ABCDE-12345", Language.EN), typed)
        val qr = DesktopOptions.parse(arrayOf("--qr", "gridwork:activate?v=1&server=http%3A%2F%2F10.0.0.2%3A8080&code=FGHJK-67890"), home)
        assertEquals("http://10.0.0.2:8080" to "FGHJK-67890", qr.server to qr.code)
    }

    @Test
    fun `bad arguments say what is wrong and how to call it`() {
        val e = assertThrows(IllegalArgumentException::class.java) { DesktopOptions.parse(arrayOf("--lang", "fr"), home) }
        assertTrue(e.message!!, e.message!!.startsWith("--lang is zh or en") && "usage:" in e.message!!)
        assertThrows(IllegalArgumentException::class.java) { DesktopOptions.parse(arrayOf("--code"), home) }
        assertThrows(IllegalArgumentException::class.java) { DesktopOptions.parse(arrayOf("--qr", "gridwork:activate?code=X"), home) }
        val stray = assertThrows(IllegalArgumentException::class.java) { DesktopOptions.parse(arrayOf("--qr", "https://example.com"), home) }
        assertTrue(stray.message!!, stray.message!!.startsWith("--qr: 这不是网格通的激活二维码"))
    }

    @Test
    fun `the language chosen in Me is the next start's, and a damaged file means Chinese`() {
        val dir = Files.createTempDirectory("gw-desktop").toFile()
        try {
            val file = File(dir, "language")
            assertNull(LanguageFile(file).load())
            LanguageFile(file).save(Language.EN)
            assertEquals(Language.EN, LanguageFile(file).load())
            file.writeText("klingon")
            assertNull(LanguageFile(file).load())
        } finally {
            dir.deleteRecursively()
        }
    }

    @Test
    fun `the secret file survives a restart and is readable by its owner only`() {
        val dir = Files.createTempDirectory("gw-desktop").toFile()
        try {
            val file = File(dir, "secrets.properties")
            FileSecretStore(file).put("gridwork.device_credential", "gwd_secret")
            assertEquals("gwd_secret", FileSecretStore(file).get("gridwork.device_credential"))
            val perms = Files.getPosixFilePermissions(file.toPath()).map { it.name }.sorted()
            assertEquals(listOf("OWNER_READ", "OWNER_WRITE"), perms)
            FileSecretStore(file).delete("gridwork.device_credential")
            assertNull(FileSecretStore(file).get("gridwork.device_credential"))
        } finally {
            dir.deleteRecursively()
        }
    }
}
