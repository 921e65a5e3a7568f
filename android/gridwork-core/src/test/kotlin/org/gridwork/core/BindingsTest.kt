package org.gridwork.core

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The generated Kotlin bindings against the real host-built library: the
 * same scenario as the Swift tests in ios/GridworkCore.
 */
class BindingsTest {
    @Test
    fun `core version is a semantic version`() {
        assertTrue(Regex("""\d+\.\d+\.\d+""").matches(coreVersion()), coreVersion())
    }

    @Test
    fun `ID and phone numbers are masked`() {
        assertEquals("440308********1234", maskIdNumber("440308199001011234"))
        assertEquals("138****5678", maskPhone("13812345678"))
        // Non-ASCII input crosses the boundary intact.
        assertEquals("*话", maskPhone("电话"))
    }

    @Test
    fun `a valid ID number passes`() {
        validateIdNumber("11010519491231002X")
    }

    @Test
    fun `a wrong check digit throws Invalid naming the field`() {
        val e = assertThrows<GridworkException.Invalid> { validateIdNumber("110105194912310021") }
        assertEquals("id_number", e.field)
        assertTrue(e.reason.contains("check digit"), e.reason)
    }

    @Test
    fun `a short ID number says how long it was`() {
        val e = assertThrows<GridworkException.Invalid> { validateIdNumber("1234") }
        assertEquals("id_number", e.field)
        assertTrue(e.reason.contains("got 4"), e.reason)
    }

    @Test
    fun `every GridworkException is one catchable type`() {
        val e: GridworkException = assertThrows<GridworkException> { validatePhone("abc") }
        assertTrue(e is GridworkException.Invalid && e.field == "phone", e.toString())
    }

    @Test
    fun `a masker keeps state and fails cleanly once closed`() {
        val masker = PiiMasker()
        masker.use {
            assertEquals("440308********1234", it.mask(PiiField.ID_NUMBER, "440308199001011234"))
            assertEquals("138****5678", it.mask(PiiField.PHONE, "13812345678"))
            assertEquals(2uL, it.maskedCount())
        }
        assertTrue(masker.uniffiIsDestroyed)
        val e = assertThrows<IllegalStateException> { masker.maskedCount() }
        assertTrue(e.message!!.contains("destroyed"), e.message)
        masker.close() // closing twice is harmless
    }

    @Test
    fun `a masker is shared across coroutines on several threads`() {
        PiiMasker().use { masker ->
            runBlocking {
                (1..8).map {
                    async(Dispatchers.Default) {
                        repeat(250) { assertEquals("138****5678", masker.mask(PiiField.PHONE, "13812345678")) }
                    }
                }.awaitAll()
            }
            assertEquals(2000uL, masker.maskedCount())
        }
    }
}
