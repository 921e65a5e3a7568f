package org.gridwork.app.testing

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import java.util.concurrent.atomic.AtomicInteger
import javax.imageio.ImageIO
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

    override suspend fun takePhoto(): File {
        dir.mkdirs()
        val n = shots.incrementAndGet()
        val file = File(dir, "IMG_%04d.jpg".format(n))
        if (nextIsEmpty) {
            nextIsEmpty = false
            file.writeBytes(ByteArray(0))
            return file
        }
        val image = BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB)
        val g = image.createGraphics()
        g.color = Color(40 + n * 20 % 200, 90, 160)
        g.fillRect(0, 0, 640, 480)
        g.color = Color.WHITE
        g.drawString("gridwork test photo $n", 40, 240)
        g.dispose()
        check(ImageIO.write(image, "jpg", file)) { "no JPEG writer" }
        return file
    }
}
