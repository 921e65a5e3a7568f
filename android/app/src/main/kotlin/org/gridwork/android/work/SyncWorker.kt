package org.gridwork.android.work

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import org.gridwork.core.GridworkException
import org.gridwork.core.GridworkStore

/**
 * Periodic sync in the background: push what was recorded offline, pull
 * what changed, then hand photos to the upload worker. A network failure
 * is a retry (WorkManager backs off); anything else is reported as failed
 * and shows on the Sync screen through the core's own state.
 */
class SyncWorker(
    context: Context,
    params: WorkerParameters,
    private val store: GridworkStore,
    private val network: NetworkWatcher,
    private val afterSync: () -> Unit,
) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result {
        if (!store.hasDeviceCredential()) return Result.success() // not enrolled yet
        store.setNetworkKind(network.current())
        return try {
            val report = store.sync(null)
            afterSync()
            Result.success(workDataOf(KEY_BYTES_SENT to report.bytesSent.toLong(), KEY_BYTES_RECEIVED to report.bytesReceived.toLong()))
        } catch (e: GridworkException.Network) {
            Result.retry()
        } catch (e: GridworkException) {
            Result.failure(workDataOf(KEY_ERROR to e.message))
        }
    }

    companion object {
        const val KEY_BYTES_SENT = "bytes_sent"
        const val KEY_BYTES_RECEIVED = "bytes_received"
        const val KEY_ERROR = "error"
    }
}
