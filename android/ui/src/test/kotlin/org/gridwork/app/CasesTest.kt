package org.gridwork.app

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertTextContains
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runSkikoComposeUiTest
import java.io.File
import java.time.Instant
import kotlinx.coroutines.runBlocking
import org.gridwork.app.testing.ServerRule
import org.gridwork.app.testing.PHONE_DENSITY
import org.gridwork.app.testing.PHONE_HEIGHT_PX
import org.gridwork.app.testing.PHONE_WIDTH_PX
import org.gridwork.app.testing.Phone
import org.gridwork.app.testing.assertAccessible
import org.gridwork.app.testing.awaitTag
import org.gridwork.app.testing.awaitText
import org.gridwork.app.testing.screenshot
import org.gridwork.core.CaseAction
import org.gridwork.core.CaseDraft
import org.gridwork.core.CaseState
import org.gridwork.core.Category
import org.gridwork.core.Difficulty
import org.gridwork.core.PhotoInput
import org.gridwork.core.Priority
import org.gridwork.core.Severity
import org.junit.Assert.assertEquals
import org.junit.Rule
import org.junit.Test
import org.gridwork.app.platform.takePhoto

/**
 * 事件 against a real server, two phones: the secretary files and
 * dispatches a case to the grid's worker with the buttons the core allows
 * her; once the worker has resolved two cases, she confirms one and sends
 * the other back (refused without a reason); the worker's phone shows why.
 */
@OptIn(ExperimentalTestApi::class)
class CasesTest {
    @get:Rule
    val env = ServerRule()
    private val dir get() = env.dir
    private val server get() = env.server

    private fun draft(title: String) =
        CaseDraft(Category(Priority.RISK_SCREENING, "public_facility"), Severity.NORMAL, title, "", "H001", "G1", null, listOf())

    @Test
    fun `the secretary dispatches, confirms one case and sends another back, and the worker sees why`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            val worker = Phone.enrolled(dir, "w1", server, "w1")
            val secretary = Phone.enrolled(dir, "s1", server, "s1")
            try {
                val w = worker.store
                val s = secretary.store
                val lamp = w.reportCase(draft("路灯损坏"), listOf(), null).case.id
                val corridor = w.reportCase(draft("楼道堆放杂物"), listOf(), null).case.id
                runBlocking { w.sync(null); s.sync(null) }
                var app by mutableStateOf(secretary.app)
                setContent { GridworkApp(app) }
                awaitTag("today.allCases")
                onNodeWithTag("today.allCases").performClick()
                awaitTag("cases.row.$lamp")
                onNodeWithTag("cases.row.$lamp").performClick()
                awaitTag("case.action.FILE")
                onNodeWithTag("case.chain").assertTextContains("处置记录完整", substring = true)
                screenshot("09-case-secretary")
                assertAccessible(PHONE_DENSITY)

                // File, then dispatch to the grid's worker (the picker offers 张网格 first).
                onNodeWithTag("case.action.FILE").performClick()
                awaitTag("action.submit")
                onNodeWithTag("action.submit").performClick()
                awaitText("已立案")
                onNodeWithTag("case.action.DISPATCH").performClick()
                awaitTag("action.handler.w1")
                screenshot("09-case-dispatch")
                onNodeWithTag("action.submit").performClick()
                awaitText("已派遣")
                onNodeWithTag("case.state").assertTextContains("已派遣", substring = true)

                // The corridor case the same way, through the core; both go to the worker.
                s.actOnCase(corridor, CaseAction.File(Difficulty.NORMAL, ""), listOf())
                s.actOnCase(corridor, CaseAction.Dispatch("w1"), listOf())
                runBlocking { s.sync(null); w.sync(null) }
                for (id in listOf(lamp, corridor)) {
                    w.actOnCase(id, CaseAction.Accept, listOf())
                    val after = worker.camera.let { runBlocking { it.takePhoto() } }!!
                    w.actOnCase(id, CaseAction.Resolve("已处理", listOf()), listOf(PhotoInput(null, after.path, "image/jpeg", Instant.now(), null)))
                }
                runBlocking { w.sync(null); s.sync(null) }

                // Back to the list: resolved cases wait for her check, so her
                // open list still has both; she confirms the lamp.
                onNodeWithTag("back").performClick()
                awaitTag("cases.row.$corridor")
                awaitTag("cases.row.$lamp")
                onNodeWithTag("cases.row.$lamp").performClick()
                awaitTag("case.action.CONFIRM")
                onNodeWithTag("case.action.CONFIRM").performClick()
                awaitTag("action.submit")
                onNodeWithTag("action.submit").performClick()
                awaitText("已核查通过")
                assertEquals(CaseState.CONFIRMED, s.caseDetail(lamp).case.state)

                // The corridor: sent back, first without a reason (refused, nothing changes).
                onNodeWithTag("back").performClick()
                awaitTag("cases.row.$corridor")
                onNodeWithTag("cases.row.$corridor").performClick()
                awaitTag("case.action.SEND_BACK")
                onNodeWithTag("case.action.SEND_BACK").performClick()
                awaitTag("action.submit")
                onNodeWithTag("action.submit").performClick()
                awaitTag("action.error")
                assertEquals(CaseState.RESOLVED, s.caseDetail(corridor).case.state)
                onNodeWithTag("action.text").performTextInput("照片看不清楼道，请补拍")
                screenshot("09-case-send-back")
                onNodeWithTag("action.submit").performClick()
                awaitText("已退回")
                runBlocking { s.sync(null); w.sync(null) }

                // The worker's phone: the case is back with the reason.
                app = worker.app
                awaitTag("today.syncNow")
                onNodeWithTag("today.syncNow").performClick()
                awaitTag("today.case.$corridor")
                onNodeWithTag("today.case.$corridor").performClick()
                awaitTag("case.sendBackReason")
                onNodeWithTag("case.sendBackReason").assertTextContains("退回原因：照片看不清楼道，请补拍")
                screenshot("10-case-sent-back-worker")
            } finally {
                worker.close()
                secretary.close()
            }
        }
}
