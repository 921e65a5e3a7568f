package org.gridwork.app

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertTextContains
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runSkikoComposeUiTest
import java.io.File
import org.gridwork.app.i18n.Language
import org.gridwork.app.testing.ServerRule
import org.gridwork.app.testing.LARGE_FONT_DENSITY
import org.gridwork.app.testing.PHONE_DENSITY
import org.gridwork.app.testing.PHONE_HEIGHT_PX
import org.gridwork.app.testing.PHONE_WIDTH_PX
import org.gridwork.app.testing.Phone
import org.gridwork.app.testing.assertAccessible
import org.gridwork.app.testing.awaitTag
import org.gridwork.app.testing.awaitText
import org.gridwork.app.testing.screenshot
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test

/**
 * 激活 and 今日 against a real server and the real core: a worker enrols
 * with an activation code (after a wrong one, an unreachable server and an
 * empty field), lands on Today with the grid's due visits, starts and ends
 * a patrol, and the reopened app goes straight to Today.
 */
@OptIn(ExperimentalTestApi::class)
class EnrolAndTodayTest {
    @get:Rule
    val env = ServerRule()
    private val dir get() = env.dir
    private val server get() = env.server

    @Test
    fun `a worker enrols, sees today, patrols, and the reopened app opens on today`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            var phone = Phone(dir, "w1")
            var app by mutableStateOf(phone.app)
            setContent { GridworkApp(app) }
            try {
                awaitTag("enrol.submit")
                screenshot("01-enrol")
                assertAccessible(PHONE_DENSITY)

                // An empty form: the first missing field is named.
                onNodeWithTag("enrol.submit").performClick()
                awaitTag("enrol.error")
                onNodeWithTag("enrol.error").assertTextContains("请填写服务器地址")

                // A server that is not there.
                onNodeWithTag("enrol.server").performTextInput("http://127.0.0.1:9")
                onNodeWithTag("enrol.code").performTextInput("AAAAA-AAAAA")
                onNodeWithTag("enrol.submit").performClick()
                awaitText("无法连接服务器")

                // The right server, a wrong code: refused, nothing kept.
                onNodeWithTag("enrol.server").performTextClearance()
                onNodeWithTag("enrol.server").performTextInput(server.url)
                onNodeWithTag("enrol.submit").performClick()
                awaitText("激活码")
                assertFalse("no credential kept after a refused code", phone.store.hasDeviceCredential())
                screenshot("01-enrol-wrong-code")

                onNodeWithTag("enrol.code").performTextClearance()
                onNodeWithTag("enrol.code").performTextInput(server.codeFor("w1").lowercase())
                onNodeWithTag("enrol.submit").performClick()
                awaitTag("today.due")
                assertTrue(phone.store.hasDeviceCredential())
                onNodeWithTag("today.due").assertTextContains("今日待走访 3 户（处）")
                onNodeWithTag("today.grid.G1").assertTextContains("3 户 · 待走访 3 · 在办事件 0", substring = true)
                onNodeWithTag("today.lastSync").assertTextContains("上次同步", substring = true)
                onNodeWithTag("today.noCases").assertExists()
                screenshot("02-today")
                assertAccessible(PHONE_DENSITY)

                // A patrol starts and ends from Today; the core records it.
                onNodeWithTag("today.patrol.G1").performClick()
                awaitText("结束巡查")
                assertEquals("G1", phone.store.today(phone.app.session.today().toString()).openPatrol?.gridCode)
                onNodeWithTag("today.patrol.G1").performClick()
                awaitText("开始巡查")
                assertEquals(1u, phone.store.myDay(phone.app.session.today().toString()).patrols)
                onNodeWithTag("today.pending").assertTextContains("项操作待上传", substring = true)
                onNodeWithTag("today.syncNow").performClick()
                awaitText("全部已同步")

                // Closed and opened again: no enrolment, straight to Today.
                phone = phone.reopen()
                app = phone.app
                awaitTag("today.due")
                onNodeWithTag("today.grid.G1").assertExists()
            } finally {
                phone.close()
            }
        }

    @Test
    fun `a scanned activation QR code fills in the form, and a stray QR code is refused with the reason`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            val phone = Phone(dir, "w1")
            var scans = 0
            // The platform's scanner: on Android zxing's activity, here the text it would return.
            var nextScan = ""
            setContent { GridworkApp(phone.app, onScanQr = { scans++; phone.app.enrol.onScanned(nextScan) }) }
            try {
                awaitTag("enrol.scan")
                nextScan = "https://weixin.qq.com/x/abc"
                onNodeWithTag("enrol.scan").performClick()
                awaitTag("enrol.error")
                onNodeWithTag("enrol.error").assertTextContains("这不是网格通的激活二维码", substring = true)
                assertFalse(phone.store.hasDeviceCredential())

                nextScan = server.qrFor("w1")
                onNodeWithTag("enrol.scan").performClick()
                waitUntil(timeoutMillis = 5_000) { phone.app.enrol.state.value.serverUrl == server.url }
                onNodeWithTag("enrol.error").assertDoesNotExist()
                assertEquals(2, scans)
                assertFalse("a scan alone never enrols", phone.store.hasDeviceCredential())
                onNodeWithTag("enrol.submit").performClick()
                awaitTag("today.due")
                assertTrue(phone.store.hasDeviceCredential())
            } finally {
                phone.close()
            }
        }

    @Test
    fun `english and a larger font show the same screens without clipping`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), LARGE_FONT_DENSITY) {
            Phone(dir, "w1en", Language.EN, server.url).use { phone ->
                setContent { GridworkApp(phone.app) }
                awaitTag("enrol.submit")
                assertAccessible(LARGE_FONT_DENSITY)
                screenshot("en-01-enrol-large-font")
                onNodeWithTag("enrol.code").performTextInput(server.codeFor("w1"))
                onNodeWithTag("enrol.submit").performClick()
                awaitTag("today.due")
                onNodeWithTag("today.due").assertTextContains("3 households and places due a visit")
                assertAccessible(LARGE_FONT_DENSITY)
                screenshot("en-02-today-large-font")
            }
        }
}
