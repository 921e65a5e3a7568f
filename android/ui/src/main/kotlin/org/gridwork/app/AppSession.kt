package org.gridwork.app

import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwork.app.platform.Camera
import org.gridwork.app.platform.LocationSource
import org.gridwork.core.GridworkStore
import org.gridwork.core.SecretStore

/**
 * What every screen's state holder needs: the phone's store, the platform
 * secret store and seams (location, camera), where blocking store calls
 * run, and the clock used only to name "today" (the core keeps its own
 * time for every rule).
 */
class AppSession(
    val store: GridworkStore,
    val secrets: SecretStore,
    val deviceName: String,
    val location: LocationSource = LocationSource { null },
    val camera: Camera? = null,
    /** The folder of the store and its photos (for the free-space warning). */
    val storeDir: java.io.File? = null,
    val io: CoroutineDispatcher = Dispatchers.IO,
    val zone: ZoneId = ZoneId.of("Asia/Shanghai"),
    val now: () -> Instant = Instant::now,
    /** The platform's part once the phone is enrolled or signed in (background sync, push registration). */
    val onEnrolled: () -> Unit = {},
    /** The platform's part after "forget this phone" (cancel background work, drop push). */
    val onForgotten: () -> Unit = {},
) {
    /** Run a blocking store call off the main thread. */
    suspend fun <T> call(block: GridworkStore.() -> T): T = withContext(io) { store.block() }

    /** Today's date where the grid is (China time). */
    fun today(): LocalDate = now().atZone(zone).toLocalDate()
}
