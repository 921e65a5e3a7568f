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
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runSkikoComposeUiTest
import java.io.File
import java.time.Instant
import org.gridwork.app.platform.LocationSource
import org.gridwork.app.testing.ServerRule
import org.gridwork.app.testing.PHONE_DENSITY
import org.gridwork.app.testing.PHONE_HEIGHT_PX
import org.gridwork.app.testing.PHONE_WIDTH_PX
import org.gridwork.app.testing.Phone
import org.gridwork.app.testing.assertAccessible
import org.gridwork.app.testing.awaitCondition
import org.gridwork.app.testing.awaitTag
import org.gridwork.app.testing.awaitText
import org.gridwork.app.testing.screenshot
import org.gridwork.core.LocationFix
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.gridwork.core.NetworkKind
import org.gridwork.core.NetworkPolicy
import org.junit.Rule
import org.junit.Test

/**
 * 走访 and 上报 against a real server: the worker visits 刘奶奶, is told
 * which required answer is missing and which photo is unreadable (nothing
 * saved either time), answers the checklist, and the gas smell found
 * pre-fills a critical case; the case is reported with a real JPEG, and
 * "sync now" carries the visit, the case and both photos to the server.
 */
@OptIn(ExperimentalTestApi::class)
class VisitAndReportTest {
    private val atH001 = LocationSource { LocationFix(22.5015, 113.9015, 8.0, "gps", false, Instant.now()) }
    @get:Rule
    val env = ServerRule()
    private val dir get() = env.dir
    private val server get() = env.server

    private fun androidx.compose.ui.test.ComposeUiTest.scrollTo(tag: String) =
        onNodeWithTag("visit.list").performScrollToNode(hasTestTag(tag))

