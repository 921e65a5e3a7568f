package org.gridwork.android.work

import java.io.IOException
import java.io.RandomAccessFile
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody
import okhttp3.RequestBody.Companion.toRequestBody
import okio.BufferedSink
import org.gridwork.core.UploadJob

/** What the server answered to one upload request, as the core wants it reported. */
data class TusResponse(
    val status: Int,
    val uploadOffset: String?,
    val location: String?,
    val body: String?,
)

/**
 * Performs one request of the core's upload jobs (ADR 0010): the core says
 * method, URL, headers, file, offset and length; this only moves bytes.
 * OkHttp because Android's HttpURLConnection and the JVM's disagree about
 * PATCH, and OkHttp is the HTTP client Android apps already ship.
 */
class TusTransport(private val client: OkHttpClient) {
    fun perform(job: UploadJob): TusResponse {
        val body: RequestBody? = job.filePath?.let { path -> FileSliceBody(path, job.offset.toLong(), job.length.toLong()) }
            ?: if (job.method == "POST" || job.method == "PATCH") ByteArray(0).toRequestBody(null) else null
        val request = Request.Builder().url(job.url).apply {
            job.headers.forEach { header(it.name, it.value) }
            method(job.method, body)
        }.build()
        client.newCall(request).execute().use { response ->
            return TusResponse(
                status = response.code,
                uploadOffset = response.header("Upload-Offset"),
                location = response.header("Location"),
                body = response.body?.string()?.ifEmpty { null },
            )
        }
    }
}

/** Streams [length] bytes of a photo from [offset], so a 5 MB photo never sits in memory twice. */
private class FileSliceBody(private val path: String, private val offset: Long, private val length: Long) : RequestBody() {
    override fun contentType() = OFFSET_OCTET_STREAM
    override fun contentLength() = length

    override fun writeTo(sink: BufferedSink) {
        RandomAccessFile(path, "r").use { file ->
            if (file.length() < offset + length) throw IOException("photo $path is shorter than the upload expects")
            file.seek(offset)
            val buffer = ByteArray(64 * 1024)
            var left = length
            while (left > 0) {
                val n = file.read(buffer, 0, minOf(buffer.size.toLong(), left).toInt())
                if (n < 0) throw IOException("photo $path ended early")
                sink.write(buffer, 0, n)
                left -= n
            }
        }
    }

    private companion object {
        val OFFSET_OCTET_STREAM = "application/offset+octet-stream".toMediaType()
    }
}
