package org.gridwork.app

import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import org.gridwork.app.cases.CaseScreen
import org.gridwork.app.cases.CasesScreen
import org.gridwork.app.enrol.EnrolScreen
import org.gridwork.app.grid.GridScreen
import org.gridwork.app.household.HouseholdScreen
import org.gridwork.app.i18n.LocalLanguage
import org.gridwork.app.inbox.InboxScreen
import org.gridwork.app.me.MeScreen
import org.gridwork.app.theme.GridworkTheme
import org.gridwork.app.report.CategoryScreen
import org.gridwork.app.report.ReportScreen
import org.gridwork.app.sync.SyncScreen
import org.gridwork.app.today.TodayScreen
import org.gridwork.app.visit.VisitScreen

/**
 * The whole app, for Android's activity and the desktop window alike.
 * [onScanQr] is the platform's QR scanner, if it has one.
 */
@Composable
fun GridworkApp(app: AppModel, onScanQr: (() -> Unit)? = null) {
    val language by app.language.collectAsState()
    val stack by app.stack.collectAsState()
    CompositionLocalProvider(LocalLanguage provides language) {
        GridworkTheme {
            Surface(Modifier.fillMaxSize()) {
                when (val destination = stack.last()) {
                    Destination.Starting -> Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
                        CircularProgressIndicator()
                    }
                    Destination.Enrol -> {
                        val state by app.enrol.state.collectAsState()
                        EnrolScreen(
                            state = state,
                            onServerUrl = app.enrol::onServerUrl,
                            onCode = app.enrol::onCode,
                            onEnrol = app.enrol::enrol,
                            onRetryPull = app.enrol::retryPull,
                            onScanQr = onScanQr,
                        )
                    }
                    Destination.Today -> {
                        val state by app.today.state.collectAsState()
                        TodayScreen(
                            state = state,
                            onSync = app.today::sync,
                            onTogglePatrol = app.today::togglePatrol,
                            onOpenGrid = app::openGrid,
                            onOpenCase = app::openCase,
                            onOpenCases = app::openCases,
                            onOpenInbox = app::openInbox,
                            onOpenSync = app::openSync,
                            onOpenMe = app::openMe,
                            onOpenVisit = app::openVisit,
                            onRetry = app.today::refresh,
                            zone = app.session.zone,
                        )
                    }
                    is Destination.Grid -> {
                        val model = destination.model
                        val state by model.state.collectAsState()
                        GridScreen(
                            state = state,
                            onBack = { app.back() },
                            onQuery = model::onQuery,
                            onDueOnly = model::onDueOnly,
                            onShow = model::show,
                            onScrolledTo = model::onScrolledTo,
                            onOpenHousehold = app::openHousehold,
                            onReport = { app.openNewCase(state.gridCode) },
                        )
                    }
                    is Destination.Category -> {
                        val state by destination.model.state.collectAsState()
                        CategoryScreen(state = state, onChoose = destination.model::choose, onSelect = destination.model::select, onBack = { app.back() })
                    }
                    is Destination.Household -> {
                        val model = destination.model
                        val state by model.state.collectAsState()
                        HouseholdScreen(
                            state = state,
                            onBack = { app.back() },
                            onReveal = model::askReveal,
                            onReason = model::onReason,
                            onConfirmReveal = model::confirmReveal,
                            onCancelReveal = model::cancelReveal,
                            onVisit = app::openVisit,
                            zone = app.session.zone,
                        )
                    }
                    is Destination.Visit -> {
                        val state by destination.model.state.collectAsState()
                        VisitScreen(
                            state = state,
                            actions = destination.model,
                            canTakePhotos = app.session.camera != null,
                            onBack = { app.back() },
                            onReport = app::openReport,
                        )
                    }
                    is Destination.Cases -> {
                        val state by destination.model.state.collectAsState()
                        CasesScreen(
                            state = state,
                            onBack = { app.back() },
                            onScope = destination.model::onScope,
                            onOpenOnly = destination.model::onOpenOnly,
                            onOpenCase = app::openCase,
                        )
                    }
                    is Destination.Case -> {
                        val state by destination.model.state.collectAsState()
                        CaseScreen(
                            state = state,
                            model = destination.model,
                            canTakePhotos = app.session.camera != null,
                            onBack = { app.back() },
                            zone = app.session.zone,
                        )
                    }
                    is Destination.Inbox -> {
                        val state by destination.model.state.collectAsState()
                        InboxScreen(
                            state = state,
                            onBack = { app.back() },
                            onOpen = { id -> destination.model.open(id, app::openCase) },
                            zone = app.session.zone,
                        )
                    }
                    is Destination.Sync -> {
                        val state by destination.model.state.collectAsState()
                        SyncScreen(state = state, model = destination.model, onBack = { app.back() }, zone = app.session.zone)
                    }
                    is Destination.Me -> {
                        val state by destination.model.state.collectAsState()
                        MeScreen(state = state, model = destination.model, language = language, onLanguage = app::setLanguage, onBack = { app.back() })
                    }
                    is Destination.Report -> {
                        val state by destination.model.state.collectAsState()
                        ReportScreen(
                            state = state,
                            model = destination.model,
                            canTakePhotos = app.session.camera != null,
                            onBack = { app.back() },
                        )
                    }
                }
            }
        }
    }
}
