package org.gridwork.app

import androidx.compose.ui.geometry.Size
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.assertTextContains
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollToIndex
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
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Rule
import org.junit.Test

/**
 * 网格 and 户 against a real server: a grid of 123 households paged in as
 * the list scrolls, searched and filtered by the core, drawn as a map; a
 * household's masked numbers, a reveal refused without a reason and
 * recorded with one.
 */
@OptIn(ExperimentalTestApi::class)
class GridAndHouseholdTest {
    @get:Rule
    val env = ServerRule()
    private val dir get() = env.dir
    private val server get() = env.server

    @Before
    fun start() {
        // 120 more households in G1, inside its boundary, so the list pages.
        val csv = buildString {
            append("户编码,网格编码,类型,户主,地址,经度,纬度,标签\n")
            for (i in 1..120) {
                val lon = 113.9005 + (i % 10) * 0.0009
                val lat = 22.5005 + (i / 10) * 0.0007
                append("H2%03d,G1,住户,住户%d,石岩村新区%d号,%.4f,%.4f,\n".format(i, i, i, lon, lat))
            }
        }
        server.admin("POST", "/admin/import/households", csv.toByteArray())
    }

    @Test
    fun `a worker pages, searches and maps the grid, and reveals a number with a reason`() =
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            Phone.enrolled(dir, "w1", server, "w1").use { phone ->
                setContent { GridworkApp(phone.app) }
                awaitTag("today.grid.G1")
                onNodeWithTag("today.due").assertTextContains("今日待走访 123 户（处）")
                onNodeWithTag("today.grid.G1").performClick()

                // The first page, then the rest as the list scrolls.
                awaitText("共 123 户（处），已显示 50")
                screenshot("03-grid")
                assertAccessible(PHONE_DENSITY)
                for (round in 1..10) {
                    if (onAllNodesWithText("已显示 123").isNotEmpty()) break
                    val shown = phone.app.stack.value.last().let { (it as Destination.Grid).model.state.value.rows.size }
                    onNodeWithTag("grid.list").performScrollToIndex(shown - 1)
                    waitForIdle()
                    Thread.sleep(100)
                }
                awaitText("共 123 户（处），已显示 123")

                // The core searches (name, address or code).
                onNodeWithTag("grid.search").performTextInput("好又多")
                awaitText("共 1 户（处），已显示 1")
                onNodeWithTag("grid.row.H003").assertTextContains("商铺", substring = true)
                onNodeWithTag("grid.search").performTextClearance()
                onNodeWithTag("grid.search").performTextInput("没有这户")
                awaitTag("grid.empty")
                onNodeWithTag("grid.search").performTextClearance()
                onNodeWithTag("grid.dueOnly").performClick()
                awaitText("共 123 户（处）")

                // The map: the boundary and every place, described for screen readers.
                onNodeWithTag("grid.viewMap").performClick()
                awaitTag("grid.map")
                val map = onNodeWithTag("grid.map").fetchSemanticsNode()
                assertEquals(
                    listOf("网格地图：边界和 123 户（处），其中 123 户待走访"),
                    map.config[SemanticsProperties.ContentDescription],
                )
                screenshot("04-grid-map")
                onNodeWithTag("grid.viewList").performClick()

                // A household: numbers masked until a reason is given.
                onNodeWithTag("grid.search").performTextInput("刘奶奶")
                awaitTag("grid.row.H001")
                onNodeWithTag("grid.row.H001").performClick()
                awaitTag("household.noVisits")
                val memberTag = onAllNodes(SemanticsMatcher("member") { n ->
                    n.config.getOrElseNullable(androidx.compose.ui.semantics.SemanticsProperties.TestTag) { null }?.matches(Regex("member\\.[^.]+\\.phone")) == true
                }).fetchSemanticsNodes().single().config[SemanticsProperties.TestTag]
                onNodeWithTag(memberTag).assertTextContains("电话 139****5678")
                screenshot("05-household")
                assertAccessible(PHONE_DENSITY)
                val before = phone.store.pendingOperations()
                onNodeWithTag("$memberTag.reveal").performClick()
                awaitTag("reveal.dialog")
                onNodeWithTag("reveal.confirm").performClick()
                awaitTag("reveal.error")
                onNodeWithTag("reveal.error").assertTextContains("须说明理由", substring = true)
                onNodeWithTag(memberTag).assertTextContains("电话 139****5678")
                onNodeWithTag("reveal.reason").performTextInput("核实独居老人紧急联系人")
                screenshot("05-household-reveal")
                onNodeWithTag("reveal.confirm").performClick()
                awaitText("电话 13912345678")
                awaitText("已记录查看")
                assertTrue("the reveal is recorded for the server", phone.store.pendingOperations() > before)

                // Back to the grid, back to Today.
                onNodeWithTag("back").performClick()
                awaitTag("grid.list")
                onNodeWithTag("back").performClick()
                awaitTag("today.due")
            }
        }

    private fun androidx.compose.ui.test.ComposeUiTest.onAllNodesWithText(text: String) =
        onAllNodes(androidx.compose.ui.test.hasText(text, substring = true)).fetchSemanticsNodes()
}
