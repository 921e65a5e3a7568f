package org.gridwork.android.testing

import android.security.keystore.KeyGenParameterSpec
import java.io.InputStream
import java.io.OutputStream
import java.security.Key
import java.security.KeyStore
import java.security.KeyStoreSpi
import java.security.Provider
import java.security.SecureRandom
import java.security.Security
import java.security.cert.Certificate
import java.security.spec.AlgorithmParameterSpec
import java.util.Collections
import java.util.Date
import java.util.Enumeration
import javax.crypto.KeyGenerator
import javax.crypto.KeyGeneratorSpi
import javax.crypto.SecretKey

/**
 * An "AndroidKeyStore" JCA provider for Robolectric, which has none
 * (robolectric/robolectric#1518): AES keys generated from a
 * KeyGenParameterSpec and kept by alias for the life of the JVM, as the
 * phone's Keystore keeps them across app restarts. It lets the app's own
 * KeystoreSecretStore run unchanged; the hardware isolation itself can only
 * be checked on a phone.
 */
object TestAndroidKeyStore {
    private val keys = Collections.synchronizedMap(mutableMapOf<String, SecretKey>())

    /** Aliases generated so far (a test can see the key was made in the keystore). */
    val aliases: Set<String> get() = keys.keys.toSet()

    fun install() {
        if (Security.getProvider(NAME) == null) Security.addProvider(TestProvider())
    }

    fun clear() = keys.clear()

    private const val NAME = "AndroidKeyStore"

    private class TestProvider : Provider(NAME, "1.0", "test stand-in for the Android Keystore") {
        init {
            putService(object : Service(this, "KeyStore", NAME, Store::class.java.name, null, null) {
                override fun newInstance(constructorParameter: Any?): Any = Store()
            })
            putService(object : Service(this, "KeyGenerator", "AES", Generator::class.java.name, null, null) {
                override fun newInstance(constructorParameter: Any?): Any = Generator()
            })
        }
    }

    private class Generator : KeyGeneratorSpi() {
        private var spec: KeyGenParameterSpec? = null

        override fun engineInit(random: SecureRandom?) = throw UnsupportedOperationException("the Keystore needs a KeyGenParameterSpec")
        override fun engineInit(keysize: Int, random: SecureRandom?) = throw UnsupportedOperationException("the Keystore needs a KeyGenParameterSpec")
        override fun engineInit(params: AlgorithmParameterSpec?, random: SecureRandom?) {
            spec = params as? KeyGenParameterSpec ?: throw IllegalArgumentException("not a KeyGenParameterSpec: $params")
        }

        override fun engineGenerateKey(): SecretKey {
            val s = spec ?: throw IllegalStateException("not initialised")
            val key = KeyGenerator.getInstance("AES", "SunJCE").apply { init(s.keySize) }.generateKey()
            keys[s.keystoreAlias] = key
            return key
        }
    }

    private class Store : KeyStoreSpi() {
        override fun engineGetKey(alias: String, password: CharArray?): Key? = keys[alias]
        override fun engineGetCertificateChain(alias: String?): Array<Certificate>? = null
        override fun engineGetCertificate(alias: String?): Certificate? = null
        override fun engineGetCreationDate(alias: String?): Date? = null
        override fun engineSetKeyEntry(alias: String, key: Key?, password: CharArray?, chain: Array<out Certificate>?) {
            keys[alias] = key as SecretKey
        }
        override fun engineSetKeyEntry(alias: String?, key: ByteArray?, chain: Array<out Certificate>?) = throw UnsupportedOperationException()
        override fun engineSetCertificateEntry(alias: String?, cert: Certificate?) = throw UnsupportedOperationException()
        override fun engineDeleteEntry(alias: String) {
            keys.remove(alias)
        }
        override fun engineAliases(): Enumeration<String> = Collections.enumeration(keys.keys.toList())
        override fun engineContainsAlias(alias: String): Boolean = alias in keys
        override fun engineSize(): Int = keys.size
        override fun engineIsKeyEntry(alias: String): Boolean = alias in keys
        override fun engineIsCertificateEntry(alias: String?): Boolean = false
        override fun engineGetCertificateAlias(cert: Certificate?): String? = null
        override fun engineStore(stream: OutputStream?, password: CharArray?) = Unit
        override fun engineLoad(stream: InputStream?, password: CharArray?) = Unit
        override fun engineLoad(param: KeyStore.LoadStoreParameter?) = Unit
    }
}
