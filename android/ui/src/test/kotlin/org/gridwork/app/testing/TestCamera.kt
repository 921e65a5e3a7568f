package org.gridwork.app.testing

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import java.util.concurrent.atomic.AtomicInteger
import javax.imageio.ImageIO
import kotlinx.coroutines.awaitCancellation
import org.gridwork.app.platform.Camera

/**
 * A camera that writes real JPEGs (a 640×480 picture, different each
 * time) into the app's folder, as the system camera writes into the
 * FileProvider file. [nextIsEmpty] makes the next shot a zero-byte file,
 * as a camera app killed mid-write leaves.
 */
class TestCamera(private val dir: File) : Camera {
    private val shots = AtomicInteger()
    @Volatile var nextIsEmpty = false

    /**
     * The next shot writes its JPEG and then never returns, as when the
     * camera app's memory use gets the app killed before the result comes
     * back; the test then closes the app.
     */
    @Volatile var nextKillsTheApp = false

    override fun newPhotoFile(): File {
        dir.mkdirs()
        return File(dir, "IMG_%04d.jpg".format(shots.incrementAndGet()))
    }

    override suspend fun takePhoto(into: File): Boolean {
        if (nextIsEmpty) {
            nextIsEmpty = false
            into.writeBytes(ByteArray(0))
            return true
        }
        writeJpeg(into, shots.get())
        if (nextKillsTheApp) {
            nextKillsTheApp = false
            awaitCancellation()
        }
        return true
    }

    private fun writeJpeg(file: File, n: Int) {
        val image = BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB)
        val g = image.createGraphics()
        g.color = Color(40 + n * 20 % 200, 90, 160)
        g.fillRect(0, 0, 640, 480)
        g.color = Color.WHITE
        g.drawString("gridwork test photo $n", 40, 240)
        g.dispose()
        check(ImageIO.write(image, "jpg", file)) { "no JPEG writer" }
    }
}
