package org.gridwork.app.testing

import androidx.compose.ui.graphics.toAwtImage
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.SemanticsNodeInteractionsProvider
import androidx.compose.ui.text.TextLayoutResult
import androidx.compose.ui.test.captureToImage
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.isRoot
import androidx.compose.ui.test.onRoot
import androidx.compose.ui.unit.Density
import java.io.File
import javax.imageio.ImageIO
import org.junit.Assert.assertTrue

/** Phone size: 360×800 dp, drawn at 2 px per dp. */
const val PHONE_WIDTH_PX = 720
const val PHONE_HEIGHT_PX = 1600
val PHONE_DENSITY = Density(2f, 1f)
val LARGE_FONT_DENSITY = Density(2f, 1.3f)

private val screenshotDir = File(System.getProperty("gridwork.screenshots") ?: "target/screenshots")

/**
 * Write what the screen shows now to docs/screenshots/android/[name].png.
 * A dialog is its own root: it is drawn over the screen, with the dimmed
 * backdrop a phone shows under it.
 */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.screenshot(name: String) {
    waitForIdle()
    screenshotDir.mkdirs()
    val roots = onAllNodes(isRoot())
    val count = roots.fetchSemanticsNodes().size
    val base = roots[0].captureToImage().toAwtImage()
    val out = java.awt.image.BufferedImage(base.width, base.height, java.awt.image.BufferedImage.TYPE_INT_ARGB)
    val g = out.createGraphics()
    g.drawImage(base, 0, 0, null)
    for (i in 1 until count) {
        val node = roots[i]
        val at = node.fetchSemanticsNode().boundsInWindow
        g.color = java.awt.Color(0, 0, 0, 82)
        g.fillRect(0, 0, out.width, out.height)
        g.drawImage(node.captureToImage().toAwtImage(), at.left.toInt(), at.top.toInt(), null)
    }
    g.dispose()
    ImageIO.write(out, "png", File(screenshotDir, "$name.png"))
}

/** Wait (bounded) until a node with [tag] exists; on timeout, say what the screen shows. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.awaitTag(tag: String, timeoutMs: Long = 30_000) =
    await("a node tagged '$tag'", timeoutMs) { onAllNodes(hasTestTag(tag)).fetchSemanticsNodes().isNotEmpty() }

/** Wait (bounded) until some node shows [text] (substring); on timeout, say what the screen shows. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.awaitText(text: String, timeoutMs: Long = 30_000) =
    await("'$text'", timeoutMs) { onAllNodes(hasText(text, substring = true)).fetchSemanticsNodes().isNotEmpty() }

/** Wait (bounded) until [condition] holds (something stored, a file written). */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.awaitCondition(what: String, timeoutMs: Long = 30_000, condition: () -> Boolean) =
    await(what, timeoutMs, condition)

@OptIn(ExperimentalTestApi::class)
private fun ComposeUiTest.await(what: String, timeoutMs: Long, condition: () -> Boolean) {
    try {
        waitUntil(timeoutMillis = timeoutMs, condition = condition)
    } catch (e: androidx.compose.ui.test.ComposeTimeoutException) {
        val shown = onAllNodes(SemanticsMatcher("text") { SemanticsProperties.Text in it.config }, useUnmergedTree = true)
            .fetchSemanticsNodes().joinToString(" | ") { it.label() }
        throw AssertionError("waited ${timeoutMs} ms for $what; the screen shows: $shown", e)
    }
}

private fun SemanticsNode.label(): String {
    val c = config
    val parts = c.getOrNull(SemanticsProperties.ContentDescription).orEmpty() +
        c.getOrNull(SemanticsProperties.Text).orEmpty().map { it.text }
    return parts.joinToString(" ").trim()
}

/** The text's layout as drawn, if the node is text. */
private fun SemanticsNode.textLayout(): TextLayoutResult? {
    val get = config.getOrNull(SemanticsActions.GetTextLayoutResult)?.action ?: return null
    val out = mutableListOf<TextLayoutResult>()
    return if (get(out)) out.firstOrNull() else null
}

/**
 * Every control on screen (anything clickable or editable) has a label a
 * screen reader can speak and a touch target of at least 48×48 dp; no text
 * is cut off (overflowing its box, ellipsized, or past the screen's right
 * edge).
 */
fun SemanticsNodeInteractionsProvider.assertAccessible(density: Density) {
    val controls = onAllNodes(SemanticsMatcher("control") {
        SemanticsActions.OnClick in it.config || SemanticsActions.SetText in it.config
    }).fetchSemanticsNodes()
    assertTrue("no controls found", controls.isNotEmpty())
    for (node in controls) {
        // Partly scrolled out of view: its touch area is clipped; it is
        // checked on the screens where it is shown whole.
        val shown = node.boundsInRoot
        if (shown.height < node.size.height - 1f || shown.width < node.size.width - 1f) continue
        val label = node.label()
        assertTrue("a control has no label: ${node.config}", label.isNotBlank())
        // The touch area, including what minimumInteractiveComponentSize adds.
        val touch = node.touchBoundsInRoot
        val w = touch.width / density.density
        val h = touch.height / density.density
        assertTrue("'$label' is ${w}×$h dp, under 48×48 dp", w >= 47.5f && h >= 47.5f)
    }
    val rootWidth = onAllNodes(isRoot()).fetchSemanticsNodes().first().size.width
    val texts = onAllNodes(SemanticsMatcher("text") { SemanticsProperties.Text in it.config }, useUnmergedTree = true)
        .fetchSemanticsNodes()
    for (node in texts) {
        val text = node.label()
        val layout = node.textLayout() ?: continue
        // Width is not checked here: text wraps, and the layout the semantics
        // action reports is measured against the parent's width.
        assertTrue("'$text' is cut off at the bottom", !layout.didOverflowHeight)
        for (line in 0 until layout.lineCount) assertTrue("'$text' is ellipsized", !layout.isLineEllipsized(line))
        assertTrue("'$text' runs past the screen's edge", node.boundsInRoot.right <= rootWidth + 1f)
    }
}
