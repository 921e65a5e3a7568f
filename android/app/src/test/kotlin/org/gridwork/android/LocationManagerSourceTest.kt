package org.gridwork.android

import android.Manifest
import android.app.Application
import android.location.Location
import android.location.LocationManager
import kotlinx.coroutines.runBlocking
import org.gridwork.android.platform.LocationManagerSource
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

/** Fixes from LocationManager as the core takes them; no permission or no provider is "no fix", never a block. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35], manifest = Config.NONE)
class LocationManagerSourceTest {
    private val app: Application get() = RuntimeEnvironment.getApplication()
    private val manager get() = app.getSystemService(LocationManager::class.java)

    private fun location(provider: String, accuracy: Float, mock: Boolean, at: Long) = Location(provider).apply {
        latitude = 22.5016
        longitude = 113.9016
        this.accuracy = accuracy
        time = at
        isMock = mock
    }

    @Test
    fun `a recent fix is reported with its accuracy, and a mock location is flagged`() = runBlocking {
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
        val now = 1_800_000_000_000L
        shadowOf(manager).setProviderEnabled(LocationManager.GPS_PROVIDER, true)
        shadowOf(manager).setProviderEnabled(LocationManager.NETWORK_PROVIDER, true)
        shadowOf(manager).setLastKnownLocation(LocationManager.GPS_PROVIDER, location("gps", 6f, mock = true, at = now - 10_000))
        shadowOf(manager).setLastKnownLocation(LocationManager.NETWORK_PROVIDER, location("network", 40f, mock = false, at = now - 5_000))

        val fix = LocationManagerSource(app, timeoutMs = 500, now = { now }).currentFix()

        assertNotNull(fix)
        assertEquals("the most accurate recent fix", "gps", fix!!.provider)
        assertEquals(6.0, fix.accuracyM, 0.01)
        assertEquals(22.5016, fix.lat, 1e-9)
        assertTrue("mock flag kept for the core's verdict", fix.mock)
    }

    @Test
    fun `no permission or location switched off give no fix, at once`() = runBlocking {
        val now = 1_800_000_000_000L
        shadowOf(manager).setProviderEnabled(LocationManager.GPS_PROVIDER, true)
        shadowOf(manager).setLastKnownLocation(LocationManager.GPS_PROVIDER, location("gps", 6f, mock = false, at = now - 1_000))
        shadowOf(app).denyPermissions(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)
        assertNull(LocationManagerSource(app, timeoutMs = 200, now = { now }).currentFix())

        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
        assertNotNull(LocationManagerSource(app, timeoutMs = 200, now = { now }).currentFix())

        shadowOf(manager).setProviderEnabled(LocationManager.GPS_PROVIDER, false)
        shadowOf(manager).setProviderEnabled(LocationManager.NETWORK_PROVIDER, false)
        assertNull(LocationManagerSource(app, timeoutMs = 200, now = { now }).currentFix())
    }
}
