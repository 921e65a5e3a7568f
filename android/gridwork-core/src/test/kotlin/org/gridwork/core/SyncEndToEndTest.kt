package org.gridwork.core

import com.sun.net.httpserver.HttpServer
import java.io.File
import java.io.RandomAccessFile
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.security.MessageDigest
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Records progress events, as a progress bar would. */
class RecordingListener : SyncListener {
    val events = CopyOnWriteArrayList<SyncProgress>()
    override fun onProgress(progress: SyncProgress) { events.add(progress) }
}

/** Records upload progress events. */
class RecordingUploadListener : UploadListener {
    val events = CopyOnWriteArrayList<UploadProgress>()
    override fun onProgress(progress: UploadProgress) { events.add(progress) }
}

/**
 * The generated Kotlin against a real `gridwork serve` on loopback:
 * enrolment with activation codes, sync (suspend) with progress, a case
 * travelling from the worker's phone to the secretary's and back.
 */
class SyncEndToEndTest {
    private lateinit var dir: File
    private lateinit var server: Process
    private lateinit var url: String
    private lateinit var adminToken: String
    private val http = HttpClient.newHttpClient()
    private val data = File(System.getProperty("gridwork.testdata") ?: "../../bindings/testdata")

    private fun admin(method: String, path: String, body: ByteArray): String {
        val req = HttpRequest.newBuilder(URI.create("$url/v1$path"))
            .header("Authorization", "Bearer $adminToken")
            .header("X-Gridwork-Protocol", "1")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
            .build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        assertEquals(200, resp.statusCode(), "$path: ${resp.body()}")
        return resp.body()
    }

    private fun codeFor(user: String): String =
        Regex("\"code\":\"([A-Z0-9-]+)\"").find(admin("POST", "/admin/activation-codes", """{"user_id":"$user"}""".toByteArray()))!!
            .groupValues[1]

    private fun phone(name: String): Pair<GridworkStore, MemorySecrets> {
        val secrets = MemorySecrets()
        return GridworkStore.open(File(dir, "$name.db").path, secrets) to secrets
    }

    @BeforeEach
    fun startServer() {
        dir = Files.createTempDirectory("gridwork-kt-e2e").toFile()
        val bin = System.getProperty("gridwork.server.bin") ?: error("gridwork.server.bin not set")
        // http:// push endpoints: the push service below is on loopback.
        server = ProcessBuilder(bin, "serve", "--listen", "127.0.0.1:0", "--data", File(dir, "server").path, "--push-allow-http")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val lines = server.inputStream.bufferedReader()
        var code: String? = null
        while (true) {
            val line = lines.readLine() ?: error("the server exited before listening")
            if (line.startsWith("gridwork server listening on ")) url = line.removePrefix("gridwork server listening on ").substringBefore(' ')
            if ("activation code: " in line) code = line.substringAfter("activation code: ").trim()
            if (line.startsWith("OpenAPI:")) break
        }
        Thread { lines.forEachLine { } }.apply { isDaemon = true }.start()
        // The administrator enrols a console like any device, then sets up the village.
        val (console, consoleSecrets) = phone("admin")
        console.use { runBlocking { it.activate(url, code!!, "admin-console") } }
        adminToken = consoleSecrets.map.getValue("gridwork.device_credential")
        admin("POST", "/admin/import/regions?mode=all_or_nothing", File(data, "township.geojson").readBytes())
        admin("POST", "/admin/import/households", File(data, "households.csv").readBytes())
        admin("POST", "/admin/import/members", File(data, "members.csv").readBytes())
        admin("PUT", "/admin/users", """{"id":"w1","name":"张网格","role":"grid_worker","phone":null,"jurisdiction":[]}""".toByteArray())
        admin("PUT", "/admin/users", """{"id":"s1","name":"王书记","role":"village_secretary","phone":null,"jurisdiction":["440300-T01-V01"]}""".toByteArray())
        admin("PUT", "/admin/users", """{"id":"t1","name":"赵督导","role":"township_supervisor","phone":null,"jurisdiction":["440300-T01"]}""".toByteArray())
        admin("PUT", "/admin/assignments", """{"user_id":"w1","grid_code":"G1","kind":"primary","from":"2026-01-01","to":null}""".toByteArray())
    }

    @AfterEach
    fun stopServer() {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
        dir.deleteRecursively()
    }

