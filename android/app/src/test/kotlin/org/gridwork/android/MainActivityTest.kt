package org.gridwork.android

import android.content.Context
import androidx.lifecycle.ViewModelProvider
import androidx.work.Configuration
import androidx.work.WorkInfo
import androidx.work.WorkManager
import androidx.work.testing.SynchronousExecutor
import androidx.work.testing.WorkManagerTestInitHelper
import java.io.File
import java.nio.file.Files
import org.gridwork.android.testing.TestAndroidKeyStore
import org.gridwork.android.work.BackgroundWork
import org.gridwork.app.AppModel
import org.gridwork.app.Destination
import org.gridwork.app.i18n.Language
import org.gridwork.app.testing.GridworkServer
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.android.controller.ActivityController
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowLooper

/**
 * The activity as Android starts it, with the real application graph:
 * the Keystore-backed store opens off the main thread, a new phone shows
 * Enrol, enrolling against a real server leads to Today and schedules the
 * periodic sync, a notification's intent opens its case, and the chosen
 * language is kept for the next start.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35], manifest = Config.NONE, application = GridworkApplication::class)
class MainActivityTest {
    private val app: GridworkApplication get() = RuntimeEnvironment.getApplication() as GridworkApplication
    private lateinit var dir: File
    private lateinit var server: GridworkServer

    @Before
    fun setUp() {
        TestAndroidKeyStore.install()
        TestAndroidKeyStore.clear()
        WorkManagerTestInitHelper.initializeTestWorkManager(
            app,
            Configuration.Builder().setWorkerFactory(app.graph.workerFactory).setExecutor(SynchronousExecutor()).build(),
        )
        dir = Files.createTempDirectory("gridwork-activity").toFile()
        server = GridworkServer(File(dir, "server-home"))
    }

    @After
    fun tearDown() {
        server.close()
        dir.deleteRecursively()
    }

    /** Runs the main looper until [done] holds (store calls finish on IO threads meanwhile); bounded. */
    private fun <T> awaitOnMain(what: String, probe: () -> T?): T {
        repeat(500) {
            ShadowLooper.idleMainLooper()
            probe()?.let { return it }
            Thread.sleep(20)
        }
        throw AssertionError("timed out waiting for $what")
    }

    private fun model(controller: ActivityController<MainActivity>): AppModel =
        awaitOnMain("the app model") {
            ViewModelProvider(controller.get(), AppViewModel.factory(app))[AppViewModel::class.java].model.value
        }

    private fun AppModel.awaitTop(what: String, test: (Destination) -> Boolean): Destination =
        awaitOnMain(what) { stack.value.last().takeIf(test) }

    /** A new phone shows Enrol; 张网格's code enrols it and Today opens. */
    private fun enrol(model: AppModel) {
        model.awaitTop("Enrol on a new phone") { it == Destination.Enrol }
        model.enrol.onServerUrl(server.url)
        model.enrol.onCode(server.codeFor("w1"))
        model.enrol.enrol()
        model.awaitTop("Today after enrolling") { it == Destination.Today }
    }

    @Test
    fun `a new phone enrols, syncs in the background, and a notification opens its case`() {
        val controller = Robolectric.buildActivity(MainActivity::class.java).setup()
        val model = model(controller)
        enrol(model)

        val periodic = WorkManager.getInstance(app).getWorkInfosForUniqueWork(BackgroundWork.PERIODIC_SYNC).get()
        assertEquals(1, periodic.size)
        assertEquals(WorkInfo.State.ENQUEUED, periodic.single().state)

        controller.newIntent(MainActivity.openCaseIntent(app, "C-0001"))
        model.awaitTop("the case from the notification") { it is Destination.Case }

        model.setLanguage(Language.EN)
        awaitOnMain("the language saved") { LanguagePreference(app).load().takeIf { it == Language.EN } }
    }

    @Test
    fun `a new activity on an enrolled phone (rotation, back and return) opens on Today`() {
        val first = Robolectric.buildActivity(MainActivity::class.java).setup()
        enrol(model(first))
        first.pause().stop().destroy()

        // A new activity in the same process (the ViewModel went with the old one).
        val second = Robolectric.buildActivity(MainActivity::class.java).setup()
        val again = model(second)
        again.awaitTop("Today again") { it == Destination.Today }
        assertEquals("w1", app.graph.store().deviceOwner()?.id)
        assertTrue(app.graph.store().hasDeviceCredential())
    }
}
