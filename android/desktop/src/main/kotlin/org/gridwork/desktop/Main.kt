package org.gridwork.desktop

import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Window
import androidx.compose.ui.window.application
import androidx.compose.ui.window.rememberWindowState
import java.io.File
import java.net.InetAddress
import kotlin.system.exitProcess
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.gridwork.app.AppModel
import org.gridwork.app.i18n.Language
import org.gridwork.app.AppSession
import org.gridwork.app.GridworkApp
import org.gridwork.core.GridworkStore

/**
 * The app in a window: the same AppModel and screens as the phone, a
 * store and secrets under --data, photos picked from files. With --server
 * and --code an unenrolled desktop enrols at once.
 */
fun main(args: Array<String>) {
    val options = try {
        DesktopOptions.parse(args)
    } catch (e: IllegalArgumentException) {
        System.err.println(e.message)
        exitProcess(2)
    }
    options.dataDir.mkdirs()
    val secrets = FileSecretStore(File(options.dataDir, "secrets.properties"))
    val store = GridworkStore.open(File(options.dataDir, "device.db").path, secrets)
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main)
    val host = runCatching { InetAddress.getLocalHost().hostName }.getOrDefault("PC")
    val session = AppSession(
        store = store,
        secrets = secrets,
        deviceName = "桌面 $host",
        camera = FileChooserCamera(File(options.dataDir, "camera")),
        storeDir = options.dataDir,
    )
    val languages = LanguageFile(File(options.dataDir, "language"))
    val app = AppModel(session, scope, options.language ?: languages.load() ?: Language.ZH, options.server.orEmpty())
    app.start()
    scope.launch { app.language.collect(languages::save) }
    if (options.server != null && options.code != null && !store.hasDeviceCredential()) {
        app.enrol.onServerUrl(options.server)
        app.enrol.onCode(options.code)
        app.enrol.enrol()
    }
    application {
        Window(
            onCloseRequest = {
                scope.cancel()
                store.close()
                exitApplication()
            },
            title = "网格通 Gridwork",
            state = rememberWindowState(width = 420.dp, height = 860.dp),
        ) {
            GridworkApp(app)
        }
    }
}
