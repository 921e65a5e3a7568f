package org.gridwork.app.testing

import java.io.File
import java.util.Properties
import org.gridwork.core.SecretStore

/** Secrets in memory: a phone whose keystore lives as long as the test. */
class MemorySecrets : SecretStore {
    val map = mutableMapOf<String, String>()
    override fun get(key: String): String? = map[key]
    override fun put(key: String, value: String) { map[key] = value }
    override fun delete(key: String) { map.remove(key) }
}

/**
 * Secrets in a file, so that they outlive the app object as the Android
 * Keystore outlives the process: the app can be closed and opened again.
 */
class FileSecrets(private val file: File) : SecretStore {
    @Synchronized
    private fun load() = Properties().apply { if (file.exists()) file.inputStream().use { load(it) } }

    @Synchronized
    private fun save(p: Properties) = file.outputStream().use { p.store(it, null) }

    override fun get(key: String): String? = load().getProperty(key)
    override fun put(key: String, value: String) = save(load().apply { setProperty(key, value) })
    override fun delete(key: String) = save(load().apply { remove(key) })
}
