package org.gridwork.android

import android.app.Notification
import android.app.NotificationManager
import android.content.Context
import org.gridwork.android.notify.Notifier
import org.gridwork.android.push.PushPayload
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

/**
 * A push as the server encrypts it (push crate's Web Push payload) turns
 * into a notification on the right channel whose tap opens the case.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35], manifest = Config.NONE)
class NotificationsTest {
    private val context: Context get() = RuntimeEnvironment.getApplication()
    private val manager: NotificationManager get() = context.getSystemService(NotificationManager::class.java)!!

    private val escalation = """
        {"id":"esc-1","title":{"zh":"事件超时升级","en":"Case escalated"},
         "body":{"zh":"C-0042 燃气异味 已超时 2 天","en":"C-0042 gas smell is 2 days late"},
         "priority":"critical","data":{"case_id":"C-0042","level":1}}
    """.trimIndent().toByteArray()

    @Test
    fun `channels are created in Chinese with English alongside`() {
        Notifier(context) { MainActivity.openCaseIntent(context, it) }.createChannels()
        val channels = manager.notificationChannels.associateBy { it.id }
        assertEquals(setOf(Notifier.ESCALATIONS, Notifier.URGES, Notifier.SYNC), channels.keys)
        assertEquals("超时升级 Escalations", channels.getValue(Notifier.ESCALATIONS).name)
        assertEquals(NotificationManager.IMPORTANCE_HIGH, channels.getValue(Notifier.ESCALATIONS).importance)
    }

    @Test
    fun `an escalation push shows a notification whose tap opens its case`() {
        val notifier = Notifier(context) { MainActivity.openCaseIntent(context, it) }
        notifier.createChannels()
        val notice = PushPayload.parse(escalation).getOrThrow()
        notifier.show(notice)

        val posted = shadowOf(manager).allNotifications
        assertEquals(1, posted.size)
        val n = posted.single()
        assertEquals(Notifier.ESCALATIONS, n.channelId)
        assertEquals("事件超时升级", n.extras.getString(Notification.EXTRA_TITLE))
        assertEquals(Notification.CATEGORY_ALARM, n.category)
        val tap = shadowOf(n.contentIntent).savedIntent
        assertEquals("C-0042", tap.getStringExtra(Notifier.EXTRA_CASE_ID))
        assertEquals(MainActivity::class.java.name, tap.component?.className)

        // A later push about the same case replaces it rather than piling up.
        notifier.show(notice.copy(id = "esc-2", level = 2, bodyZh = "已升级到市级"))
        assertEquals(1, shadowOf(manager).allNotifications.size)
    }

    @Test
    fun `an urge goes to its own channel, and a payload that is not a notice is refused with a reason`() {
        val notifier = Notifier(context) { MainActivity.openCaseIntent(context, it) }
        notifier.createChannels()
        val urge = String(escalation).replace("\"level\":1", "\"level\":0").replace("critical", "normal").toByteArray()
        notifier.show(PushPayload.parse(urge).getOrThrow())
        assertEquals(Notifier.URGES, shadowOf(manager).allNotifications.single().channelId)

        val bad = PushPayload.parse("""{"id":"x","title":{"zh":"t"}}""".toByteArray())
        assertTrue(bad.isFailure)
        assertTrue(bad.exceptionOrNull()!!.message!!.contains("not a Gridwork notice"))
    }
}
