package org.gridwork.app.testing

import java.io.File
import java.nio.file.Files
import java.time.Instant
import org.junit.rules.ExternalResource

/**
 * A temporary folder with a real `gridwork serve` in it for each test
 * (the test township loaded), stopped and removed afterwards.
 */
class ServerRule(private val testClock: Instant? = null) : ExternalResource() {
    lateinit var dir: File
        private set
    lateinit var server: GridworkServer
        private set

    override fun before() {
        dir = Files.createTempDirectory("gridwork-ui").toFile()
        server = GridworkServer(File(dir, "srv").apply { mkdirs() }, testClock)
    }

    override fun after() {
        server.close()
        dir.deleteRecursively()
    }
}
