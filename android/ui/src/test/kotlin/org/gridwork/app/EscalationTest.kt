package org.gridwork.app

import androidx.compose.ui.geometry.Size
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertTextContains
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runSkikoComposeUiTest
import java.io.File
import java.time.Duration
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
import org.gridwork.core.Category
import org.gridwork.core.Difficulty
import org.gridwork.core.Priority
import org.gridwork.core.Severity
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test

/**
 * 消息 and escalation against a real server on a test clock: a case the
 * worker asked more time for runs past its deadline when the server's
 * clock moves three days; the township supervisor's Today shows the unread
 * escalation, the inbox opens the case (marked read), and the supervisor
 * urges the handler and approves the extension with the buttons the core
 * allows.
 */
@OptIn(ExperimentalTestApi::class)
class EscalationTest {
    private val start = Instant.now()

    @get:Rule
    val env = ServerRule(start)
    private val dir get() = env.dir
    private val server get() = env.server

    @Test
    fun `three days on, the supervisor sees the escalation, urges and approves the extension`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            val worker = Phone.enrolled(dir, "w1", server, "w1")
            val secretary = Phone.enrolled(dir, "s1", server, "s1")
            val supervisor = Phone.enrolled(dir, "t1", server, "t1")
            try {
                val w = worker.store
                val s = secretary.store
                val draft = CaseDraft(Category(Priority.RISK_SCREENING, "public_facility"), Severity.NORMAL, "排水沟堵塞", "", "H002", "G1", null, listOf())
                val id = w.reportCase(draft, listOf(), null).case.id
                runBlocking { w.sync(null); s.sync(null) }
                s.actOnCase(id, CaseAction.File(Difficulty.NORMAL, ""), listOf())
                s.actOnCase(id, CaseAction.Dispatch("w1"), listOf())
                runBlocking { s.sync(null); w.sync(null) }
                w.actOnCase(id, CaseAction.Accept, listOf())
                w.actOnCase(id, CaseAction.RequestExtension(5u, "需协调市政疏通车"), listOf())
                runBlocking { w.sync(null) }

                // Three days (and a little) later by the server's clock: past the deadline.
                server.setClock(start.plus(Duration.ofDays(3).plusHours(2)))
                setContent { GridworkApp(supervisor.app) }
                awaitTag("today.syncNow")
                onNodeWithTag("today.syncNow").performClick()
                awaitText("条未读消息")
                assertTrue(
                    "a supervisor is not offered a patrol",
                    onAllNodes(androidx.compose.ui.test.hasTestTag("today.patrol.G1")).fetchSemanticsNodes().isEmpty(),
                )
                onNodeWithTag("today.inbox").performClick()
                awaitTag("inbox.unread")
                screenshot("11-inbox")
                assertAccessible(PHONE_DENSITY)
                val items = supervisor.store.inbox(false, 0u, 10u).items
                val item = items.first { it.kind == org.gridwork.core.InboxKind.ESCALATED }
                assertEquals(id, item.caseId)
                assertTrue("every message is about this case: $items", items.all { it.caseId == id })
                onNodeWithTag("inbox.item.${item.id}").performClick()

                // The case, opened from the inbox; the item is now read.
                awaitTag("case.action.URGE")
                assertEquals(items.size.toUInt() - 1u, supervisor.store.inbox(true, 0u, 10u).unread)
                onNodeWithTag("case.extension").assertTextContains("申请延期 5 天：需协调市政疏通车")
                screenshot("12-case-supervisor")
                onNodeWithTag("case.action.URGE").performClick()
                awaitTag("action.text")
                onNodeWithTag("action.text").performTextInput("请今日内疏通，明早报告")
                onNodeWithTag("action.submit").performClick()
                awaitText("已督办")
                awaitTag("case.action.APPROVE_EXTENSION")
                onNodeWithTag("case.action.APPROVE_EXTENSION").performClick()
                awaitTag("action.days")
                onNodeWithTag("action.days").assertTextContains("5")
                onNodeWithTag("action.submit").performClick()
                awaitText("已批准延期")
                runBlocking { supervisor.store.sync(null); w.sync(null) }
                val seen = w.caseDetail(id)
                assertTrue("the worker sees the extension: ${seen.case}", seen.case.extensionDays == 5u && seen.case.pendingExtension == null)
                assertTrue("the worker sees the urge: ${seen.timeline.map { it.summaryZh }}", seen.timeline.any { "请今日内疏通" in it.summaryZh })
            } finally {
                worker.close()
                secretary.close()
                supervisor.close()
            }
        }
}
