package org.gridwork.bench

import androidx.compose.ui.geometry.Size
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.runSkikoComposeUiTest
import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import org.gridwork.app.AppModel
import org.gridwork.app.AppSession
import org.gridwork.app.GridworkApp
import org.gridwork.app.testing.FileSecrets
import org.gridwork.app.testing.PHONE_DENSITY
import org.gridwork.app.testing.PHONE_HEIGHT_PX
import org.gridwork.app.testing.PHONE_WIDTH_PX
import org.gridwork.core.Answer
import org.gridwork.core.AnswerValue
import org.gridwork.core.Assignment
import org.gridwork.core.AssignmentKind
import org.gridwork.core.CaseScope
import org.gridwork.core.CoordSystem
import org.gridwork.core.DeviceClock
import org.gridwork.core.GridworkStore
import org.gridwork.core.HouseholdFilter
import org.gridwork.core.ImportMode
import org.gridwork.core.Role
import org.gridwork.core.User
import org.gridwork.core.VisitInput
import org.junit.Test

/**
 * The phone's screens on a big grid, on the desktop JVM: an encrypted
 * store with 5,000 households and 50,000 visits beside a baseline of 100
 * households and 1,000 visits. Prints, for each: the time from opening
 * the store to Today's first frame (store open with its key, the owner
 * signed in, the Today call, composition), and the core time of each
 * screen's call (median and worst of 21, after one warm-up). Run by
 * `android/scripts/bench-ui.sh`, not by the test suite; figures in
 * docs/benchmarks.md.
 */
@OptIn(ExperimentalTestApi::class)
class ScreenBenchmark {
    private val data = File(System.getProperty("gridwork.testdata") ?: "../../bindings/testdata")

    private fun setUp(dir: File, households: Int, visits: Int): Long {
        val t0 = System.nanoTime()
        val secrets = FileSecrets(File(dir, "secrets"))
        // A year of work: the store's clock starts a year ago and each visit moves it on,
        // so the last day holds about visits / 365 of them, as a real phone's would.
        val now = System.currentTimeMillis()
        val step = 365L * 24 * 3600 * 1000 / visits
        val clock = object : DeviceClock {
            var at = now - step * visits
            override fun nowMs(): Long = at
        }
        GridworkStore.openWithClock(File(dir, "device.db").path, secrets, clock).use { store ->
            store.upsertUser(User("admin", "管理员", Role.ADMINISTRATOR, null, listOf()))
            store.upsertUser(User("w1", "张网格", Role.GRID_WORKER, null, listOf()))
            store.signIn("admin")
            store.installDefaultTemplates()
            store.importRegions(File(data, "township.geojson").readText(), ImportMode.ALL_OR_NOTHING)
            val side = Math.ceil(Math.sqrt(households.toDouble())).toInt()
            val csv = buildString {
                append("户编码,网格编码,类型,户主,地址,经度,纬度,标签\n")
                for (i in 0 until households) {
                    val lon = 113.9001 + (i % side) * (0.0098 / side)
                    val lat = 22.5001 + (i / side) * (0.0098 / side)
                    append("B%05d,G1,住户,住户%d,石岩村%d号,%.6f,%.6f,%s\n".format(i, i, i, lon, lat, if (i % 17 == 0) "独居老人" else ""))
                }
            }
            val report = store.importHouseholds(csv.toByteArray(), null, ImportMode.ALL_OR_NOTHING)
            check(report.imported.toInt() == households) { report.errors.toString() }
            store.setAssignment(Assignment("w1", "G1", AssignmentKind.PRIMARY, "2020-01-01", null))
            store.signIn("w1")
            store.saveDeviceCredential("gwd_benchmark")
            val template = store.checklistFor("B00000")
            val answers = listOf(
                Answer("ep.symptoms", AnswerValue.Choices(listOf("none"))),
                Answer("ws.gas_use", AnswerValue.Choice("piped")),
                Answer("ws.gas_smell", AnswerValue.YesNo(false)),
                Answer("rs.house_condition", AnswerValue.Choice("sound")),
            )
            for (v in 0 until visits) {
                clock.at += step
                store.recordVisit(VisitInput("B%05d".format(v % households), null, template.id, template.version, answers, "", null, listOf()))
            }
        }
        return (System.nanoTime() - t0) / 1_000_000
    }

