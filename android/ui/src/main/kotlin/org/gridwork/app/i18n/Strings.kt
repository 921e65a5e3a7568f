package org.gridwork.app.i18n

/*
 * The app's own words, in Kotlin rather than Android string resources:
 * these screens compile for Android and for the desktop JVM (Maven, no
 * Android resource merging), and a Kotlin interface makes a missing
 * translation a compile error. Words that come from the core (checklist
 * labels, reasons, countdowns) are not here; the core gives both languages.
 */
interface Strings {
    val appName: String

    // Navigation
    val tabToday: String
    val tabGrid: String
    val tabCases: String
    val tabInbox: String
    val tabMe: String

    // Enrol
    val enrolTitle: String
    val enrolIntro: String
    val serverAddress: String
    val serverAddressHint: String
    val activationCode: String
    val activationCodeHint: String
    val scanQr: String
    val enrolButton: String
    val enrolling: String
    val firstPull: String
    fun pulled(records: Long, bytes: Long): String
    val missingServer: String
    val missingCode: String
    val noNetwork: String

    // Today
    fun greeting(name: String): String
    val myGrids: String
    fun gridLine(households: UInt, due: UInt, openCases: UInt): String
    fun dueVisits(count: UInt): String
    val myOpenCases: String
    val noOpenCases: String
    val waitingToSync: String
    fun pendingOperations(count: ULong): String
    fun photosWaiting(count: UInt, bytes: ULong): String
    val allSynced: String
    fun lastSync(time: String?): String
    val syncNow: String
    val syncing: String
    val startPatrol: String
    val endPatrol: String
    fun todaySoFar(visits: UInt, hazards: UInt, cases: UInt): String
    fun unread(count: UInt): String
    val overdue: String
    val loading: String
    val retry: String
}

object ZhStrings : Strings {
    override val appName = "网格通"
    override val tabToday = "今日"
    override val tabGrid = "网格"
    override val tabCases = "事件"
    override val tabInbox = "消息"
    override val tabMe = "我的"

    override val enrolTitle = "激活本机"
    override val enrolIntro = "请输入管理员提供的服务器地址和激活码，或扫描二维码。"
    override val serverAddress = "服务器地址"
    override val serverAddressHint = "例如 https://grid.example.gov.cn"
    override val activationCode = "激活码"
    override val activationCodeHint = "10 位字母数字，如 ABCDE-12345"
    override val scanQr = "扫码"
    override val enrolButton = "激活"
    override val enrolling = "正在激活…"
    override val firstPull = "正在下载网格数据"
    override fun pulled(records: Long, bytes: Long) = "已接收 $records 条记录，${formatBytes(bytes)}"
    override val missingServer = "请填写服务器地址"
    override val missingCode = "请填写激活码"
    override val noNetwork = "无法连接服务器，请检查网络和服务器地址"

    override fun greeting(name: String) = "$name，你好"
    override val myGrids = "我的网格"
    override fun gridLine(households: UInt, due: UInt, openCases: UInt) =
        "$households 户 · 待走访 $due · 在办事件 $openCases"
    override fun dueVisits(count: UInt) = "今日待走访 $count 户（处）"
    override val myOpenCases = "我的在办事件"
    override val noOpenCases = "没有在办事件"
    override val waitingToSync = "待同步"
    override fun pendingOperations(count: ULong) = "$count 项操作待上传"
    override fun photosWaiting(count: UInt, bytes: ULong) = "$count 张照片待上传（${formatBytes(bytes.toLong())}）"
    override val allSynced = "全部已同步"
    override fun lastSync(time: String?) = if (time == null) "尚未同步" else "上次同步 $time"
    override val syncNow = "立即同步"
    override val syncing = "正在同步…"
    override val startPatrol = "开始巡查"
    override val endPatrol = "结束巡查"
    override fun todaySoFar(visits: UInt, hazards: UInt, cases: UInt) =
        "今日已走访 $visits 次，发现隐患 $hazards 处，上报事件 $cases 件"
    override fun unread(count: UInt) = "$count 条未读消息"
    override val overdue = "已超期"
    override val loading = "加载中…"
    override val retry = "重试"
}

object EnStrings : Strings {
    override val appName = "Gridwork"
    override val tabToday = "Today"
    override val tabGrid = "Grid"
    override val tabCases = "Cases"
    override val tabInbox = "Inbox"
    override val tabMe = "Me"

    override val enrolTitle = "Activate this phone"
    override val enrolIntro = "Enter the server address and activation code your administrator gave you, or scan the QR code."
    override val serverAddress = "Server address"
    override val serverAddressHint = "e.g. https://grid.example.gov.cn"
    override val activationCode = "Activation code"
    override val activationCodeHint = "10 letters and digits, like ABCDE-12345"
    override val scanQr = "Scan"
    override val enrolButton = "Activate"
    override val enrolling = "Activating…"
    override val firstPull = "Downloading your grids"
    override fun pulled(records: Long, bytes: Long) = "$records records, ${formatBytes(bytes)} received"
    override val missingServer = "Enter the server address"
    override val missingCode = "Enter the activation code"
    override val noNetwork = "Cannot reach the server: check the network and the address"

    override fun greeting(name: String) = "Hello, $name"
    override val myGrids = "My grids"
    override fun gridLine(households: UInt, due: UInt, openCases: UInt) =
        "$households households · $due due · $openCases open cases"
    override fun dueVisits(count: UInt) = "$count households and places due a visit"
    override val myOpenCases = "My open cases"
    override val noOpenCases = "No open cases"
    override val waitingToSync = "Waiting to sync"
    override fun pendingOperations(count: ULong) = "$count operations to upload"
    override fun photosWaiting(count: UInt, bytes: ULong) = "$count photos to upload (${formatBytes(bytes.toLong())})"
    override val allSynced = "Everything is synced"
    override fun lastSync(time: String?) = if (time == null) "Never synced" else "Last sync $time"
    override val syncNow = "Sync now"
    override val syncing = "Syncing…"
    override val startPatrol = "Start patrol"
    override val endPatrol = "End patrol"
    override fun todaySoFar(visits: UInt, hazards: UInt, cases: UInt) =
        "Today: $visits visits, $hazards hazards found, $cases cases reported"
    override fun unread(count: UInt) = "$count unread messages"
    override val overdue = "Overdue"
    override val loading = "Loading…"
    override val retry = "Retry"
}

/** Bytes as a person reads them (KB and MB, one decimal). */
fun formatBytes(bytes: Long): String = when {
    bytes < 1024 -> "$bytes B"
    bytes < 1024 * 1024 -> "%.1f KB".format(bytes / 1024.0)
    else -> "%.1f MB".format(bytes / (1024.0 * 1024.0))
}
