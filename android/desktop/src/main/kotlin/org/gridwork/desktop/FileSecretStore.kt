package org.gridwork.desktop

import java.io.File
import java.nio.file.Files
import java.nio.file.attribute.PosixFilePermissions
import java.util.Properties
import org.gridwork.core.SecretStore

/**
 * The desktop's secret store: a properties file readable only by its
 * owner (0600 where the file system has POSIX permissions). A PC has no
 * hardware keystore the JVM can reach portably; the phone apps use the
 * Android Keystore and the iOS Keychain. Written by hand because the JDK
 * has no cross-platform secret store and this needs twenty lines.
 */
class FileSecretStore(private val file: File) : SecretStore {
    @Synchronized
    private fun load() = Properties().apply { if (file.exists()) file.inputStream().use { load(it) } }

    @Synchronized
    private fun save(p: Properties) {
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".tmp")
        tmp.outputStream().use { p.store(it, "Gridwork desktop secrets") }
        runCatching { Files.setPosixFilePermissions(tmp.toPath(), PosixFilePermissions.fromString("rw-------")) }
        Files.move(tmp.toPath(), file.toPath(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE)
    }

    override fun get(key: String): String? = load().getProperty(key)
    override fun put(key: String, value: String) = save(load().apply { setProperty(key, value) })
    override fun delete(key: String) = save(load().apply { remove(key) })
}
