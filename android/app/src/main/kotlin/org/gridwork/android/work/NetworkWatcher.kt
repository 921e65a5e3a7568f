package org.gridwork.android.work

import android.content.Context
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import org.gridwork.core.NetworkKind

/**
 * What kind of network the phone has now, for the core's upload policy
 * (photos may wait for Wi-Fi). Only reports; the core decides.
 */
fun interface NetworkWatcher {
    fun current(): NetworkKind
}

/** The platform's answer: no network, metered (mobile data) or unmetered (Wi-Fi). */
class ConnectivityNetworkWatcher(context: Context) : NetworkWatcher {
    private val connectivity = context.getSystemService(ConnectivityManager::class.java)

    override fun current(): NetworkKind {
        val caps = connectivity?.getNetworkCapabilities(connectivity.activeNetwork) ?: return NetworkKind.NONE
        if (!caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)) return NetworkKind.NONE
        return if (caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)) NetworkKind.UNMETERED else NetworkKind.METERED
    }
}
