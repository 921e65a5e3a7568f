package org.gridwork.app

import java.io.File
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * No store call on the UI thread, checked on the sources: a blocking core
 * call from a state holder or a screen would freeze the phone for as long
 * as the call takes. Every call on `store` written directly must be one of
 * the core's `suspend` functions (they run on the core's own threads);
 * everything else goes through `AppSession.call`, which runs on the IO
 * dispatcher. Screens (composables) do not touch the store at all.
 */
class NoStoreCallOnUiThreadTest {
    private val sources = File("src/main/kotlin").walkTopDown().filter { it.isFile && it.extension == "kt" }.toList()
    private val bindings = File(System.getProperty("gridwork.bindings.kotlin") ?: error("gridwork.bindings.kotlin not set"))

    @Test
    fun `direct store calls are only the core's suspend functions`() {
        val suspendCalls = Regex("suspend fun `(\\w+)`").findAll(bindings.readText()).map { it.groupValues[1] }.toSet()
        assertTrue("read the generated bindings", "sync" in suspendCalls && "activate" in suspendCalls)
        val direct = Regex("""\bstore\.(\w+)\(""")
        // AppSession.call itself is where blocking calls run, on the IO dispatcher.
        val blocking = sources.filter { it.name != "AppSession.kt" }.flatMap { file ->
            file.readLines().mapIndexedNotNull { i, line ->
                direct.findAll(line).map { it.groupValues[1] }.filter { it !in suspendCalls }
                    .map { "${file.name}:${i + 1} store.$it" }.toList().ifEmpty { null }
            }.flatten()
        }
        assertEquals("blocking store calls outside AppSession.call", emptyList<String>(), blocking)
    }

    @Test
    fun `screens never reach the store`() {
        val screens = sources.filter { it.name.endsWith("Screen.kt") || it.name == "GridworkApp.kt" || it.name == "GridMapView.kt" }
        assertTrue("found the screens", screens.size >= 10)
        val touching = screens.filter { f -> f.readText().let { "GridworkStore" in it || ".store." in it || "session.call" in it } }.map { it.name }
        assertEquals(emptyList<String>(), touching)
    }
}
