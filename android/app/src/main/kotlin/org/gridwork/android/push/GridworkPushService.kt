package org.gridwork.android.push

import android.util.Log
import kotlinx.coroutines.launch
import org.gridwork.android.GridworkApplication
import org.gridwork.core.GridworkException
import org.gridwork.core.PushEndpoint as CorePushEndpoint
import org.unifiedpush.android.connector.FailedReason
import org.unifiedpush.android.connector.PushService
import org.unifiedpush.android.connector.data.PushEndpoint
import org.unifiedpush.android.connector.data.PushMessage

/**
 * UnifiedPush's callbacks: a new endpoint goes to the core (which sends it
 * to the server with the next sync); a message becomes a notification that
 * opens its case, and a sync so the inbox has the item too. Store calls
 * run on the application's IO scope, never on the main thread.
 */
class GridworkPushService : PushService() {
    private val graph get() = (application as GridworkApplication).graph

    override fun onNewEndpoint(endpoint: PushEndpoint, instance: String) {
        val keys = endpoint.pubKeySet ?: run {
            Log.w(TAG, "distributor gave an endpoint without Web Push keys; ignored")
            return
        }
        graph.scope.launch {
            try {
                graph.store().registerPushEndpoint(CorePushEndpoint.WebPush(endpoint.url, keys.pubKey, keys.auth))
                graph.syncSoon()
            } catch (e: GridworkException) {
                Log.w(TAG, "could not register the push endpoint: ${e.message}")
            }
        }
    }

    override fun onMessage(message: PushMessage, instance: String) {
        PushPayload.parse(message.content)
            .onSuccess { notice ->
                graph.notifier.show(notice)
                graph.syncSoon()
            }
            .onFailure { Log.w(TAG, it.message ?: "unreadable push") }
    }

    override fun onRegistrationFailed(reason: FailedReason, instance: String) {
        // The inbox still fills on every sync; pushes only make it prompt.
        Log.w(TAG, "UnifiedPush registration failed: $reason")
    }

    override fun onUnregistered(instance: String) {
        graph.scope.launch {
            runCatching { graph.store().unregisterPushEndpoint("web_push") }
        }
    }

    private companion object {
        const val TAG = "GridworkPush"
    }
}
