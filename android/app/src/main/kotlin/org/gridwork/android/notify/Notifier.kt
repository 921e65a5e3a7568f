package org.gridwork.android.notify

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent

/** One notification as the server sent it: texts composed by the server, Chinese first. */
data class CaseNotice(
    val id: String,
    val titleZh: String,
    val titleEn: String,
    val bodyZh: String,
    val bodyEn: String,
    val caseId: String,
    /** 1 township, 2 city; 0 for an urge (督办). */
    val level: Int,
    val critical: Boolean,
)

/**
 * Notification channels and the notifications themselves. Channels are
 * named in Chinese with English alongside (people can silence each one in
 * the system settings); a tap opens the case through [openCase].
 */
class Notifier(private val context: Context, private val openCase: (String) -> Intent) {
    private val manager: NotificationManager = checkNotNull(context.getSystemService(NotificationManager::class.java)) { "no NotificationManager" }

    fun createChannels() {
        manager.createNotificationChannels(
            listOf(
                NotificationChannel(ESCALATIONS, "超时升级 Escalations", NotificationManager.IMPORTANCE_HIGH).apply {
                    description = "事件超时升级到你 · Cases escalated to you after their deadline"
                },
                NotificationChannel(URGES, "督办与指派 Urges and assignments", NotificationManager.IMPORTANCE_DEFAULT).apply {
                    description = "上级督办、指派给你的事件 · Urges and cases assigned to you"
                },
                NotificationChannel(SYNC, "同步 Sync", NotificationManager.IMPORTANCE_LOW).apply {
                    description = "照片上传与同步问题 · Photo uploads and sync problems"
                },
            ),
        )
    }

    /** Shows [notice]; the same case replaces its earlier notification (its latest state matters). */
    fun show(notice: CaseNotice) {
        val channel = if (notice.level > 0) ESCALATIONS else URGES
        val tap = PendingIntent.getActivity(
            context,
            notice.caseId.hashCode(),
            openCase(notice.caseId),
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )
        val body = listOf(notice.bodyZh, notice.bodyEn).filter { it.isNotBlank() }.joinToString("\n")
        val notification = Notification.Builder(context, channel)
            .setSmallIcon(android.R.drawable.stat_notify_error)
            .setContentTitle(notice.titleZh)
            .setSubText(notice.titleEn.ifBlank { null })
            .setContentText(notice.bodyZh)
            .setStyle(Notification.BigTextStyle().bigText(body))
            .setCategory(if (notice.critical) Notification.CATEGORY_ALARM else Notification.CATEGORY_MESSAGE)
            .setContentIntent(tap)
            .setAutoCancel(true)
            .build()
        manager.notify(TAG_CASE, notice.caseId.hashCode(), notification)
    }

    companion object {
        const val ESCALATIONS = "escalations"
        const val URGES = "urges"
        const val SYNC = "sync"
        const val TAG_CASE = "case"
        /** The extra a notification's intent carries: which case to open. */
        const val EXTRA_CASE_ID = "org.gridwork.extra.CASE_ID"
    }
}
