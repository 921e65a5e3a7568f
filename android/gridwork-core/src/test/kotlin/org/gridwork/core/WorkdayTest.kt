package org.gridwork.core

import java.io.File
import java.nio.file.Files
import java.security.MessageDigest
import java.time.Instant
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Secrets in memory, as the Keystore-backed store would hold them. */
class MemorySecrets : SecretStore {
    val map = mutableMapOf<String, String>()
    override fun get(key: String): String? = map[key]
    override fun put(key: String, value: String) { map[key] = value }
    override fun delete(key: String) { map.remove(key) }
}

/** A broken platform keystore: every call throws something undeclared. */
class BrokenSecrets : SecretStore {
    override fun get(key: String): String? = throw IllegalStateException("keystore locked")
    override fun put(key: String, value: String) = throw IllegalStateException("keystore locked")
    override fun delete(key: String) = throw IllegalStateException("keystore locked")
}

/** A keystore that keeps the store's key but is locked for everything else. */
class LockingSecrets : SecretStore {
    private val inner = MemorySecrets()
    override fun get(key: String): String? =
        if (key == "gridwork.store_key") inner.get(key) else throw IllegalStateException("keystore locked")
    override fun put(key: String, value: String) =
        if (key == "gridwork.store_key") inner.put(key, value) else throw IllegalStateException("keystore locked")
    override fun delete(key: String) = throw IllegalStateException("keystore locked")
}

/**
 * A grid worker's day through the generated Kotlin, against the real
 * library: the same scenario as ios/GridworkCore's WorkdayTests.
 */
class WorkdayTest {
    private lateinit var dir: File
    private lateinit var store: GridworkStore
    private val data = File(System.getProperty("gridwork.testdata") ?: "../../bindings/testdata")

    @BeforeEach
    fun setUp() {
        dir = Files.createTempDirectory("gridwork-kt").toFile()
        store = GridworkStore.open(File(dir, "device.db").path, MemorySecrets())
        store.upsertUser(User("admin", "管理员", Role.ADMINISTRATOR, null, listOf()))
        store.upsertUser(User("w1", "张网格", Role.GRID_WORKER, "13800138000", listOf()))
        store.upsertUser(User("w2", "李网格", Role.GRID_WORKER, null, listOf()))
        store.upsertUser(User("s1", "王书记", Role.VILLAGE_SECRETARY, null, listOf("440300-T01-V01")))
        store.signIn("admin")
        assertEquals(8u, store.installDefaultTemplates())
        val regions = store.importRegions(File(data, "township.geojson").readText(), ImportMode.ALL_OR_NOTHING)
        assertEquals(5u, regions.imported)
        val households = store.importHouseholds(File(data, "households.csv").readBytes(), null, ImportMode.BEST_EFFORT)
        assertEquals(4u, households.imported, households.errors.toString())
        assertEquals("UTF-8", households.encoding)
        store.importMembers(File(data, "members.csv").readBytes(), TableFormat.CSV, ImportMode.BEST_EFFORT)
        store.setAssignment(Assignment("w1", "G1", AssignmentKind.PRIMARY, "2026-01-01", null))
        store.setAssignment(Assignment("w2", "G2", AssignmentKind.PRIMARY, "2026-01-01", null))
    }

    @AfterEach
    fun tearDown() {
        store.close()
        dir.deleteRecursively()
    }

