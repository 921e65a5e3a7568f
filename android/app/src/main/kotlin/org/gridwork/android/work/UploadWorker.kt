package org.gridwork.android.work

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import java.io.IOException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridwork.core.GridworkStore
import org.gridwork.core.UploadOutcome

/**
 * Carries the core's photo uploads in the background (WorkManager runs it
 * when the network the core's policy asks for is there, and again after a
 * reboot): take the next job, perform it, report what the server said, and
 * repeat until the core has nothing left that may go now. The core decides
 * order, chunking, retries and what a response means; this only asks.
 */
class UploadWorker(
    context: Context,
    params: WorkerParameters,
    private val store: GridworkStore,
    private val transport: TusTransport,
    private val network: NetworkWatcher,
) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result = withContext(Dispatchers.IO) {
        store.setNetworkKind(network.current())
        var performed = 0
        var stored = 0
        var retryLater = false
        while (performed < MAX_REQUESTS_PER_RUN && !isStopped) {
            val job = store.nextUploadJob() ?: break
            performed++
            val outcome = try {
                val r = transport.perform(job)
                store.reportUploadResult(job.jobId, r.status.toUShort(), r.uploadOffset, r.location, r.body, null)
            } catch (e: IOException) {
                // No answer at all: the core counts it and decides when to try again.
                store.reportUploadResult(job.jobId, null, null, null, null, e.message ?: e.javaClass.simpleName)
            }
            when (outcome) {
                UploadOutcome.STORED -> stored++
                UploadOutcome.RETRY_LATER -> { retryLater = true; break }
                // The case or visit the photo belongs to has not reached the
                // server yet: the sync worker runs uploads again after it.
                UploadOutcome.WAITING_FOR_SYNC -> break
                UploadOutcome.PROGRESSED, UploadOutcome.FAILED, UploadOutcome.STALE -> Unit
            }
        }
        val summary = workDataOf(KEY_REQUESTS to performed, KEY_STORED to stored)
        if (retryLater) Result.retry() else Result.success(summary)
    }

    companion object {
        /** Bounds one run; WorkManager starts another if photos remain. */
        const val MAX_REQUESTS_PER_RUN = 500
        const val KEY_REQUESTS = "requests"
        const val KEY_STORED = "stored"
    }
}
