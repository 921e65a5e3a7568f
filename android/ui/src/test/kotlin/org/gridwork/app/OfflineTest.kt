package org.gridwork.app

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertTextContains
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollToNode
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runSkikoComposeUiTest
import java.io.File
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
import org.gridwork.core.Priority
import org.gridwork.core.Severity
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test

/**
 * Offline against a real server that is killed (SIGKILL) and started
 * again: the worker records a visit and a case and resolves a case with no
 * server; "sync now" says the server cannot be reached and keeps
 * everything; the app is closed and reopened; meanwhile the secretary
 * reassigned the case. When the server is back, sync completes: the visit
 * and the new case reach the secretary, and the resolve that lost to the
 * reassignment is shown as a conflict with the server's reason.
 */
@OptIn(ExperimentalTestApi::class)
class OfflineTest {
    @get:Rule
    val env = ServerRule()
    private val dir get() = env.dir
    private val server get() = env.server

    @Test
    fun `work done offline survives a restart and syncs when the server returns, with the conflict shown`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            var worker = Phone.enrolled(dir, "w1", server, "w1")
            val secretary = Phone.enrolled(dir, "s1", server, "s1")
            try {
                val s = secretary.store
                val drain = CaseDraft(Category(Priority.RISK_SCREENING, "public_facility"), Severity.NORMAL, "井盖缺失", "", "H002", "G1", null, listOf())
                val manhole = worker.store.reportCase(drain, listOf(), null).case.id
                runBlocking { worker.store.sync(null); s.sync(null) }
                s.actOnCase(manhole, CaseAction.File(Difficulty.NORMAL, ""), listOf())
                s.actOnCase(manhole, CaseAction.Dispatch("w1"), listOf())
                runBlocking { s.sync(null); worker.store.sync(null) }
                worker.store.actOnCase(manhole, CaseAction.Accept, listOf())
                runBlocking { worker.store.sync(null) }

                // The server goes away.
                server.kill()
                var app by mutableStateOf(worker.app)
                setContent { GridworkApp(app) }
                awaitTag("today.syncNow")

                // A visit through the app, offline.
                worker.app.openVisit("H002")
                awaitTag("item.ep.symptoms.none")
                for (tag in listOf("item.ep.symptoms.none", "item.ws.gas_use.piped", "item.ws.gas_smell.no", "item.rs.house_condition.sound")) {
                    onNodeWithTag("visit.list").performScrollToNode(hasTestTag(tag))
                    onNodeWithTag(tag).performClick()
                }
                onNodeWithTag("visit.list").performScrollToNode(hasTestTag("visit.save"))
                onNodeWithTag("visit.save").performClick()
                awaitTag("visit.saved")
                onNodeWithTag("visit.noHazards").assertExists()
                onNodeWithTag("visit.done").performClick()
                awaitTag("today.syncNow")

                // A new case, and the manhole resolved, both offline.
                val lamp = CaseDraft(Category(Priority.RISK_SCREENING, "public_facility"), Severity.NORMAL, "路灯不亮", "", "H003", "G1", null, listOf())
                val newCase = worker.store.reportCase(lamp, listOf(), null).case.id
                worker.app.openCase(manhole)
                awaitTag("case.action.RESOLVE")
                onNodeWithTag("case.action.RESOLVE").performClick()
                awaitTag("action.text")
                onNodeWithTag("action.text").performTextInput("已放置警示牌并更换井盖")
                onNodeWithTag("action.camera").performClick()
                awaitText("处理后照片 1 张")
                onNodeWithTag("action.submit").performClick()
                awaitText("已处置完毕")
                onNodeWithTag("back").performClick()

                // Sync now: no server; the message says so and nothing is lost.
                awaitTag("today.syncNow")
                val pending = worker.store.pendingOperations()
                assertTrue("visit, case and resolve wait: $pending", pending >= 3uL)
                onNodeWithTag("today.syncNow").performClick()
                awaitTag("today.message")
                onNodeWithTag("today.message").assertTextContains("无法连接服务器", substring = true)
                assertEquals(pending, worker.store.pendingOperations())

                // The app is closed and opened again: the work is still there.
                worker = worker.reopen()
                app = worker.app
                awaitTag("today.pending")
                onNodeWithTag("today.pending").assertTextContains("$pending 项操作待上传")

                // The server returns; the secretary had reassigned the manhole meanwhile.
                server.restart()
                runBlocking { s.sync(null) }
                s.actOnCase(manhole, CaseAction.Reassign("s1", "网格员联系不上，村里直接处理"), listOf())
                runBlocking { s.sync(null) }

                onNodeWithTag("today.openSync").performClick()
                awaitTag("sync.now")
                onNodeWithTag("sync.now").performClick()
                awaitTag("sync.pending")
                awaitText("没有待上传的操作")
                val conflict = worker.store.conflicts(false).single()
                assertEquals(manhole, conflict.entityId)
                awaitTag("sync.conflict.${conflict.id}.reason")
                screenshot("13-sync-conflict")
                assertAccessible(PHONE_DENSITY)
                onNodeWithTag("sync.conflict.${conflict.id}.seen").performClick()
                waitUntil(timeoutMillis = 10_000) { worker.store.conflicts(true).isEmpty() }

                // Nothing lost: the secretary's phone has the visit and the new case; the reassignment won.
                runBlocking { s.sync(null) }
                assertEquals(1, s.householdDetail("H002").recentVisits.size)
                assertEquals(CaseState.REPORTED, s.caseDetail(newCase).case.state)
                assertEquals("s1", s.caseDetail(manhole).case.handlerId)
                assertEquals(CaseState.DISPATCHED, s.caseDetail(manhole).case.state)
            } finally {
                worker.close()
                secretary.close()
            }
        }
}
