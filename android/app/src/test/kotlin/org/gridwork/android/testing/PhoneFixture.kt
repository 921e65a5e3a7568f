package org.gridwork.android.testing

import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import org.gridwork.app.testing.GridworkServer
import org.gridwork.app.testing.MemorySecrets
import org.gridwork.core.Answer
import org.gridwork.core.AnswerValue
import org.gridwork.core.GridworkStore
import org.gridwork.core.VisitInput
import org.gridwork.core.jpegPhoto
import org.gridwork.core.locationFix

/** 张网格's phone, enrolled against [server], for the worker tests. */
class PhoneFixture(private val dir: File, private val server: GridworkServer) : AutoCloseable {
    val secrets = MemorySecrets()
    val store: GridworkStore = GridworkStore.open(File(dir, "phone.db").path, secrets)

    suspend fun enrol() {
        store.activate(server.url, server.codeFor("w1"), "测试手机")
        store.signIn("w1")
        store.sync(null)
    }

    /** A visit to [household] with one photo of [bytes], recorded (not yet synced). */
    fun visitWithPhoto(household: String, bytes: ByteArray): String {
        val file = File(dir, "photo-$household.jpg").apply { writeBytes(bytes) }
        val t = store.checklistFor(household)
        val outcome = store.recordVisit(
            VisitInput(
                household, null, t.id, t.version,
                listOf(
                    Answer("ep.symptoms", AnswerValue.Choices(listOf("none"))),
                    Answer("ws.gas_use", AnswerValue.Choice("lpg")),
                    Answer("ws.gas_smell", AnswerValue.YesNo(false)),
                    Answer("rs.house_condition", AnswerValue.Choice("sound")),
                ),
                "", locationFix(22.5016, 113.9016, 8.0), listOf(jpegPhoto(file)),
            ),
        )
        return outcome.evidence.single().id
    }

    /** What the server serves for [evidenceId], read with this phone's credential. */
    fun storedOnServer(evidenceId: String): Pair<Int, ByteArray> {
        val token = secrets.map.getValue("gridwork.device_credential")
        val request = HttpRequest.newBuilder(URI.create("${server.url}/v1/evidence/$evidenceId/content"))
            .header("Authorization", "Bearer $token")
            .header("X-Gridwork-Protocol", "1")
            .GET()
            .build()
        val response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray())
        return response.statusCode() to response.body()
    }

    override fun close() = store.close()

    companion object {
        /** Photo-like bytes: a JPEG start marker, then noise that does not compress. */
        fun photoBytes(size: Int, seed: Long): ByteArray {
            val rnd = java.util.Random(seed)
            return ByteArray(size).also { rnd.nextBytes(it); it[0] = 0xFF.toByte(); it[1] = 0xD8.toByte(); it[2] = 0xFF.toByte() }
        }
    }
}
