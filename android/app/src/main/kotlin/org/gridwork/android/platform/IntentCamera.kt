package org.gridwork.android.platform

import android.net.Uri
import androidx.activity.ComponentActivity
import androidx.activity.result.ActivityResultRegistry
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.FileProvider
import java.io.File
import java.util.UUID
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwork.app.platform.Camera

/**
 * The system camera app (every phone has one; no camera library to carry)
 * writes the JPEG straight into the app's own storage through a
 * FileProvider, so the photo is on disk before anything is recorded even
 * if the camera app's memory use gets this app killed. Construct it while
 * the activity is being created (activity result registration rule).
 */
class IntentCamera(
    private val activity: ComponentActivity,
    private val photosDir: () -> File,
    private val uriFor: (File) -> Uri = { FileProvider.getUriForFile(activity, "${activity.packageName}.photos", it) },
    registry: ActivityResultRegistry = activity.activityResultRegistry,
) : Camera {
    private var pending: CompletableDeferred<Boolean>? = null
    private val launcher = activity.registerForActivityResult(ActivityResultContracts.TakePicture(), registry) { saved ->
        pending?.complete(saved)
    }

    override fun newPhotoFile(): File = File(photosDir().apply { mkdirs() }, "photo-${UUID.randomUUID()}.jpg")

    override suspend fun takePhoto(into: File): Boolean = withContext(Dispatchers.Main) {
        val result = CompletableDeferred<Boolean>()
        pending = result
        launcher.launch(uriFor(into))
        val saved = result.await()
        pending = null
        // Some camera apps report success and write nothing: an empty file is no photo.
        (saved && into.length() > 0).also { if (!it) into.delete() }
    }
}
