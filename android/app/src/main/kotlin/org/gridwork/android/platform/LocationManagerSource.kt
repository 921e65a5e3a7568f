package org.gridwork.android.platform

import android.Manifest
import android.content.Context
import android.content.pm.PackageManager
import android.location.Location
import android.location.LocationManager
import android.os.Build
import android.os.CancellationSignal
import java.time.Instant
import java.util.concurrent.Executors
import kotlin.coroutines.resume
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.withTimeoutOrNull
import org.gridwork.app.platform.LocationSource
import org.gridwork.core.LocationFix

/**
 * The phone's position from android.location.LocationManager: GNSS first,
 * then the network provider, no Google Play services (most phones in
 * China have none). A recent last-known fix is used at once; otherwise a
 * fresh fix is awaited for at most [timeoutMs]. Null when location is off,
 * not permitted or nothing came: the core records the visit anyway
 * (ADR 0005). Mock locations are reported as such, never hidden.
 */
class LocationManagerSource(
    private val context: Context,
    private val timeoutMs: Long = 20_000,
    private val maxAgeMs: Long = 120_000,
    private val now: () -> Long = System::currentTimeMillis,
) : LocationSource {
    private val manager = context.getSystemService(LocationManager::class.java)
    private val executor = Executors.newSingleThreadExecutor()

    override suspend fun currentFix(): LocationFix? {
        val lm = manager ?: return null
        if (!permitted()) return null
        val providers = PROVIDERS.filter { runCatching { lm.isProviderEnabled(it) }.getOrDefault(false) }
        if (providers.isEmpty()) return null
        providers.mapNotNull { lastKnown(lm, it) }
            .filter { now() - it.time <= maxAgeMs }
            .minByOrNull { it.accuracy }
            ?.let { return it.toFix() }
        for (provider in providers) {
            val fresh = withTimeoutOrNull(timeoutMs) { fresh(lm, provider) }
            if (fresh != null) return fresh.toFix()
        }
        return null
    }

    private fun permitted(): Boolean = LOCATION_PERMISSIONS.any {
        context.checkSelfPermission(it) == PackageManager.PERMISSION_GRANTED
    }

    @Suppress("MissingPermission") // checked in permitted()
    private fun lastKnown(lm: LocationManager, provider: String): Location? =
        runCatching { lm.getLastKnownLocation(provider) }.getOrNull()

    @Suppress("MissingPermission", "DEPRECATION") // checked in permitted(); requestSingleUpdate before API 30
    private suspend fun fresh(lm: LocationManager, provider: String): Location? = suspendCancellableCoroutine { cont ->
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            val cancel = CancellationSignal()
            cont.invokeOnCancellation { cancel.cancel() }
            lm.getCurrentLocation(provider, cancel, executor) { location -> if (cont.isActive) cont.resume(location) }
        } else {
            val listener = android.location.LocationListener { location -> if (cont.isActive) cont.resume(location) }
            cont.invokeOnCancellation { lm.removeUpdates(listener) }
            lm.requestSingleUpdate(provider, listener, context.mainLooper)
        }
    }

    private companion object {
        val PROVIDERS = listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)
        val LOCATION_PERMISSIONS = listOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)
    }
}

/** The platform's fix as the core takes it (WGS-84, as GNSS reports it). */
@Suppress("DEPRECATION") // isFromMockProvider before API 31
fun Location.toFix(): LocationFix = LocationFix(
    lat = latitude,
    lon = longitude,
    accuracyM = if (hasAccuracy()) accuracy.toDouble() else 9_999.0,
    provider = provider ?: "unknown",
    mock = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) isMock else isFromMockProvider,
    at = Instant.ofEpochMilli(time),
)
