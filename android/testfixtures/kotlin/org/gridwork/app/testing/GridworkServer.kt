package org.gridwork.app.testing

import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.gridwork.core.GridworkStore

/**
 * A real `gridwork serve` on loopback with the test township: the
 * administrator enrols a console like any device, imports the regions,
 * households and members of bindings/testdata, and creates 张网格 (w1,
 * worker of G1), 王书记 (s1, secretary of V01) and 赵督导 (t1, township
 * supervisor).
 */
class GridworkServer(val dir: File, private val testClock: java.time.Instant? = null) : AutoCloseable {
    private val bin = System.getProperty("gridwork.server.bin") ?: error("gridwork.server.bin not set")
    private val data = File(System.getProperty("gridwork.testdata") ?: "../../bindings/testdata")
    private val http = HttpClient.newHttpClient()
    private var process: Process
    lateinit var url: String
        private set
    private lateinit var adminToken: String

    init {
        val (p, code) = launch("127.0.0.1:0")
        process = p
        val secrets = MemorySecrets()
        GridworkStore.open(File(dir, "admin-console.db").path, secrets).use { console ->
            runBlocking { console.activate(url, code ?: error("no first activation code printed"), "admin-console") }
        }
        adminToken = secrets.map.getValue("gridwork.device_credential")
        admin("POST", "/admin/import/regions?mode=all_or_nothing", File(data, "township.geojson").readBytes())
        admin("POST", "/admin/import/households", File(data, "households.csv").readBytes())
        admin("POST", "/admin/import/members", File(data, "members.csv").readBytes())
        user("w1", "张网格", "grid_worker", "")
        user("s1", "王书记", "village_secretary", "\"440300-T01-V01\"")
        user("t1", "赵督导", "township_supervisor", "\"440300-T01\"")
        admin("PUT", "/admin/assignments", """{"user_id":"w1","grid_code":"G1","kind":"primary","from":"2026-01-01","to":null}""".toByteArray())
    }

    private fun launch(listen: String): Pair<Process, String?> {
        val args = mutableListOf(bin, "serve", "--listen", listen, "--data", File(dir, "server").path)
        if (testClock != null) args += listOf("--test-clock", testClock.toString())
        val p = ProcessBuilder(args)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val lines = p.inputStream.bufferedReader()
        var code: String? = null
        while (true) {
            val line = lines.readLine() ?: error("the server exited before listening")
            if (line.startsWith("gridwork server listening on ")) url = line.removePrefix("gridwork server listening on ").substringBefore(' ')
            if ("activation code: " in line) code = line.substringAfter("activation code: ").trim()
            if (line.startsWith("OpenAPI:")) break
        }
        Thread { lines.forEachLine { } }.apply { isDaemon = true }.start()
        return p to code
    }

    private fun user(id: String, name: String, role: String, jurisdiction: String) =
        admin("PUT", "/admin/users", """{"id":"$id","name":"$name","role":"$role","phone":null,"jurisdiction":[$jurisdiction]}""".toByteArray())

    fun admin(method: String, path: String, body: ByteArray = ByteArray(0)): String {
        val req = HttpRequest.newBuilder(URI.create("$url/v1$path"))
            .header("Authorization", "Bearer $adminToken")
            .header("X-Gridwork-Protocol", "1")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
            .build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(resp.statusCode() == 200) { "$path answered ${resp.statusCode()}: ${resp.body()}" }
        return resp.body()
    }

    /** A fresh one-time activation code for [user]. */
    fun codeFor(user: String): String =
        Regex("\"code\":\"([A-Z0-9-]+)\"").find(admin("POST", "/admin/activation-codes", """{"user_id":"$user"}""".toByteArray()))!!
            .groupValues[1]

    /** The activation QR code's text the server issues for [user] (what an administrator shows). */
    fun qrFor(user: String): String =
        Regex("\"qr\":\"([^\"]+)\"").find(admin("POST", "/admin/activation-codes", """{"user_id":"$user"}""".toByteArray()))!!
            .groupValues[1]

    /** Move the server's test clock (started with one) to [now]; the escalation engine runs. */
    fun setClock(now: java.time.Instant) {
        admin("POST", "/admin/clock", "{\"now\":\"$now\"}".toByteArray())
    }

    /** Stop the server hard (a lost network, as the phone sees it). */
    fun kill() {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }

    /** Start it again on the same address and data. */
    fun restart() {
        val port = URI.create(url).port
        process = launch("127.0.0.1:$port").first
    }

    override fun close() {
        kill()
    }
}
