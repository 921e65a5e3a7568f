package org.gridwork.android

import android.content.Context
import androidx.work.ListenableWorker
import androidx.work.NetworkType
import androidx.work.testing.TestListenableWorkerBuilder
import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import okhttp3.OkHttpClient
import org.gridwork.android.testing.PhoneFixture
import org.gridwork.android.work.BackgroundWork
import org.gridwork.android.work.GridworkWorkerFactory
import org.gridwork.android.work.NetworkWatcher
import org.gridwork.android.work.SyncWorker
import org.gridwork.android.work.TusTransport
import org.gridwork.android.work.UploadWorker
import org.gridwork.app.testing.GridworkServer
import org.gridwork.core.GridworkStore
import org.gridwork.core.NetworkKind
import org.gridwork.core.NetworkPolicy
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

/**
 * The WorkManager workers as WorkManager would run them, against a real
 * `gridwork serve` on loopback and the real core: photos carried by the
 * upload worker arrive byte for byte; the sync worker pushes offline work
 * and asks WorkManager to retry while the server is down.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35], manifest = Config.NONE)
class BackgroundWorkersTest {
    private val context: Context get() = RuntimeEnvironment.getApplication()
    private lateinit var dir: File
    private lateinit var server: GridworkServer
    private lateinit var phone: PhoneFixture
    private var network = NetworkKind.UNMETERED
    private var syncsDone = 0

    @Before
    fun setUp() {
        dir = Files.createTempDirectory("gridwork-workers").toFile()
        server = GridworkServer(File(dir, "server-home"))
        phone = PhoneFixture(dir, server)
        runBlocking { phone.enrol() }
    }

    @After
    fun tearDown() {
        phone.close()
        server.close()
        dir.deleteRecursively()
    }

    private fun factory(store: GridworkStore) =
        GridworkWorkerFactory({ store }, TusTransport(OkHttpClient()), NetworkWatcher { network }) { _, _ -> syncsDone++ }

    private inline fun <reified W : ListenableWorker> worker(): W =
        TestListenableWorkerBuilder<W>(context).setWorkerFactory(factory(phone.store)).build()

    @Test
    fun `the upload worker carries a photo to the server byte for byte`() = runBlocking {
        val bytes = PhoneFixture.photoBytes(300_000, 7)
        val evidenceId = phone.visitWithPhoto("H001", bytes)
        phone.store.sync(null) // the visit reaches the server; its photo waits for the worker

        val result = worker<UploadWorker>().doWork()

        assertTrue("$result", result is ListenableWorker.Result.Success)
        assertEquals(1, result.outputData.getInt(UploadWorker.KEY_STORED, -1))
        val queue = phone.store.uploadQueueStatus()
        assertEquals(1u, queue.stored)
        assertEquals(0u, queue.waiting + queue.uploading + queue.failed)
        assertEquals(0uL, queue.bytesOnDevice)
        val (status, served) = phone.storedOnServer(evidenceId)
        assertEquals(200, status)
        assertArrayEquals(bytes, served)
    }

    @Test
    fun `on mobile data a Wi-Fi-only policy keeps the photo on the phone and asks WorkManager for Wi-Fi`() = runBlocking {
        phone.store.setUploadNetworkPolicy(NetworkPolicy.UnmeteredOnly)
        phone.visitWithPhoto("H002", PhoneFixture.photoBytes(200_000, 8))
        phone.store.sync(null)
        network = NetworkKind.METERED

        val result = worker<UploadWorker>().doWork()

        assertTrue("$result", result is ListenableWorker.Result.Success)
        assertEquals(0, result.outputData.getInt(UploadWorker.KEY_REQUESTS, -1))
        assertEquals(1u, phone.store.uploadQueueStatus().waiting)
        assertEquals(NetworkType.UNMETERED, BackgroundWork.uploadConstraints(phone.store.uploadQueueStatus().policy).requiredNetworkType)
        assertEquals(NetworkType.CONNECTED, BackgroundWork.uploadConstraints(NetworkPolicy.AnyNetwork).requiredNetworkType)
    }

    @Test
    fun `the sync worker retries while the server is down and pushes offline work once it is back`() = runBlocking {
        server.kill()
        phone.visitWithPhoto("H001", PhoneFixture.photoBytes(50_000, 9))
        val pending = phone.store.pendingOperations()
        assertTrue("the visit waits to be pushed", pending > 0uL)

        assertTrue(worker<SyncWorker>().doWork() is ListenableWorker.Result.Retry)
        assertEquals(pending, phone.store.pendingOperations())
        assertEquals(0, syncsDone)

        server.restart()
        val result = worker<SyncWorker>().doWork()
        assertTrue("$result", result is ListenableWorker.Result.Success)
        assertEquals(0uL, phone.store.pendingOperations())
        assertEquals("uploads are asked for after a sync", 1, syncsDone)
    }
}
