package org.gridwork.app

import androidx.compose.ui.geometry.Size
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertTextContains
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runSkikoComposeUiTest
import java.io.File
import org.gridwork.app.testing.ServerRule
import org.gridwork.app.testing.PHONE_DENSITY
import org.gridwork.app.testing.PHONE_HEIGHT_PX
import org.gridwork.app.testing.PHONE_WIDTH_PX
import org.gridwork.app.testing.Phone
import org.gridwork.app.testing.assertAccessible
import org.gridwork.app.testing.awaitTag
import org.gridwork.app.testing.awaitText
import org.gridwork.app.testing.screenshot
import org.gridwork.core.CaseDraft
import org.gridwork.core.Category
import org.gridwork.core.Priority
import org.gridwork.core.QuietHours
import org.gridwork.core.Severity
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Rule
import org.junit.Test

/**
 * 我的 against a real server: the language switches the whole app, quiet
 * hours are checked by the core (a bad time refused, a good pair kept),
 * and forgetting the phone warns about unsynced work, then wipes it and
 * returns to Enrol.
 */
@OptIn(ExperimentalTestApi::class)
class MeTest {
    @get:Rule
    val env = ServerRule()
    private val dir get() = env.dir
    private val server get() = env.server

    @Test
    fun `language, quiet hours, and forgetting the phone after a warning`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            Phone.enrolled(dir, "w1", server, "w1").use { phone ->
                val draft = CaseDraft(Category(Priority.RISK_SCREENING, "public_facility"), Severity.NORMAL, "护栏松动", "", "H001", "G1", null, listOf())
                phone.store.reportCase(draft, listOf(), null)
                setContent { GridworkApp(phone.app) }
                awaitTag("today.me")
                onNodeWithTag("today.me").performClick()
                awaitTag("me.user")
                onNodeWithTag("me.user").assertTextContains("本机使用人：张网格")

                // English everywhere, and back.
                onNodeWithTag("me.lang.en").performClick()
                awaitText("This phone belongs to 张网格")
                screenshot("en-14-me")
                onNodeWithTag("me.lang.zh").performClick()
                awaitText("本机使用人")

                // Quiet hours: the core refuses a time that is not one.
                val before = phone.store.quietHours()
                onNodeWithTag("me.quietStart").performTextClearance()
                onNodeWithTag("me.quietStart").performTextInput("25:00")
                onNodeWithTag("me.quietEnd").performTextClearance()
                onNodeWithTag("me.quietEnd").performTextInput("06:30")
                onNodeWithTag("me.saveQuiet").performClick()
                awaitTag("me.error")
                onNodeWithTag("me.error").assertTextContains("时间应为 时:分", substring = true)
                assertEquals("a refused time changes nothing", before, phone.store.quietHours())
                onNodeWithTag("me.quietStart").performTextClearance()
                onNodeWithTag("me.quietStart").performTextInput("23:00")
                onNodeWithTag("me.saveQuiet").performClick()
                awaitText("已保存")
                assertEquals(QuietHours("23:00", "06:30"), phone.store.quietHours())
                screenshot("14-me")
                assertAccessible(PHONE_DENSITY)

                // Forget this phone: the warning counts the unsynced case first.
                onNodeWithTag("me.forget").performClick()
                awaitTag("me.forgetWarning")
                onNodeWithTag("me.forgetWarning").assertTextContains("项操作", substring = true)
                screenshot("14-me-forget")
                onNodeWithTag("me.forgetConfirm").performClick()
                awaitTag("enrol.submit")
                assertFalse(phone.store.hasDeviceCredential())
                assertNull(phone.store.deviceOwner())
                assertEquals(0uL, phone.store.pendingOperations())
            }
        }
}
