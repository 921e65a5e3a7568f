package org.gridwork.android.push

import org.gridwork.android.notify.CaseNotice
import org.json.JSONException
import org.json.JSONObject

/**
 * Reads the server's Web Push payload (push crate, `webpush.rs`: id, title
 * and body as {zh, en}, priority, data {case_id, level}) with the
 * platform's org.json. A payload that does not parse is dropped with a
 * reason: the inbox still has the item after the next sync.
 */
object PushPayload {
    fun parse(bytes: ByteArray): Result<CaseNotice> = try {
        val json = JSONObject(String(bytes, Charsets.UTF_8))
        val title = json.getJSONObject("title")
        val body = json.getJSONObject("body")
        val data = json.getJSONObject("data")
        Result.success(
            CaseNotice(
                id = json.getString("id"),
                titleZh = title.getString("zh"),
                titleEn = title.optString("en"),
                bodyZh = body.getString("zh"),
                bodyEn = body.optString("en"),
                caseId = data.getString("case_id"),
                level = data.optInt("level", 0),
                critical = json.optString("priority") == "critical",
            ),
        )
    } catch (e: JSONException) {
        Result.failure(IllegalArgumentException("push payload is not a Gridwork notice: ${e.message}", e))
    }
}
