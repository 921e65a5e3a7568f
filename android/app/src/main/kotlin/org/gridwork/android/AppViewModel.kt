package org.gridwork.android

import android.os.Build
import androidx.lifecycle.ViewModel
import androidx.lifecycle.ViewModelProvider
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
class AppViewModel(
    private val graph: AppGraph,
    private val languages: LanguagePreference,
) : ViewModel() {
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
                camera = ActivityCamera(),
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

    /** The activity's camera, whichever activity is current (rotation makes a new one). */
    private inner class ActivityCamera : Camera {
        override fun newPhotoFile() = graph.photosDir.let { dir ->
            dir.mkdirs()
            java.io.File(dir, "photo-${java.util.UUID.randomUUID()}.jpg")
        }

        override suspend fun takePhoto(into: java.io.File) = camera?.takePhoto(into) ?: false
    }

    companion object {
        /** Built from the activity's own application (no process-wide factory holding an old one). */
        fun factory(application: GridworkApplication): ViewModelProvider.Factory = object : ViewModelProvider.Factory {
            @Suppress("UNCHECKED_CAST")
            override fun <T : ViewModel> create(modelClass: Class<T>): T =
                AppViewModel(application.graph, LanguagePreference(application)) as T
        }
    }
}
