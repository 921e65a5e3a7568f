package org.gridwork.android.work

import android.content.Context
import androidx.work.ListenableWorker
import androidx.work.WorkerFactory
import androidx.work.WorkerParameters
import org.gridwork.core.GridworkStore

/**
 * Gives the workers the one open store of the process (the activity uses
 * the same one), the HTTP transport and the network watcher.
 */
class GridworkWorkerFactory(
    private val store: () -> GridworkStore,
    private val transport: TusTransport,
    private val network: NetworkWatcher,
    private val afterSync: (Context, GridworkStore) -> Unit,
) : WorkerFactory() {
    override fun createWorker(appContext: Context, workerClassName: String, workerParameters: WorkerParameters): ListenableWorker? =
        when (workerClassName) {
            UploadWorker::class.java.name -> UploadWorker(appContext, workerParameters, store(), transport, network)
            SyncWorker::class.java.name -> {
                val s = store()
                SyncWorker(appContext, workerParameters, s, network) { afterSync(appContext, s) }
            }
            else -> null // WorkManager's own workers
        }
}
