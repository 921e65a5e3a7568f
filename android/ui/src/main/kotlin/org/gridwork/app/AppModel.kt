package org.gridwork.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.cases.CaseModel
import org.gridwork.app.cases.CasesModel
import org.gridwork.app.enrol.EnrolModel
import org.gridwork.app.enrol.EnrolStep
import org.gridwork.app.grid.GridModel
import org.gridwork.app.household.HouseholdModel
import org.gridwork.app.i18n.Language
import org.gridwork.app.inbox.InboxModel
import org.gridwork.app.me.MeModel
import org.gridwork.app.report.ReportModel
import org.gridwork.app.sync.SyncModel
import org.gridwork.app.today.TodayModel
import org.gridwork.app.visit.VisitModel
import org.gridwork.core.CaseDraft
import org.gridwork.app.report.CategoryModel
import org.gridwork.core.GridworkException

/** A place in the app; screens below the top level carry their state holder. */
sealed interface Destination {
    /** Deciding (reading the store on start). */
    data object Starting : Destination

    data object Enrol : Destination

    data object Today : Destination

    /** A screen below the top level, with the scope its state holder works in. */
    sealed class Screen(internal val scope: CoroutineScope) : Destination

    class Grid(val model: GridModel, scope: CoroutineScope) : Screen(scope)

    class Household(val model: HouseholdModel, scope: CoroutineScope) : Screen(scope)

    class Visit(val model: VisitModel, scope: CoroutineScope) : Screen(scope)

    class Report(val model: ReportModel, scope: CoroutineScope) : Screen(scope)

    /** What a case without a visit is about, before the report form. */
    class Category(val model: CategoryModel, scope: CoroutineScope) : Screen(scope)

    class Cases(val model: CasesModel, scope: CoroutineScope) : Screen(scope)

    class Case(val model: CaseModel, scope: CoroutineScope) : Screen(scope)

    class Inbox(val model: InboxModel, scope: CoroutineScope) : Screen(scope)

    class Sync(val model: SyncModel, scope: CoroutineScope) : Screen(scope)

    class Me(val model: MeModel, scope: CoroutineScope) : Screen(scope)
}

/**
 * The app's top level: on start, an enrolled phone signs its owner in and
 * opens Today; otherwise Enrol. A back stack of destinations; a screen's
 * state holder lives (and its work runs) while its destination is on the
 * stack. On Android the activity keeps this in a ViewModel.
 */
class AppModel(
    val session: AppSession,
    private val scope: CoroutineScope,
    language: Language = Language.ZH,
    defaultServer: String = "",
) {
    private val _stack = MutableStateFlow<List<Destination>>(listOf(Destination.Starting))

    /** The back stack; the screen shown is the last. */
    val stack: StateFlow<List<Destination>> = _stack.asStateFlow()

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
            if (owner != null) {
                session.onEnrolled()
                root(Destination.Today)
            } else {
                root(Destination.Enrol)
            }
        }
        scope.launch {
            enrol.state.collect {
                if (it.step is EnrolStep.Done && _stack.value.last() == Destination.Enrol) {
                    session.onEnrolled()
                    root(Destination.Today)
                }
            }
        }
    }

    /**
     * Show Today for the person already signed in on the store (a shell or
     * benchmark that signed them in itself); [start] does this for an
     * enrolled phone.
     */
    fun openToday() = root(Destination.Today)

    fun setLanguage(language: Language) {
        _language.value = language
    }

    fun openGrid(code: String) {
        val child = childScope()
        push(Destination.Grid(GridModel(session, child, code), child))
    }

    fun openHousehold(code: String) {
        val child = childScope()
        push(Destination.Household(HouseholdModel(session, child, code), child))
    }

    fun openVisit(householdCode: String) {
        val child = childScope()
        push(Destination.Visit(VisitModel(session, child, householdCode), child))
    }

    fun openReport(draft: CaseDraft) {
        val child = childScope()
        push(Destination.Report(ReportModel(session, child, draft), child))
    }

    /** A case seen on patrol, not found in a visit: pick its category, then the report form for [gridCode]. */
    fun openNewCase(gridCode: String) {
        val child = childScope()
        val model = CategoryModel(session, child, gridCode) { draft ->
            // The form replaces the picker: back from it returns to the grid.
            _stack.value.lastOrNull()?.let { if (it is Destination.Category) back() }
            openReport(draft)
        }
        push(Destination.Category(model, child))
    }

    fun openCases() {
        val child = childScope()
        push(Destination.Cases(CasesModel(session, child), child))
    }

    fun openCase(caseId: String) {
        val child = childScope()
        push(Destination.Case(CaseModel(session, child, caseId), child))
    }

    fun openSync() {
        val child = childScope()
        push(Destination.Sync(SyncModel(session, child, session.storeDir), child))
    }

    fun openMe() {
        val child = childScope()
        push(
            Destination.Me(
                MeModel(session, child) {
                    session.onForgotten()
                    root(Destination.Enrol)
                },
                child,
            ),
        )
    }

    fun openInbox() {
        val child = childScope()
        push(Destination.Inbox(InboxModel(session, child), child))
    }

    /**
     * A notification was tapped: its case opens over Today (the inbox item
     * is marked read by the inbox, or by the caller with the item's id).
     */
    fun openFromNotification(caseId: String) {
        root(Destination.Today)
        openCase(caseId)
    }

    /** Back one screen; false at the top level (the platform then leaves the app). */
    fun back(): Boolean {
        val stack = _stack.value
        if (stack.size <= 1) return false
        val leaving = stack.last()
        // A visit left unsaved keeps its last answers (its own delayed save dies with its scope).
        if (leaving is Destination.Visit) scope.launch { leaving.model.keepDraftNow() }
        close(leaving)
        _stack.value = stack.dropLast(1)
        when (val top = _stack.value.last()) {
            Destination.Today -> today.refresh()
            is Destination.Cases -> top.model.refresh()
            is Destination.Inbox -> top.model.refresh()
            else -> Unit
        }
        return true
    }

    private fun root(destination: Destination) {
        _stack.value.forEach(::close)
        _stack.value = listOf(destination)
        if (destination == Destination.Today) today.refresh()
    }

    private fun push(destination: Destination) = _stack.update { it + destination }

    private fun childScope() = CoroutineScope(scope.coroutineContext + SupervisorJob(scope.coroutineContext[Job]))

    private fun close(destination: Destination) {
        if (destination is Destination.Screen) destination.scope.cancel()
    }
}