    private fun photo(name: String, item: String? = null): Pair<PhotoInput, String> {
        val bytes = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte()) + name.toByteArray() + ByteArray(2048) { it.toByte() }
        val file = File(dir, name).apply { writeBytes(bytes) }
        val sha = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
        return jpegPhoto(file, item, locationFix(22.5015, 113.9015, 8.0)) to sha
    }

    private fun safeAnswers(gasSmell: Boolean) = listOf(
        Answer("ep.symptoms", AnswerValue.Choices(listOf("none"))),
        Answer("ws.gas_use", AnswerValue.Choice("lpg")),
        Answer("ws.gas_smell", AnswerValue.YesNo(gasSmell)),
        Answer("ws.gas_cylinder_hose", AnswerValue.Choices(listOf("hose_aged"))),
        Answer("rs.house_condition", AnswerValue.Choice("sound")),
    )

    @Test
    fun `a worker's visit becomes a case that is resolved and confirmed`() {
        store.signIn("w1")
        val grids = store.myGrids()
        assertEquals(listOf("G1"), grids.map { it.code })
        assertEquals(3u, grids[0].households)
        assertEquals(3u, grids[0].dueVisits)
        val due = runBlocking { store.householdRows("G1", pageSize = 2u).toList() }
        assertEquals(listOf("H001", "H002", "H003"), due.map { it.code }.sorted())
        assertTrue(due.all { it.due == DueState.NeverVisited })

        val patrol = store.startPatrol("G1", locationFix(22.5010, 113.9010, 10.0))
        val points = store.addTrackPoints(patrol.id, listOf(locationFix(22.5014, 113.9014, 6.0), locationFix(22.5020, 113.9600, 6.0)))
        assertEquals(GeofenceStatus.CONSISTENT, points[0].verdict.status)
        assertEquals(GeofenceStatus.OUTSIDE_GRID, points[1].verdict.status)

        val template = store.checklistFor("H001")
        assertEquals(5, template.sections.size)
        val (cylinder, cylinderSha) = photo("cylinder.jpg", "ws.gas_cylinder_photo")
        val outcome = store.recordVisit(
            VisitInput("H001", patrol.id, template.id, template.version, safeAnswers(gasSmell = true), "厨房有异味",
                locationFix(22.5016, 113.9016, 8.0), listOf(cylinder))
        )
        assertEquals(GeofenceStatus.CONSISTENT, outcome.visit.verdict?.status)
        assertEquals(cylinderSha, outcome.evidence.single().sha256, "the core's hash is the file's SHA-256")
        assertEquals(cylinderSha, store.evidence(outcome.evidence.single().id).sha256)
        assertEquals(listOf(Severity.CRITICAL, Severity.NORMAL), outcome.drafts.map { it.severity })
        store.endPatrol(patrol.id)

        // Report the hose from its pre-filled draft: nothing typed twice.
        val hose = outcome.drafts[1]
        assertEquals("H001", hose.householdCode)
        var case = store.reportCase(hose, listOf(photo("before.jpg").first), null)
        assertEquals(CaseState.REPORTED, case.case.state)
        assertEquals(listOf(ActionKind.RESOLVE_ON_SPOT), case.allowedActions)
        assertTrue(case.countdownLabel.startsWith("剩余"), case.countdownLabel)
        val id = case.case.id

        store.signIn("s1")
        case = store.actOnCase(id, CaseAction.File(Difficulty.NORMAL, ""), listOf())
        assertTrue(case.can(ActionKind.DISPATCH))
        // Dispatching to a worker of another grid is refused, naming the field.
        val wrongHandler = assertThrows<GridworkException.Invalid> { store.actOnCase(id, CaseAction.Dispatch("w2"), listOf()) }
        assertEquals("handler_id", wrongHandler.field)
        store.actOnCase(id, CaseAction.Dispatch("w1"), listOf())

        store.signIn("w1")
        store.actOnCase(id, CaseAction.Accept, listOf())
        val noPhoto = assertThrows<GridworkException.Invalid> { store.actOnCase(id, CaseAction.Resolve("已更换", listOf()), listOf()) }
        assertEquals("evidence_ids", noPhoto.field)
        assertEquals(noPhoto.reason, noPhoto.userMessage)
        case = store.actOnCase(id, CaseAction.Resolve("已更换软管", listOf()), listOf(photo("after.jpg").first))
        assertEquals(CaseState.RESOLVED, case.case.state)
        // A worker cannot confirm their own work: the refusal says why.
        val refused = assertThrows<GridworkException.NotPermitted> { store.actOnCase(id, CaseAction.Confirm(""), listOf()) }
        assertTrue(refused.reason.contains("may not confirm"), refused.reason)
        assertFalse(case.can(ActionKind.CONFIRM))

        store.signIn("s1")
        case = store.actOnCase(id, CaseAction.Confirm("核查属实"), listOf())
        assertEquals(CaseState.CONFIRMED, case.case.state)
        assertNull(case.chainBreak)
        assertEquals(listOf("reported", "filed", "dispatched", "accepted", "resolved", "confirmed"), case.timeline.map { it.kind })
        assertEquals("王书记", case.timeline.last().actorName)
        assertEquals(3, case.evidence.size)
        assertTrue(store.pendingOperations() > 0u)
    }

    @Test
    fun `personal numbers are masked until revealed for a reason`() {
        store.signIn("w1")
        val member = store.householdDetail("H001").members.single()
        assertEquals("110105********002X", member.idNumberMasked)
        assertEquals("139****5678", member.phoneMasked)
        val noReason = assertThrows<GridworkException.Invalid> { store.revealMemberField(member.id, PiiField.ID_NUMBER, " ") }
        assertEquals("reason", noReason.field)
        assertEquals("11010519491231002X", store.revealMemberField(member.id, PiiField.ID_NUMBER, "核对低保身份"))
        store.signIn("w2")
        assertThrows<GridworkException.NotFound> { store.householdDetail("H001") }
    }

    @Test
    fun `coordinates convert for Amap and Baidu and back`() {
        // Beijing, Tian'anmen: reference values from coordtransform 2.1.2 (npm),
        // as in core/src/coord/tests/reference.rs.
        val wgs = LatLon(39.908722, 116.397499)
        val gcj = convertCoordinates(wgs, CoordSystem.WGS84, CoordSystem.GCJ02)
        assertEquals(39.91012550007891, gcj.lat, 1e-9)
        assertEquals(116.4037425752605, gcj.lon, 1e-9)
        val back = convertCoordinates(gcj, CoordSystem.GCJ02, CoordSystem.WGS84)
        assertEquals(wgs.lat, back.lat, 5e-6)
        assertEquals(wgs.lon, back.lon, 5e-6)
        val bd = convertCoordinates(wgs, CoordSystem.WGS84, CoordSystem.BD09)
        assertTrue(bd.lat > gcj.lat && bd.lon > gcj.lon)
    }

    @Test
    fun `the device credential lives in the platform's secret store`() {
        val secrets = MemorySecrets()
        GridworkStore.open(File(dir, "other.db").path, secrets).use { s ->
            assertFalse(s.hasDeviceCredential())
            s.saveDeviceCredential("tok-123")
            assertTrue(s.hasDeviceCredential())
            assertEquals("tok-123", secrets.map.getValue("gridwork.device_credential"))
            s.forgetDeviceCredential()
            assertFalse(s.hasDeviceCredential())
        }
        // A keystore that throws is an error the app can show, not a crash:
        // at open (the store's key is in it) and at any later call.
        val atOpen = assertThrows<GridworkException.Platform> {
            GridworkStore.open(File(dir, "broken.db").path, BrokenSecrets())
        }
        assertTrue(atOpen.reason.contains("keystore locked"), atOpen.reason)
        GridworkStore.open(File(dir, "locking.db").path, LockingSecrets()).use { s ->
            val e = assertThrows<GridworkException.Platform> { s.saveDeviceCredential("tok") }
            assertTrue(e.reason.contains("keystore locked"), e.reason)
            assertTrue(e.userMessage.startsWith("系统功能出错"))
        }
    }

    @Test
    fun `the store on disk is encrypted under a key the secret store keeps`() {
        val secrets = MemorySecrets()
        val path = File(dir, "encrypted.db")
        GridworkStore.open(path.path, secrets).use { s ->
            s.upsertUser(User("w9", "周网格", Role.GRID_WORKER, "13912345678", emptyList()))
        }
        val bytes = path.readBytes().toString(Charsets.ISO_8859_1)
        assertFalse(bytes.contains("SQLite format 3"), "not a plain SQLite file")
        assertFalse(bytes.contains("13912345678"), "no phone number readable")
        assertEquals(64, secrets.map.getValue("gridwork.store_key").length, "a 256-bit key, hex")
        // The same key opens it again; another key is refused with a clear error.
        GridworkStore.open(path.path, secrets).use { s -> assertEquals("周网格", s.signIn("w9").name) }
        val other = MemorySecrets().apply { map["gridwork.store_key"] = "00".repeat(32) }
        val e = assertThrows<GridworkException.Invalid> { GridworkStore.open(path.path, other) }
        assertTrue(e.reason.contains("does not open with this key"), e.reason)
    }

    @Test
    fun `calls fail cleanly after shutdown and after close`() {
        val s = GridworkStore.open(File(dir, "closing.db").path, null)
        assertThrows<GridworkException.NotPermitted> { s.myGrids() }
        s.shutdown()
        val e = assertThrows<GridworkException.Storage> { s.deviceId() }
        assertTrue(e.reason.contains("shut down"), e.reason)
        s.close()
        assertThrows<IllegalStateException> { s.deviceId() }
    }
}
