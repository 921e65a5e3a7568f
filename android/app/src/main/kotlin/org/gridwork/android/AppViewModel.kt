package org.gridwork.android

import android.app.Application
import android.os.Build
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.gridwork.app.AppModel
import org.gridwork.app.AppSession
import org.gridwork.app.platform.Camera
import org.gridwork.app.platform.LocationSource

/**
 * Holds the shared AppModel across rotations and other configuration
 * changes. The store opens on the IO dispatcher (key derivation takes a
 * moment on a cheap phone); until then the activity shows a spinner.
 */
class AppViewModel(application: Application) : AndroidViewModel(application) {
    private val graph = (application as GridworkApplication).graph
    private val languages = LanguagePreference(application)
    private val _model = MutableStateFlow<AppModel?>(null)
    val model: StateFlow<AppModel?> = _model.asStateFlow()

    /** The camera belongs to the current activity; the model reaches it through this seam. */
    var camera: Camera? = null

    fun start(location: LocationSource) {
        if (_model.value != null) return
        viewModelScope.launch {
            val store = withContext(Dispatchers.IO) { graph.store() }
            val session = AppSession(
                store = store,
                secrets = graph.secrets,
                deviceName = "${Build.MANUFACTURER} ${Build.MODEL}",
                location = location,
                camera = Camera { camera?.takePhoto() },
                storeDir = graph.storeDir,
                onEnrolled = graph::onEnrolled,
                onForgotten = graph::onForgotten,
            )
            val app = AppModel(session, viewModelScope, languages.load())
            app.start()
            viewModelScope.launch { app.language.collect(languages::save) }
            _model.value = app
        }
    }
}
