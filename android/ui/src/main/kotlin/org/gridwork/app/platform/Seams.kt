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
 * intent into a FileProvider file; a file chooser on the desktop. Null
 * when the person cancelled.
 */
fun interface Camera {
    suspend fun takePhoto(): File?
}
