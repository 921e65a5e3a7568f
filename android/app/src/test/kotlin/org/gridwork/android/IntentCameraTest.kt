package org.gridwork.android

import android.net.Uri
import androidx.activity.ComponentActivity
import androidx.activity.result.ActivityResultRegistry
import androidx.activity.result.contract.ActivityResultContract
import androidx.core.app.ActivityOptionsCompat
import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.gridwork.android.platform.IntentCamera
import org.gridwork.app.platform.takePhoto
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config

/**
 * The camera seam over the system camera intent: the photo the camera app
 * writes lands in app storage and is returned; a cancelled or empty shot
 * leaves no file behind. A registry stands in for the camera app.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35], manifest = Config.NONE)
class IntentCameraTest {
    private val jpeg = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte(), 1, 2, 3, 4)

    /** What the camera app does with the Uri it is given: write [bytes] (or nothing) and answer [ok]. */
    private class CameraApp(private val bytes: ByteArray?, private val ok: Boolean) : ActivityResultRegistry() {
        val asked = mutableListOf<Uri>()
        override fun <I, O> onLaunch(requestCode: Int, contract: ActivityResultContract<I, O>, input: I, options: ActivityOptionsCompat?) {
            val uri = input as Uri
            asked += uri
            bytes?.let { File(uri.path!!).writeBytes(it) }
            dispatchResult(requestCode, ok)
        }
    }

    private fun shoot(app: CameraApp, dir: File): File? {
        // Registered while created, as in MainActivity; results reach the callback once started.
        val controller = Robolectric.buildActivity(ComponentActivity::class.java).create()
        val camera = IntentCamera(controller.get(), photosDir = { dir }, uriFor = { Uri.fromFile(it) }, registry = app)
        controller.start().resume()
        return runBlocking {
            val photo = async { camera.takePhoto() }
            repeat(200) {
                if (photo.isCompleted) return@runBlocking photo.await()
                org.robolectric.shadows.ShadowLooper.idleMainLooper()
                yield()
            }
            throw AssertionError("the camera seam never returned")
        }
    }

    @Test
    fun `the photo the camera app writes is in app storage before it is returned`() {
        val dir = Files.createTempDirectory("camera").toFile()
        val app = CameraApp(jpeg, ok = true)
        val photo = shoot(app, dir)
        assertEquals(1, app.asked.size)
        assertTrue("written under the app's photo folder: $photo", photo!!.parentFile == dir)
        assertArrayEquals(jpeg, photo.readBytes())
    }

    @Test
    fun `a cancelled or empty shot returns nothing and leaves no file`() {
        val dir = Files.createTempDirectory("camera").toFile()
        assertNull(shoot(CameraApp(null, ok = false), dir))
        // Some camera apps say "saved" and write nothing.
        assertNull(shoot(CameraApp(ByteArray(0), ok = true), dir))
        assertEquals(emptyList<String>(), dir.list()!!.toList())
    }
}
