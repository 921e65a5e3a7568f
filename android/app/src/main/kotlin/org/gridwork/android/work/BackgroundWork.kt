package org.gridwork.android.work

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import java.util.concurrent.TimeUnit
import org.gridwork.core.NetworkPolicy

/**
 * The background work the phone schedules: a periodic sync whenever there
 * is a network, and photo uploads on the network the core's policy allows.
 * Unique names, so scheduling again replaces rather than piles up.
 */
object BackgroundWork {
    const val PERIODIC_SYNC = "gridwork.sync.periodic"
    const val SYNC_NOW = "gridwork.sync.now"
    const val UPLOADS = "gridwork.uploads"

    /** Uploads wait for the network the policy allows; the core still checks each photo's size. */
    fun uploadConstraints(policy: NetworkPolicy): Constraints = Constraints.Builder()
        .setRequiredNetworkType(
            when (policy) {
                is NetworkPolicy.UnmeteredOnly -> NetworkType.UNMETERED
                // Small photos may use mobile data; the core holds back the big ones.
                is NetworkPolicy.UnmeteredAbove, is NetworkPolicy.AnyNetwork -> NetworkType.CONNECTED
            },
        )
        .build()

    val syncConstraints: Constraints = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

    /** Every 30 minutes while enrolled (WorkManager's floor is 15). */
    fun schedulePeriodicSync(context: Context) {
        val request = PeriodicWorkRequestBuilder<SyncWorker>(30, TimeUnit.MINUTES)
            .setConstraints(syncConstraints)
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 1, TimeUnit.MINUTES)
            .build()
        WorkManager.getInstance(context).enqueueUniquePeriodicWork(PERIODIC_SYNC, ExistingPeriodicWorkPolicy.UPDATE, request)
    }

    /** Sync as soon as there is a network (after recording offline, or a push). */
    fun syncSoon(context: Context) {
        val request = OneTimeWorkRequestBuilder<SyncWorker>()
            .setConstraints(syncConstraints)
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
            .build()
        WorkManager.getInstance(context).enqueueUniqueWork(SYNC_NOW, ExistingWorkPolicy.REPLACE, request)
    }

    /** Upload photos when the policy's network is there; kept if already queued. */
    fun uploadSoon(context: Context, policy: NetworkPolicy) {
        val request = OneTimeWorkRequestBuilder<UploadWorker>()
            .setConstraints(uploadConstraints(policy))
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 1, TimeUnit.MINUTES)
            .build()
        WorkManager.getInstance(context).enqueueUniqueWork(UPLOADS, ExistingWorkPolicy.APPEND_OR_REPLACE, request)
    }

    fun cancelAll(context: Context) {
        WorkManager.getInstance(context).cancelAllWork()
    }
}
