package org.gridwork.app.testing

import java.io.File
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.gridwork.app.AppModel
import org.gridwork.app.AppSession
import org.gridwork.app.i18n.Language
import org.gridwork.app.platform.LocationSource
import org.gridwork.core.GridworkStore

/**
 * One phone: its encrypted store and secrets in files under [dir] (so it
 * can be closed and opened again), and the app's model over them, started
 * as the activity would start it.
 */
class Phone(
    private val dir: File,
    val name: String,
    private val language: Language = Language.ZH,
    private val server: String = "",
    start: Boolean = true,
    val camera: TestCamera = TestCamera(File(dir, "$name-camera")),
    private val location: LocationSource = LocationSource { null },
) : AutoCloseable {
    val secrets = FileSecrets(File(dir, "$name.secrets"))
    val store: GridworkStore = GridworkStore.open(File(dir, "$name.db").path, secrets)
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val app = AppModel(AppSession(store, secrets, "${name}的手机", location = location, camera = camera), scope, language, server).also { if (start) it.start() }

    companion object {
        /**
         * A phone already enrolled as [user] and synced (through the core,
         * not the Enrol screen), its app started on Today.
         */
        fun enrolled(
            dir: File,
            name: String,
            server: GridworkServer,
            user: String,
            language: Language = Language.ZH,
            location: LocationSource = LocationSource { null },
        ): Phone {
            val phone = Phone(dir, name, language, server.url, start = false, location = location)
            runBlocking {
                phone.store.activate(server.url, server.codeFor(user), "${name}的手机")
                phone.store.signIn(user)
                phone.store.sync(null)
            }
            phone.app.start()
            return phone
        }
    }

    /** Close the app and the store, and open them again from the same files. */
    fun reopen(): Phone {
        close()
        return Phone(dir, name, language, server, camera = camera, location = location)
    }

    /**
     * Stop the app's coroutines and wait (bounded) for them to end before
     * the store goes: a state holder's call still running on the IO
     * dispatcher would otherwise hit a destroyed store.
     */
    override fun close() {
        runBlocking { withTimeoutOrNull(10_000) { scope.coroutineContext[Job]?.cancelAndJoin() } }
        store.close()
    }
}
