package org.gridwork.android

import android.content.Context
import android.util.Base64
import java.io.File
import java.nio.file.Files
import javax.crypto.AEADBadTagException
import kotlinx.coroutines.runBlocking
import org.gridwork.android.platform.KeystoreSecretStore
import org.gridwork.android.testing.TestAndroidKeyStore
import org.gridwork.app.testing.GridworkServer
import org.gridwork.core.GridworkException
import org.gridwork.core.GridworkStore
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35], manifest = Config.NONE)
class KeystoreSecretStoreTest {
    private val context: Context get() = RuntimeEnvironment.getApplication()
    private lateinit var dir: File

    @Before
    fun setUp() {
        TestAndroidKeyStore.install()
        TestAndroidKeyStore.clear()
        dir = Files.createTempDirectory("gridwork-keystore").toFile()
    }

    @After
    fun tearDown() {
        dir.deleteRecursively()
    }

    @Test
    fun `a secret survives a new store object, and only ciphertext reaches the preferences`() {
        KeystoreSecretStore(context).put("gridwork.device_credential", "dev_secret_token_123")
        assertEquals(setOf("gridwork.secrets"), TestAndroidKeyStore.aliases)

        // The process restarted: a new object, the same Keystore key and preferences.
        val again = KeystoreSecretStore(context)
        assertEquals("dev_secret_token_123", again.get("gridwork.device_credential"))
        val raw = context.getSharedPreferences("gridwork.secrets", Context.MODE_PRIVATE).getString("gridwork.device_credential", null)
        assertNotNull(raw)
        assertFalse("plaintext on disk: $raw", raw!!.contains("dev_secret"))
        assertFalse(String(Base64.decode(raw, Base64.NO_WRAP), Charsets.ISO_8859_1).contains("dev_secret"))

        again.delete("gridwork.device_credential")
        assertNull(KeystoreSecretStore(context).get("gridwork.device_credential"))
        assertNull(again.get("never.stored"))
    }

    @Test
    fun `a damaged or moved secret is an error, never a wrong value`() {
        val store = KeystoreSecretStore(context)
        store.put("a", "first")
        store.put("b", "second")
        val prefs = context.getSharedPreferences("gridwork.secrets", Context.MODE_PRIVATE)
        val sealedA = prefs.getString("a", null)!!

        // Moved under another name: the name is bound into the ciphertext.
        prefs.edit().putString("b", sealedA).commit()
        assertThrows(AEADBadTagException::class.java) { store.get("b") }

        // One bit flipped.
        val bytes = Base64.decode(sealedA, Base64.NO_WRAP).also { it[it.size - 1] = (it[it.size - 1].toInt() xor 1).toByte() }
        prefs.edit().putString("a", Base64.encodeToString(bytes, Base64.NO_WRAP)).commit()
        assertThrows(AEADBadTagException::class.java) { store.get("a") }
    }

    @Test
    fun `an enrolled encrypted store reopens with its credential and key from the Keystore`() {
        GridworkServer(File(dir, "server-home")).use { server ->
            val path = File(dir, "device.db").path
            GridworkStore.open(path, KeystoreSecretStore(context)).use { phone ->
                runBlocking { phone.activate(server.url, server.codeFor("w1"), "测试手机") }
                assertTrue(phone.hasDeviceCredential())
            }
            // The app was closed; the core's secrets (device credential, store key) come back from the Keystore.
            GridworkStore.open(path, KeystoreSecretStore(context)).use { phone ->
                assertTrue(phone.hasDeviceCredential())
                assertEquals("w1", phone.deviceOwner()?.id)
            }
            // Without the Keystore key the store cannot be opened with the old secrets: nothing is readable.
            TestAndroidKeyStore.clear()
            val failure = runCatching { GridworkStore.open(path, KeystoreSecretStore(context)).use { it.hasDeviceCredential() } }
            assertTrue("opened without the key: $failure", failure.exceptionOrNull() is GridworkException.Platform)
        }
    }
}
