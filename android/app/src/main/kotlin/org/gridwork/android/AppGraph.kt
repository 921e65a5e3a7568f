package org.gridwork.android

import android.content.Context
import java.io.File
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import okhttp3.OkHttpClient
import org.gridwork.android.notify.Notifier
import org.gridwork.android.platform.KeystoreSecretStore
import org.gridwork.android.push.PushChannel
import org.gridwork.android.push.UnifiedPushChannel
import org.gridwork.android.work.BackgroundWork
import org.gridwork.android.work.ConnectivityNetworkWatcher
import org.gridwork.android.work.GridworkWorkerFactory
import org.gridwork.android.work.TusTransport
import org.gridwork.core.GridworkStore

/**
 * What lives as long as the process: the one open store (the activity,
 * the workers and the push service share it), the secret store, the
 * notifier and the background-work glue. Hand-wired: a handful of objects
 * do not need a DI framework.
 */
class AppGraph(private val context: Context) {
    /** For store calls started by services and callbacks; never the main thread. */
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)
    val secrets by lazy { KeystoreSecretStore(context) }
    val storeDir: File get() = File(context.filesDir, "gridwork")

    /** Where the camera app writes photos (the FileProvider's path), before the core records them. */
    val photosDir: File get() = File(context.filesDir, "camera")
    val notifier = Notifier(context) { caseId -> MainActivity.openCaseIntent(context, caseId) }
    val network = ConnectivityNetworkWatcher(context)
    val transport = TusTransport(
        OkHttpClient.Builder()
            .connectTimeout(20, TimeUnit.SECONDS)
            // A PATCH of a few MB on a slow mobile link.
            .writeTimeout(120, TimeUnit.SECONDS)
            .readTimeout(60, TimeUnit.SECONDS)
            .build(),
    )
    val push: PushChannel = UnifiedPushChannel()

    private var store: GridworkStore? = null

    /** Opens the encrypted store on first use. Blocking: call off the main thread. */
    @Synchronized
    fun store(): GridworkStore = store ?: run {
        storeDir.mkdirs()
        GridworkStore.open(File(storeDir, "device.db").path, secrets).also { store = it }
    }

    val workerFactory = GridworkWorkerFactory(::store, transport, network) { ctx, s -> uploadIfWaiting(ctx, s) }

    fun syncSoon() = BackgroundWork.syncSoon(context)

    /** Enrolled or signed in again: keep in sync in the background and listen for pushes. */
    fun onEnrolled() {
        BackgroundWork.schedulePeriodicSync(context)
        push.register(context)
        scope.launch { runCatching { uploadIfWaiting(context, store()) } }
    }

    /** The core has wiped the phone's data; stop what would still talk to the server. */
    fun onForgotten() {
        BackgroundWork.cancelAll(context)
        push.unregister(context)
    }

    private fun uploadIfWaiting(ctx: Context, s: GridworkStore) {
        val queue = s.uploadQueueStatus()
        if (queue.waiting + queue.uploading > 0u) BackgroundWork.uploadSoon(ctx, queue.policy)
    }
}
