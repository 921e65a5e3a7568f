package org.gridwork.core

import java.io.File
import java.nio.file.Files
import java.time.Instant
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The Kotlin helpers the Android app uses, on their own. */
class HelpersTest {
    private fun row(countdown: Long?) = CaseRow(
        id = "c1", title = "软管老化", priority = Priority.WORK_SAFETY, subcategory = "gas_cylinder",
        severity = Severity.NORMAL, state = CaseState.IN_PROGRESS, gridCode = "G1", householdCode = null,
        handlerId = "w1", reportedAt = Instant.EPOCH, deadline = Instant.EPOCH, countdownSecs = countdown,
        countdownLabel = countdownLabel(countdown), escalationLevel = 0u,
    )

    @Test
    fun `overdue follows the core's countdown`() {
        assertTrue(row(-1).isOverdue)
        assertFalse(row(3600).isOverdue)
        assertFalse(row(null).isOverdue)
        assertEquals("超期0分钟 / 0m overdue", row(-1).countdownLabel)
    }

    @Test
    fun `io runs store calls off the caller's thread`() {
        val dir = Files.createTempDirectory("gridwork-kt-io").toFile()
        GridworkStore.open(File(dir, "d.db").path, null).use { store ->
            val caller = Thread.currentThread()
            val (id, thread) = runBlocking { store.io { deviceId() to Thread.currentThread() } }
            assertEquals(36, id.length)
            assertTrue(thread != caller)
        }
        dir.deleteRecursively()
    }

    @Test
    fun `invalid input names its field, other errors do not`() {
        val invalid: GridworkException = GridworkException.Invalid("reason", "请填写理由 / a reason is required")
        assertEquals("reason", invalid.invalidField)
        assertNull(GridworkException.Conflict("moved on").invalidField)
        assertTrue(GridworkException.Conflict("moved on").userMessage.contains("请刷新"))
    }
}
