package org.gridwork.desktop

import java.awt.FileDialog
import java.awt.Frame
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwork.app.platform.Camera

/**
 * A PC has no camera app: the person picks a JPEG, which is copied into
 * the app's folder first (as the phone's camera writes into app storage)
 * so the original can move or vanish without touching the record.
 */
class FileChooserCamera(private val dir: File) : Camera {
    override fun newPhotoFile(): File {
        dir.mkdirs()
        return File(dir, "IMG_${System.currentTimeMillis()}_${System.nanoTime() % 1000}.jpg")
    }

    override suspend fun takePhoto(into: File): Boolean {
        val chosen = withContext(Dispatchers.Main) {
            val dialog = FileDialog(null as Frame?, "选择照片 / Choose a photo", FileDialog.LOAD)
            dialog.setFilenameFilter { _, name -> name.lowercase().let { it.endsWith(".jpg") || it.endsWith(".jpeg") } }
            dialog.isVisible = true
            dialog.file?.let { File(dialog.directory, it) }
        } ?: return false
        return withContext(Dispatchers.IO) {
            chosen.copyTo(into, overwrite = true)
            into.length() > 0
        }
    }
}