    /**
     * Escalation through the bindings: the supervisor's phone registers a
     * Web Push subscription (at a push service on loopback, the JDK's HTTP
     * server), a critical case reported by the worker escalates on arrival,
     * the push request reaches the push service, and the inbox item reaches
     * the supervisor's phone by sync and is marked read.
     */
    @Test
    fun `a critical case reaches the township supervisor by push and in the inbox`() = runBlocking {
        val pushes = LinkedBlockingQueue<Map<String, String>>()
        val pushService = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
            createContext("/push/") { ex ->
                ex.requestBody.readAllBytes()
                pushes.add(ex.requestHeaders.entries.associate { it.key.lowercase() to it.value.joinToString(",") } + ("path" to ex.requestURI.path))
                ex.sendResponseHeaders(201, -1)
                ex.close()
            }
            start()
        }
        try {
            val (supervisor, _) = phone("t1")
            val (worker, _) = phone("w1")
            supervisor.use { t ->
                worker.use { w ->
                    t.activate(url, codeFor("t1"), "赵督导的手机")
                    t.signIn("t1")
                    val config = t.pushConfig()
                    assertEquals(87, config.vapidPublicKey.length, "an uncompressed P-256 point in base64url")
                    assertTrue("web_push" in config.kinds, config.kinds.toString())
                    // The UA key and auth secret of RFC 8291's example.
                    val endpoint = PushEndpoint.WebPush(
                        "http://127.0.0.1:${pushService.address.port}/push/t1",
                        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                        "BTBZMqHH6r4Tts7J_aSIgg",
                    )
                    assertTrue(t.registerPushEndpoint(endpoint))
                    assertEquals(false, t.registerPushEndpoint(endpoint), "the same endpoint again is nothing new")
                    assertEquals(listOf<PushEndpoint>(endpoint), t.pushEndpoints())
                    val bad = assertThrows<GridworkException.Invalid> { t.registerPushEndpoint(PushEndpoint.Apns("not-hex")) }
                    assertEquals("device_token", bad.field)
                    t.setQuietHours(QuietHours("23:00", "06:30"))
                    assertEquals(QuietHours("23:00", "06:30"), t.quietHours())
                    t.sync(null)

                    w.activate(url, codeFor("w1"), "张网格的手机")
                    w.signIn("w1")
                    w.sync(null)
                    val draft = CaseDraft(Category(Priority.WORK_SAFETY, "gas"), Severity.CRITICAL, "燃气泄漏", "", "H001", "G1", null, listOf())
                    val id = w.reportCase(draft, listOf(), null).case.id
                    w.sync(null)

                    // Critical: pushed at once (through quiet hours), with high urgency.
                    val push = pushes.poll(20, TimeUnit.SECONDS) ?: error("no push arrived")
                    assertEquals("/push/t1", push["path"])
                    assertEquals("aes128gcm", push["content-encoding"])
                    assertEquals("high", push["urgency"])
                    assertTrue(push["authorization"]!!.startsWith("vapid t="), push.toString())
                    assertTrue(push["authorization"]!!.contains("k=${config.vapidPublicKey}"), push.toString())

                    t.sync(null)
                    val inbox = t.inbox(false, 0u, 20u)
                    assertEquals(1u, inbox.unread)
                    val item = inbox.items.single()
                    assertEquals(InboxKind.ESCALATED, item.kind)
                    assertEquals(id, item.caseId)
                    assertTrue(item.critical)
                    assertEquals("事件升级至乡镇(街道)：重大事件", item.titleZh)
                    assertEquals("Case escalated to the township: critical case", item.titleEn)
                    assertEquals("【重大】燃气泄漏", item.bodyZh)
                    assertNull(item.readAt)
                    assertTrue(t.markInboxRead(item.id).readAt != null)
                    assertEquals(0u, t.inbox(true, 0u, 20u).unread)
                    t.sync(null)
                    assertEquals(0uL, t.pendingOperations(), "the read mark went to the server")
                }
            }
        } finally {
            pushService.stop(0)
        }
    }

    @Test
    fun `a case goes from the worker's phone to the secretary's and back`() = runBlocking {
        val (worker, workerSecrets) = phone("w1")
        val (secretary, _) = phone("s1")
        worker.use { w ->
            secretary.use { s ->
                // A wrong code is refused with the field named.
                val wrong = assertThrows<GridworkException.Invalid> { runBlocking { w.activate(url, "AAAAA-AAAAA", "phone") } }
                assertTrue(wrong.reason.contains("激活码"), wrong.reason)
                val me = w.activate(url, codeFor("w1"), "张网格的手机")
                assertEquals("w1", me.id)
                assertTrue(workerSecrets.map.getValue("gridwork.device_credential").startsWith("gwd_"), "the credential is in the secret store")
                w.signIn("w1")
                val progress = RecordingListener()
                val first = w.sync(progress)
                assertTrue(first.pulled.upserted > 10u, first.toString())
                assertTrue(progress.events.any { it.phase == SyncPhase.PULL && it.itemsDone > 0u }, progress.events.toString())
                assertEquals(listOf("G1"), w.myGrids().map { it.code })

                // Offline work: a visit that finds a hazard, a case from its draft.
                val t = w.checklistFor("H001")
                val outcome = w.recordVisit(VisitInput("H001", null, t.id, t.version, listOf(
                    Answer("ep.symptoms", AnswerValue.Choices(listOf("none"))),
                    Answer("ws.gas_use", AnswerValue.Choice("lpg")),
                    Answer("ws.gas_smell", AnswerValue.YesNo(false)),
                    Answer("ws.gas_cylinder_hose", AnswerValue.Choices(listOf("hose_aged"))),
                    Answer("rs.house_condition", AnswerValue.Choice("sound")),
                ), "", locationFix(22.5016, 113.9016, 8.0), listOf()))
                val id = w.reportCase(outcome.drafts.single(), listOf(), null).case.id
                assertTrue(w.pendingOperations() > 0u)
                val pushed = w.sync(null)
                assertEquals(0u, pushed.pushed.rejected)
                assertEquals(0uL, w.pendingOperations())

                s.activate(url, codeFor("s1"), "王书记的手机")
                s.signIn("s1")
                s.sync(null)
                var screen = s.caseDetail(id)
                assertEquals(CaseState.REPORTED, screen.case.state)
                s.actOnCase(id, CaseAction.File(Difficulty.NORMAL, ""), listOf())
                s.actOnCase(id, CaseAction.Dismiss("已由燃气公司上门处理"), listOf())
                s.sync(null)

                w.sync(null)
                screen = w.caseDetail(id)
                assertEquals(CaseState.CLOSED, screen.case.state)
                assertEquals("已由燃气公司上门处理", screen.case.dismissed)
                assertNull(screen.chainBreak)
                assertTrue(w.conflicts(true).isEmpty())
            }
        }
    }

    /**
     * The upload queue through the bindings: status, network policy, the
     * shell-driven job round trip (answers fed back as WorkManager would,
     * without sending: the server's tus routes are tested in Rust), retry now.
     */
    @Test
    fun `a photo waits for sync, obeys the network policy and goes through shell-driven jobs`() = runBlocking {
        val (worker, _) = phone("w1")
        worker.use { w ->
            w.activate(url, codeFor("w1"), "张网格的手机")
            w.signIn("w1")
            w.sync(null)
            val bytes = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte()) + ByteArray(5000) { (it * 7).toByte() }
            val file = File(dir, "hose.jpg").apply { writeBytes(bytes) }
            val t = w.checklistFor("H001")
            w.recordVisit(VisitInput("H001", null, t.id, t.version, listOf(
                Answer("ep.symptoms", AnswerValue.Choices(listOf("none"))),
                Answer("ws.gas_use", AnswerValue.Choice("lpg")),
                Answer("ws.gas_smell", AnswerValue.YesNo(false)),
                Answer("rs.house_condition", AnswerValue.Choice("sound")),
            ), "", locationFix(22.5016, 113.9016, 8.0), listOf(jpegPhoto(file))))

            // Before sync the server would not know the photo.
            var status = w.uploadQueueStatus()
            assertEquals(1u, status.waiting)
            assertEquals(bytes.size.toULong(), status.bytesWaiting)
            assertEquals(UploadBlocker.AWAITING_SYNC, status.items.single().blockedBy)
            assertNull(w.nextUploadJob())
            w.sync(null)

            // Wi-Fi only, on mobile data: it waits for Wi-Fi.
            w.setUploadNetworkPolicy(NetworkPolicy.UnmeteredOnly)
            w.setNetworkKind(NetworkKind.METERED)
            status = w.uploadQueueStatus()
            assertEquals(NetworkPolicy.UnmeteredOnly, status.policy)
            assertEquals(UploadBlocker.NETWORK, status.items.single().blockedBy)
            assertNull(w.nextUploadJob())
            val refused = assertThrows<GridworkException.Invalid> { w.setUploadNetworkPolicy(NetworkPolicy.UnmeteredAbove(0uL)) }
            assertEquals("policy.max_bytes", refused.field)
            w.setUploadNetworkPolicy(NetworkPolicy.UnmeteredAbove(10_000uL))

            val create = w.nextUploadJob()!!
            assertEquals(UploadStep.CREATE, create.step)
            assertEquals("POST", create.method)
            assertEquals("$url/v1/uploads", create.url)
            assertTrue(create.headers.any { it.name == "Tus-Resumable" && it.value == "1.0.0" })
            assertTrue(create.headers.any { it.name == "Upload-Length" && it.value == bytes.size.toString() })
            assertEquals(UploadOutcome.PROGRESSED, w.reportUploadResult(create.jobId, 201.toUShort(), null, "/v1/uploads/u1", null, null))
            assertEquals(UploadOutcome.STALE, w.reportUploadResult(create.jobId, 201.toUShort(), null, "/v1/uploads/u1", null, null))

            val head = w.nextUploadJob()!!
            assertEquals(UploadStep.HEAD, head.step)
            assertEquals("$url/v1/uploads/u1", head.url)
            assertEquals(UploadOutcome.PROGRESSED, w.reportUploadResult(head.jobId, 200.toUShort(), "0", null, null, null))

            val patch = w.nextUploadJob()!!
            assertEquals(UploadStep.PATCH, patch.step)
            assertEquals(0uL, patch.offset)
            assertEquals(bytes.size.toULong(), patch.length)
            assertTrue(File(patch.filePath!!).exists())
            assertTrue(patch.headers.any { it.name == "Upload-Checksum" && it.value.startsWith("sha256 ") })
            // The background transfer timed out: back off, with the reason.
            assertEquals(UploadOutcome.RETRY_LATER, w.reportUploadResult(patch.jobId, null, null, null, null, "timeout"))
            status = w.uploadQueueStatus()
            assertEquals(UploadBlocker.BACKOFF, status.items.single().blockedBy)
            assertEquals(1u, status.items.single().attempts)
            assertTrue(status.items.single().reason!!.contains("网络中断"))
            assertNull(w.nextUploadJob())

            assertEquals(1u, w.retryUploadsNow())
            val again = w.nextUploadJob()!!
            assertEquals(UploadStep.HEAD, again.step)
            // The server had it all (its 204 was lost): stored, and the file leaves the phone.
            assertEquals(UploadOutcome.STORED, w.reportUploadResult(again.jobId, 200.toUShort(), bytes.size.toString(), null, null, null))
            status = w.uploadQueueStatus()
            assertEquals(1u, status.stored)
            assertEquals(0uL, status.bytesOnDevice)
            assertTrue(status.items.isEmpty())
            assertTrue(!File(patch.filePath!!).exists())

            // The core's own uploader (suspend, with a listener): nothing is left.
            val uploads = RecordingUploadListener()
            val report = w.uploadEvidence(uploads, NetworkKind.UNMETERED)
            assertEquals(0u, report.stored)
            assertEquals(0u, report.requests)
            assertEquals(0uL, uploads.events.first().itemsTotal)
            assertEquals(NetworkKind.UNMETERED, w.uploadQueueStatus().network)
        }
    }

    /** A visit with one photo, pushed so that the server knows its record. */
    private suspend fun visitWithPhoto(w: GridworkStore, household: String, name: String, bytes: ByteArray): String {
        val file = File(dir, name).apply { writeBytes(bytes) }
        val t = w.checklistFor(household)
        val outcome = w.recordVisit(VisitInput(household, null, t.id, t.version, listOf(
            Answer("ep.symptoms", AnswerValue.Choices(listOf("none"))),
            Answer("ws.gas_use", AnswerValue.Choice("lpg")),
            Answer("ws.gas_smell", AnswerValue.YesNo(false)),
            Answer("rs.house_condition", AnswerValue.Choice("sound")),
        ), "", locationFix(22.5016, 113.9016, 8.0), listOf(jpegPhoto(file))))
        w.sync(null)
        return outcome.evidence.single().id
    }

    /** Photo-like bytes: a JPEG start marker, then noise that does not compress. */
    private fun photoBytes(size: Int, seed: Long): ByteArray {
        val rnd = java.util.Random(seed)
        return ByteArray(size).also { rnd.nextBytes(it); it[0] = 0xFF.toByte(); it[1] = 0xD8.toByte(); it[2] = 0xFF.toByte() }
    }

    private fun sha256Hex(bytes: ByteArray): String =
        MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

    /** What the server serves for an evidence record, read with the worker's credential. */
    private fun storedOnServer(token: String, evidenceId: String): ByteArray {
        val req = HttpRequest.newBuilder(URI.create("$url/v1/evidence/$evidenceId/content"))
            .header("Authorization", "Bearer $token")
            .header("X-Gridwork-Protocol", "1")
            .GET()
            .build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray())
        assertEquals(200, resp.statusCode(), "content of $evidenceId")
        return resp.body()
    }

    /**
     * Real bytes through the bindings to the real server: (a) the
     * shell-driven mode carried by this test with the JDK's HTTP client, as
     * WorkManager would (each job read from its file at its offset and
     * length, the real answer fed back) until the queue says stored; (b)
     * the core's own uploader (suspend, with progress) for a second photo.
     * The server then serves both photos byte-identical.
     */
    @Test
    fun `photos reach the real server byte-identical through shell-driven jobs and the core's uploader`() = runBlocking {
        val (worker, secrets) = phone("w1")
        worker.use { w ->
            w.activate(url, codeFor("w1"), "张网格的手机")
            w.signIn("w1")
            w.sync(null)
            val token = secrets.map.getValue("gridwork.device_credential")
            w.setNetworkKind(NetworkKind.UNMETERED)

            // (a) Shell-driven: this test is the background transfer.
            val first = photoBytes(300_000, 1)
            val firstId = visitWithPhoto(w, "H001", "first.jpg", first)
            val client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
            val steps = mutableListOf<UploadStep>()
            var outcome: UploadOutcome? = null
            while (outcome != UploadOutcome.STORED) {
                assertTrue(steps.size < 10, "no progress after $steps: ${w.uploadQueueStatus()}")
                val job = w.nextUploadJob() ?: error("no job while the photo is not stored: ${w.uploadQueueStatus()}")
                assertEquals(firstId, job.evidenceId)
                steps.add(job.step)
                val body = job.filePath?.let { path ->
                    RandomAccessFile(path, "r").use { f ->
                        ByteArray(job.length.toInt()).also { f.seek(job.offset.toLong()); f.readFully(it) }
                    }
                }
                val req = HttpRequest.newBuilder(URI.create(job.url))
                job.headers.forEach { req.header(it.name, it.value) }
                req.method(job.method, if (body != null) HttpRequest.BodyPublishers.ofByteArray(body) else HttpRequest.BodyPublishers.noBody())
                val resp = client.send(req.build(), HttpResponse.BodyHandlers.ofString())
                outcome = w.reportUploadResult(
                    job.jobId,
                    resp.statusCode().toUShort(),
                    resp.headers().firstValue("Upload-Offset").orElse(null),
                    resp.headers().firstValue("Location").orElse(null),
                    resp.body().ifEmpty { null },
                    null,
                )
                assertTrue(outcome == UploadOutcome.PROGRESSED || outcome == UploadOutcome.STORED,
                    "${job.step} answered ${resp.statusCode()} ${resp.body()}: $outcome")
            }
            // Create (no body for a shell), then the whole file in one PATCH.
            assertEquals(listOf(UploadStep.CREATE, UploadStep.PATCH), steps)
            assertNull(w.nextUploadJob())
            var status = w.uploadQueueStatus()
            assertEquals(1u, status.stored)
            assertEquals(0uL, status.bytesOnDevice, "the stored photo left the phone")

            // (b) The core's own uploader for a second photo.
            val second = photoBytes(450_000, 2)
            val secondId = visitWithPhoto(w, "H002", "second.jpg", second)
            val progress = RecordingUploadListener()
            val report = w.uploadEvidence(progress, NetworkKind.UNMETERED)
            assertEquals(1u, report.stored, report.toString())
            assertEquals(0u, report.failed)
            assertTrue(report.bytesSent >= second.size.toULong(), report.toString())
            val last = progress.events.last()
            assertEquals(1uL, last.itemsDone, progress.events.toString())
            assertEquals(second.size.toULong(), last.bytesDone, progress.events.toString())
            assertTrue(progress.events.size >= 2, "a start and at least one step: ${progress.events}")
            status = w.uploadQueueStatus()
            assertEquals(2u, status.stored)
            assertEquals(0u, status.waiting + status.uploading + status.failed)

            // The server holds both, byte for byte, and says so to other phones.
            for ((id, bytes) in listOf(firstId to first, secondId to second)) {
                val served = storedOnServer(token, id)
                assertEquals(sha256Hex(bytes), sha256Hex(served), id)
                assertTrue(bytes.contentEquals(served), id)
                assertEquals(sha256Hex(bytes), w.evidence(id).sha256)
            }
            w.sync(null)
            assertEquals(UploadState.STORED, w.evidence(firstId).uploadState)
            assertEquals(UploadState.STORED, w.evidence(secondId).uploadState)
        }
    }
}