    @Test
    fun `a visit finds a gas smell, the pre-filled case is reported with a photo, and sync stores both`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            Phone.enrolled(dir, "w1", server, "w1", location = atH001).use { phone ->
                val today = { phone.store.today(phone.app.session.today().toString()) }
                setContent { GridworkApp(phone.app) }
                awaitTag("today.grid.G1")
                phone.app.openHousehold("H001")
                awaitTag("household.visit")
                onNodeWithTag("household.visit").performClick()
                awaitTag("item.ep.symptoms")
                onNodeWithTag("visit.fix").assertTextContains("定位精度 8 米（gps）")
                screenshot("06-visit")
                assertAccessible(PHONE_DENSITY)

                // Nothing answered: the core names the first missing answer; nothing saved.
                scrollTo("visit.save")
                onNodeWithTag("visit.save").performClick()
                awaitTag("visit.error")
                onNodeWithTag("visit.error").assertTextContains("必", substring = true)
                assertEquals(0u, today().day.visits)

                answerGasSmell()

                // A photo the camera left empty: refused by name, nothing saved.
                phone.camera.nextIsEmpty = true
                scrollTo("item.ws.gas_cylinder_photo.camera")
                onNodeWithTag("item.ws.gas_cylinder_photo.camera").performClick()
                awaitText("已拍 1 张")
                scrollTo("visit.save")
                onNodeWithTag("visit.save").performClick()
                awaitText("照片文件为空")
                assertEquals(0u, today().day.visits)
                assertEquals(0u, phone.store.uploadQueueStatus().waiting)
                scrollTo("item.ws.gas_cylinder_photo.clear")
                onNodeWithTag("item.ws.gas_cylinder_photo.clear").performClick()
                onNodeWithTag("item.ws.gas_cylinder_photo.camera").performClick()
                awaitText("已拍 1 张")

                scrollTo("visit.notes")
                onNodeWithTag("visit.notes").performTextInput("厨房有燃气味，已提醒开窗")
                scrollTo("visit.save")
                onNodeWithTag("visit.save").performClick()
                awaitTag("visit.saved")
                onNodeWithTag("visit.verdict").assertTextContains("位置相符")
                awaitText("已预填事件")
                assertEquals(1u, today().day.visits)
                screenshot("07-visit-saved")

                // The pre-filled case, with a photo of the problem.
                onNodeWithTag("visit.draft.0.report").performClick()
                awaitTag("report.title")
                onNodeWithTag("report.camera").performClick()
                awaitText("现场照片 1 张")
                screenshot("08-report")
                assertAccessible(PHONE_DENSITY)
                onNodeWithTag("report.submit").performClick()
                awaitTag("report.done")
                onNodeWithTag("report.evidence").assertTextContains("附照片 2 张")
                val case = today().openCases.single()
                assertTrue(case.title, case.title.contains("燃气"))

                // Back to Today: two photos and the operations wait; sync now sends them.
                onNodeWithTag("report.close").performClick()
                awaitTag("visit.done")
                onNodeWithTag("visit.done").performClick()
                awaitTag("back")
                phone.app.back()
                awaitTag("today.photos")
                onNodeWithTag("today.photos").assertTextContains("2 张照片待上传", substring = true)
                onNodeWithTag("today.case.${case.id}").assertTextContains("剩余", substring = true)
                screenshot("02-today-with-work")
                onNodeWithTag("today.syncNow").performClick()
                awaitText("全部已同步")
                val queue = phone.store.uploadQueueStatus()
                assertEquals(0u, queue.waiting + queue.uploading + queue.failed)
                assertTrue("nothing left in the queue: ${queue.items}", queue.items.isEmpty())
                assertEquals(2u, queue.stored)
            }
        }

    @Test
    fun `the camera app gets the app killed mid-visit, Today lists the visit, which comes back with its photo`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            var phone = Phone.enrolled(dir, "w1", server, "w1", location = atH001)
            try {
                var app by mutableStateOf(phone.app)
                setContent { GridworkApp(app) }
                awaitTag("today.grid.G1")
                phone.app.openVisit("H001")
                awaitTag("item.ep.symptoms")
                answerGasSmell()
                scrollTo("visit.notes")
                onNodeWithTag("visit.notes").performTextInput("灶台旁有异味")
                // The camera app writes its JPEG, and this app is killed before the result comes back.
                phone.camera.nextKillsTheApp = true
                scrollTo("item.ws.gas_cylinder_photo.camera")
                onNodeWithTag("item.ws.gas_cylinder_photo.camera").performClick()
                val written = File(dir, "w1-camera/IMG_0001.jpg")
                awaitCondition("the camera wrote its photo") { written.length() > 0 }
                phone = phone.reopen()
                app = phone.app

                // Reopened on Today: the unfinished visit, with what was answered and the photo.
                awaitTag("today.unfinished.H001")
                onNodeWithTag("today.unfinished.H001").assertTextContains("已答 4 项 · 照片 1 张", substring = true)
                screenshot("02-today-unfinished-visit")
                onNodeWithTag("today.unfinished.H001").performClick()
                awaitTag("visit.restored")
                awaitText("已恢复上次未完成的走访：已答 4 项，照片 1 张")
                scrollTo("visit.notes")
                onNodeWithTag("visit.notes").assertTextContains("灶台旁有异味")
                scrollTo("item.ws.gas_cylinder_photo.camera")
                awaitText("已拍 1 张")
                scrollTo("visit.restored")
                screenshot("06-visit-restored")
                assertAccessible(PHONE_DENSITY)

                // Saved: the photo the camera took while the app was dead is the visit's evidence, and the draft is gone.
                scrollTo("visit.save")
                onNodeWithTag("visit.save").performClick()
                awaitTag("visit.saved")
                awaitText("已预填事件")
                val day = phone.store.today(phone.app.session.today().toString())
                assertEquals(1u, day.day.visits)
                assertEquals(1u, day.day.photos)
                assertTrue("no unfinished visit left: ${day.unfinishedVisits}", day.unfinishedVisits.isEmpty())
            } finally {
                phone.close()
            }
        }

    @Test
    fun `starting over drops the unfinished visit and its photo`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            Phone.enrolled(dir, "w1", server, "w1", location = atH001).use { phone ->
                setContent { GridworkApp(phone.app) }
                awaitTag("today.grid.G1")
                phone.app.openVisit("H001")
                awaitTag("item.ep.symptoms")
                scrollTo("item.ws.gas_smell.yes")
                onNodeWithTag("item.ws.gas_smell.yes").performClick()
                scrollTo("item.ws.gas_cylinder_photo.camera")
                onNodeWithTag("item.ws.gas_cylinder_photo.camera").performClick()
                awaitText("已拍 1 张")
                awaitCondition("the draft is kept") { phone.store.visitDraft("H001")?.photos?.size == 1 }
                val photo = File(phone.store.visitDraft("H001")!!.photos.single().path)
                // An answer given just before leaving is kept too.
                scrollTo("item.ws.gas_use.piped")
                onNodeWithTag("item.ws.gas_use.piped").performClick()
                phone.app.back()
                awaitTag("today.unfinished.H001")
                awaitCondition("the last answer is in the draft") {
                    phone.store.visitDraft("H001")?.answers?.any { it.itemCode == "ws.gas_use" } == true
                }

                onNodeWithTag("today.unfinished.H001").performClick()
                awaitTag("visit.startOver")
                onNodeWithTag("visit.startOver").performClick()
                awaitCondition("the draft is gone") { phone.store.visitDraft("H001") == null }
                onNodeWithTag("visit.restored").assertDoesNotExist()
                assertTrue("the photo's file is deleted", !photo.exists())
                phone.app.back()
                awaitTag("today.grid.G1")
                onNodeWithTag("today.unfinished.H001").assertDoesNotExist()
            }
        }

    /** The required answers of H001's checklist, with a gas smell (a hazard). */
    private fun androidx.compose.ui.test.ComposeUiTest.answerGasSmell() {
        for (tag in listOf("item.ep.symptoms.none", "item.ws.gas_use.piped", "item.ws.gas_smell.yes", "item.rs.house_condition.sound")) {
            scrollTo(tag)
            onNodeWithTag(tag).performClick()
        }
    }

    /** Answers H001's checklist with a gas smell (a hazard) and saves the visit. */
    private fun androidx.compose.ui.test.ComposeUiTest.visitWithGasSmell(phone: Phone) {
        phone.app.openHousehold("H001")
        awaitTag("household.visit")
        onNodeWithTag("household.visit").performClick()
        awaitTag("item.ep.symptoms")
        answerGasSmell()
        scrollTo("item.ws.gas_cylinder_photo.camera")
        onNodeWithTag("item.ws.gas_cylinder_photo.camera").performClick()
        awaitText("已拍 1 张")
        scrollTo("visit.save")
        onNodeWithTag("visit.save").performClick()
        awaitTag("visit.saved")
        awaitText("已预填事件")
    }

    @Test
    fun `a hazard resolved on the spot with an after-photo, photos held for Wi-Fi, then sent on any network`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            Phone.enrolled(dir, "w1", server, "w1", location = atH001).use { phone ->
                setContent { GridworkApp(phone.app) }
                awaitTag("today.grid.G1")
                visitWithGasSmell(phone)

                onNodeWithTag("visit.draft.0.report").performClick()
                awaitTag("report.title")
                onNodeWithTag("report.onSpot").performClick()
                awaitTag("report.onSpotNote")
                onNodeWithTag("report.onSpotNote").performTextInput("已关闭阀门并开窗通风，燃气味消失")
                onNodeWithTag("report.afterCamera").performClick()
                awaitText("处理后照片 1 张")
                screenshot("08-report-on-spot")
                onNodeWithTag("report.submit").performClick()
                awaitTag("report.done")
                val caseId = phone.store.cases(org.gridwork.core.CaseScope.MINE, false, 0u, 10u).single().id
                assertEquals(org.gridwork.core.CaseState.RESOLVED, phone.store.caseDetail(caseId).case.state)

                // Sync and photos: Wi-Fi only, on mobile data, keeps both photos (the visit's, the after-photo) on the phone.
                onNodeWithTag("report.close").performClick()
                awaitTag("visit.done")
                onNodeWithTag("visit.done").performClick()
                awaitTag("back")
                phone.app.back()
                awaitTag("today.grid.G1")
                phone.store.setNetworkKind(NetworkKind.METERED)
                phone.app.openSync()
                awaitTag("sync.policy.wifi")
                onNodeWithTag("sync.policy.wifi").performClick()
                waitUntil(timeoutMillis = 5_000) { phone.store.uploadQueueStatus().policy == NetworkPolicy.UnmeteredOnly }
                onNodeWithTag("sync.now").performClick()
                awaitText("没有待上传的操作")
                assertEquals(0uL, phone.store.pendingOperations())
                awaitText("待上传 2 张")
                assertEquals(2u, phone.store.uploadQueueStatus().waiting)
                awaitText("等允许的网络（仅 Wi-Fi 或暂无网络）")
                screenshot("12-sync-wifi-only")

                // Nothing failed, so no retry button: the photos only wait for the network.
                onNodeWithTag("sync.retry").assertDoesNotExist()
                // Any network, then sync now: both reach the server.
                onNodeWithTag("sync.policy.any").performClick()
                waitUntil(timeoutMillis = 5_000) { phone.store.uploadQueueStatus().policy == NetworkPolicy.AnyNetwork }
                onNodeWithTag("sync.now").performClick()
                waitUntil(timeoutMillis = 20_000) { phone.store.uploadQueueStatus().stored == 2u }
                val queue = phone.store.uploadQueueStatus()
                assertEquals(0u, queue.waiting + queue.uploading + queue.failed)
            }
        }

    @Test
    fun `a case seen on patrol is reported without a visit, filed under a category the core offers`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            Phone.enrolled(dir, "w1", server, "w1", location = atH001).use { phone ->
                setContent { GridworkApp(phone.app) }
                awaitTag("today.grid.G1")
                phone.app.openGrid("G1")
                awaitTag("grid.report")
                onNodeWithTag("grid.report").performClick()
                awaitTag("category.priority.WORK_SAFETY")
                onNodeWithTag("category.priority.WORK_SAFETY").performClick()
                awaitTag("category.WORK_SAFETY.gas_leak")
                onNodeWithTag("category.priority.ECOLOGY").performClick()
                onNodeWithTag("category.list").performScrollToNode(hasTestTag("category.ECOLOGY.other"))
                awaitText("其他生态环保问题")
                screenshot("08-report-category")
                assertAccessible(PHONE_DENSITY)
                onNodeWithTag("category.ECOLOGY.other").performClick()
                awaitTag("report.title")

                // A title the core refuses (empty) names the field; nothing is saved.
                onNodeWithTag("report.title").performTextClearance()
                onNodeWithTag("report.submit").performClick()
                awaitTag("report.error")
                assertEquals(0, phone.store.cases(org.gridwork.core.CaseScope.MINE, false, 0u, 10u).size)

                onNodeWithTag("report.title").performTextInput("河道漂浮垃圾")
                onNodeWithTag("report.description").performTextInput("村口桥下约 20 米河面有生活垃圾")
                onNodeWithTag("report.camera").performClick()
                awaitText("现场照片 1 张")
                onNodeWithTag("report.submit").performClick()
                awaitTag("report.done")
                val case = phone.store.cases(org.gridwork.core.CaseScope.MINE, false, 0u, 10u).single()
                val detail = phone.store.caseDetail(case.id)
                assertEquals(org.gridwork.core.Priority.ECOLOGY, detail.case.category.priority)
                assertEquals("other", detail.case.category.subcategory)
                assertEquals("G1", detail.case.path.grid)
                assertEquals(null, detail.case.householdCode)
                assertEquals("河道漂浮垃圾", detail.case.title)

                // Back from the report goes to the grid, not to the picker.
                onNodeWithTag("report.close").performClick()
                awaitTag("grid.report")
            }
        }

    @Test
    fun `a photo whose upload failed while the server was down shows its reason, and retry sends it`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            Phone.enrolled(dir, "w1", server, "w1", location = atH001).use { phone ->
                setContent { GridworkApp(phone.app) }
                awaitTag("today.grid.G1")
                visitWithGasSmell(phone)
                kotlinx.coroutines.runBlocking { phone.store.sync(null) } // the visit reaches the server
                server.kill()
                val failed = runCatching { kotlinx.coroutines.runBlocking { phone.store.uploadEvidence(null, NetworkKind.UNMETERED) } }
                val item = phone.store.uploadQueueStatus().items.single()
                assertTrue("the attempt is counted: $item ($failed)", item.attempts >= 1u)

                phone.app.back()
                phone.app.back()
                phone.app.openSync()
                awaitTag("sync.retry")
                awaitText("已尝试 1 次")
                screenshot("12-sync-retry")
                server.restart()
                onNodeWithTag("sync.retry").performClick()
                waitUntil(timeoutMillis = 20_000) { phone.store.uploadQueueStatus().stored == 1u }
                awaitText("已上传 1 张")
            }
        }
}
