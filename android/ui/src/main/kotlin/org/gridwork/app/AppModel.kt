package org.gridwork.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.gridwork.app.enrol.EnrolModel
import org.gridwork.app.enrol.EnrolStep
import org.gridwork.app.i18n.Language
import org.gridwork.app.today.TodayModel
import org.gridwork.core.GridworkException

/** Where the app is. */
sealed interface Destination {
    /** Deciding (reading the store on start). */
    data object Starting : Destination

    data object Enrol : Destination

    data object Today : Destination
}

/**
 * The app's top level: on start, an enrolled phone signs its owner in and
 * opens Today; otherwise Enrol. Holds one state holder per screen (on
 * Android, scoped to the activity's ViewModel).
 */
class AppModel(
    val session: AppSession,
    private val scope: CoroutineScope,
    language: Language = Language.ZH,
    defaultServer: String = "",
) {
    private val _destination = MutableStateFlow<Destination>(Destination.Starting)
    val destination: StateFlow<Destination> = _destination.asStateFlow()

    private val _language = MutableStateFlow(language)
    val language: StateFlow<Language> = _language.asStateFlow()

    val enrol = EnrolModel(session, scope, defaultServer)
    val today = TodayModel(session, scope)

    fun start() {
        scope.launch {
            val owner = try {
                session.call { if (hasDeviceCredential()) deviceOwner()?.also { signIn(it.id) } else null }
            } catch (e: GridworkException) {
                null
            }
            if (owner != null) open(Destination.Today) else _destination.value = Destination.Enrol
        }
        scope.launch {
            enrol.state.collect { if (it.step is EnrolStep.Done && _destination.value == Destination.Enrol) open(Destination.Today) }
        }
    }

    fun setLanguage(language: Language) {
        _language.value = language
    }

    fun open(destination: Destination) {
        _destination.value = destination
        if (destination == Destination.Today) today.refresh()
    }
}
