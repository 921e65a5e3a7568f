package org.gridwork.android.push

import android.content.Context
import org.unifiedpush.android.connector.UnifiedPush

/**
 * How this phone receives pushes. Google's FCM does not reach phones in
 * China, so the default is UnifiedPush (a distributor app such as ntfy
 * gives a Web Push endpoint the server encrypts to, RFC 8291); a vendor
 * channel (JPush, or Huawei/Xiaomi/OPPO/vivo push through one of them)
 * implements this same seam and registers a PushEndpoint.JPush instead.
 */
interface PushChannel {
    /** Starts registration; the endpoint arrives later (see GridworkPushService). */
    fun register(context: Context)

    fun unregister(context: Context)
}

/** UnifiedPush with the distributor the person picked, or the only one installed. */
class UnifiedPushChannel(private val instance: String = "default") : PushChannel {
    override fun register(context: Context) {
        UnifiedPush.tryUseCurrentOrDefaultDistributor(context) { found ->
            if (found) UnifiedPush.register(context, instance, "网格通 Gridwork", null)
        }
    }

    override fun unregister(context: Context) {
        UnifiedPush.unregister(context, instance)
    }
}
