package org.gridwork.app.platform

import java.io.File
import org.gridwork.core.LocationFix

/**
 * The phone's position, as the platform reports it: on Android
 * LocationManager (GNSS and network providers, no Google Play services)
 * with `Location.isMock`; fixed fixes on the desktop and in tests. Null
 * when there is no fix (indoors, location off): work is never blocked.
 */
fun interface LocationSource {
    suspend fun currentFix(): LocationFix?
}

/**
 * The camera: a JPEG written into the app's own storage before anything is
 * recorded (the camera app often kills ours). On Android the system camera
 * intent into a FileProvider file; a file chooser on the desktop.
 *
 * Two steps, so that a screen can note the file in its draft before the
 * camera opens: if the camera app gets this app killed, the photo is found
 * again when the visit is reopened.
 */
interface Camera {
    /** A new file in app storage for the next photo (not created yet). */
    fun newPhotoFile(): File

    /** Take a photo into [file]; false when cancelled or nothing was written. */
    suspend fun takePhoto(into: File): Boolean
}

/** Take a photo into a new file: the file, or null when cancelled. */
suspend fun Camera.takePhoto(): File? {
    val file = newPhotoFile()
    return if (takePhoto(file)) file else null.also { file.delete() }
}