    private fun <T> timed(runs: Int = 21, call: () -> T): Pair<Double, Double> {
        call()
        val ms = (1..runs).map { val t = System.nanoTime(); call(); (System.nanoTime() - t) / 1e6 }.sorted()
        return ms[runs / 2] to ms.last()
    }

    private fun launchToToday(dir: File): Long {
        var elapsed = 0L
        runSkikoComposeUiTest(Size(PHONE_WIDTH_PX.toFloat(), PHONE_HEIGHT_PX.toFloat()), PHONE_DENSITY) {
            val t0 = System.nanoTime()
            val secrets = FileSecrets(File(dir, "secrets"))
            val store = GridworkStore.open(File(dir, "device.db").path, secrets)
            val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
            // Enrolled phones sign their owner in at start; this store was
            // built locally, so the owner is signed in here.
            store.signIn("w1")
            val app = AppModel(AppSession(store, secrets, "bench"), scope)
            app.openToday()
            setContent { GridworkApp(app) }
            waitUntil(timeoutMillis = 120_000) { onAllNodes(hasTestTag("today.due")).fetchSemanticsNodes().isNotEmpty() }
            elapsed = (System.nanoTime() - t0) / 1_000_000
            scope.cancel()
            store.close()
        }
        return elapsed
    }

    @Test
    fun screens() {
        val rows = mutableListOf<String>()
        for ((label, households, visits) in listOf(Triple("baseline (100 / 1,000)", 100, 1_000), Triple("big grid (5,000 / 50,000)", 5_000, 50_000))) {
            val dir = Files.createTempDirectory("gridwork-bench").toFile()
            try {
                val setup = setUp(dir, households, visits)
                val launch = launchToToday(dir)
                GridworkStore.open(File(dir, "device.db").path, FileSecrets(File(dir, "secrets"))).use { s ->
                    s.signIn("w1")
                    val day = java.time.LocalDate.now(java.time.ZoneId.of("Asia/Shanghai")).toString()
                    val calls = linkedMapOf<String, () -> Any>(
                        "Today (today)" to { s.today(day) },
                        "Today, part: my day (myDay)" to { s.myDay(day) },
                        "Today, part: my grids (myGrids)" to { s.myGrids() },
                        "Grid: first page (households)" to { s.households("G1", HouseholdFilter(null, null, null, false), 0u, 50u) },
                        "Grid: page 60 (households)" to { s.households("G1", HouseholdFilter(null, null, null, false), 2950u, 50u) },
                        "Grid: search (households)" to { s.households("G1", HouseholdFilter("住户42", null, null, false), 0u, 50u) },
                        "Grid: due only (households)" to { s.households("G1", HouseholdFilter(null, null, null, true), 0u, 50u) },
                        "Grid: map (gridMap)" to { s.gridMap("G1", CoordSystem.GCJ02) },
                        "Household (householdDetail)" to { s.householdDetail("B00042") },
                        "Visit (checklistFor)" to { s.checklistFor("B00042") },
                        "Cases (cases)" to { s.cases(CaseScope.MINE, true, 0u, 200u) },
                        "Inbox (inbox)" to { s.inbox(false, 0u, 100u) },
                        "Sync (uploadQueueStatus + conflicts)" to { s.uploadQueueStatus(); s.conflicts(false) },
                    )
                    rows += "| $label | launch to Today's first frame (store open, sign-in, Today, composition) | $launch ms | | (setup ${setup / 1000} s) |"
                    for ((name, call) in calls) {
                        val (median, worst) = timed(call = call)
                        rows += "| $label | $name | %.2f ms | %.2f ms | %s |".format(median, worst, if (worst < 50.0) "yes" else "**no**")
                    }
                }
            } finally {
                dir.deleteRecursively()
            }
        }
        println("BENCH | store | screen (core call) | median | worst | under 50 ms |")
        println("BENCH |---|---|---|---|---|")
        rows.forEach { println("BENCH $it") }
    }
}
