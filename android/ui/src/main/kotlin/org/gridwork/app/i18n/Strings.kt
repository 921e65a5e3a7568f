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
    val syncDetails: String
    val syncing: String
    val startPatrol: String
    val endPatrol: String
    fun todaySoFar(visits: UInt, hazards: UInt, cases: UInt): String
    fun unread(count: UInt): String
    val noUnread: String
    val overdue: String
    val loading: String
    val retry: String

    // Grid
    val back: String
    val searchHouseholds: String
    val filterAll: String
    val filterDue: String
    val viewList: String
    val viewMap: String
    fun matches(shown: Int, total: UInt): String
    val noMatches: String
    fun openCasesShort(count: UInt): String
    fun mapDescription(places: Int, due: Int): String
    val mapLegend: String

    // Household
    val startVisit: String
    val members: String
    val noMembers: String
    val recentVisits: String
    val noVisitsYet: String
    val phone: String
    val idNumber: String
    val reveal: String
    fun revealPhone(name: String): String
    fun revealIdNumber(name: String): String
    val revealWhy: String
    val revealReason: String
    val revealRecorded: String
    val cancel: String

    // Visit
    fun visitTitle(name: String): String
    fun visitRestored(answered: Int, photos: Int): String
    val startOver: String
    val unfinishedVisits: String
    fun unfinishedVisitLine(answered: UInt, photos: UInt): String
    val notes: String
    val saving: String
    val saveVisit: String
    val locating: String
    val noFix: String
    fun fixLine(accuracyM: Double, provider: String, mock: Boolean): String
    val locateAgain: String
    val requiredMark: String
    val yes: String
    val no: String
    fun photoCount(count: Int, min: UInt): String
    val takePhoto: String
    fun numberAnswer(unit: String?): String
    val clearPhotos: String
    val visitSaved: String
    val noFixRecorded: String
    val noHazards: String
    fun hazardsFound(count: Int): String
    val reportThis: String
    val done: String

    // Report
    val reportTitle: String
    val chooseCategory: String
    val caseTitle: String
    val caseDescription: String
    fun photosTaken(count: Int): String
    val resolveOnSpot: String
    val onSpotNote: String
    fun afterPhotosTaken(count: Int): String
    val submitReport: String
    val caseReported: String
    fun photosAttached(count: Int): String

    // Cases
    fun caseScope(scope: org.gridwork.core.CaseScope): String
    val openOnly: String
    val noCases: String
    fun reportedBy(reporter: String, handler: String?): String
    fun sentBackBecause(reason: String): String
    fun extensionAsked(days: UInt, reason: String): String
    val chainIntact: String
    fun chainBroken(seq: UInt, reason: String): String
    fun actionDone(action: String): String
    val timeline: String
    fun difficulty(d: org.gridwork.core.Difficulty): String
    val chooseHandler: String
    val extensionDays: String
    val actionNote: String
    val actionReason: String
    val urgeMessage: String
    val allCases: String

    // Inbox
    val noMessages: String
    val unreadMark: String

    // Sync
    val syncTitle: String
    fun storageLow(free: String): String
    val noPendingOperations: String
    val photoQueue: String
    fun queueCounts(waiting: UInt, stored: UInt, failed: UInt, bytes: String): String
    val photosOver: String
    val anyNetwork: String
    val wifiOnly: String
    fun photoState(state: String): String
    fun attempts(n: UInt): String
    val retryNow: String
    val conflicts: String
    val noConflicts: String
    fun conflictTitle(opKind: String): String
    val understood: String

    // Me
    fun signedInAs(name: String): String
    fun serverLine(url: String): String
    val language: String
    val quietHours: String
    val quietHoursHelp: String
    val quietFrom: String
    val quietTo: String
    val save: String
    val saved: String
    val forgetPhone: String
    fun forgetWarning(operations: ULong, photos: UInt): String
    val forgetConfirm: String
    fun version(v: String): String
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
    override val syncDetails = "同步与照片详情"
    override val syncing = "正在同步…"
    override val startPatrol = "开始巡查"
    override val endPatrol = "结束巡查"
    override fun todaySoFar(visits: UInt, hazards: UInt, cases: UInt) =
        "今日已走访 $visits 次，发现隐患 $hazards 处，上报事件 $cases 件"
    override fun unread(count: UInt) = "$count 条未读消息"
    override val noUnread = "没有未读消息"
    override val overdue = "已超期"
    override val loading = "加载中…"
    override val retry = "重试"

    override val back = "返回"
    override val searchHouseholds = "搜索户主、地址或编码"
    override val filterAll = "全部"
    override val filterDue = "待走访"
    override val viewList = "列表"
    override val viewMap = "地图"
    override fun matches(shown: Int, total: UInt) = "共 $total 户（处），已显示 $shown"
    override val noMatches = "没有符合条件的户（处）"
    override fun openCasesShort(count: UInt) = "在办事件 $count"
    override fun mapDescription(places: Int, due: Int) = "网格地图：边界和 $places 户（处），其中 $due 户待走访"
    override val mapLegend = "红点：待走访　灰点：未到期（无底图时只画边界和位置）"

    override val startVisit = "开始走访"
    override val members = "家庭成员"
    override val noMembers = "暂无成员信息"
    override val recentVisits = "最近走访"
    override val noVisitsYet = "尚无走访记录"
    override val phone = "电话"
    override val idNumber = "身份证号"
    override val reveal = "查看"
    override fun revealPhone(name: String) = "查看${name}的完整电话"
    override fun revealIdNumber(name: String) = "查看${name}的完整身份证号"
    override val revealWhy = "完整号码仅在确有需要时查看。查看原因、查看人和时间将被记录。"
    override val revealReason = "查看原因"
    override val revealRecorded = "已记录查看"
    override val cancel = "取消"

    override fun visitTitle(name: String) = "走访 $name"
    override fun visitRestored(answered: Int, photos: Int) = "已恢复上次未完成的走访：已答 $answered 项，照片 $photos 张"
    override val startOver = "重新开始"
    override val unfinishedVisits = "未完成的走访"
    override fun unfinishedVisitLine(answered: UInt, photos: UInt) = "已答 $answered 项 · 照片 $photos 张 · 点此继续"
    override val notes = "备注"
    override val saving = "正在保存…"
    override val saveVisit = "保存走访"
    override val locating = "正在定位…"
    override val noFix = "暂无定位（不影响保存）"
    override fun fixLine(accuracyM: Double, provider: String, mock: Boolean) =
        "定位精度 %.0f 米（%s）%s".format(accuracyM, provider, if (mock) "，疑似虚拟定位" else "")
    override val locateAgain = "重新定位"
    override val requiredMark = "（必填）"
    override val yes = "是"
    override val no = "否"
    override fun photoCount(count: Int, min: UInt) = if (min > 0u) "已拍 $count 张，至少 $min 张" else "已拍 $count 张"
    override val takePhoto = "拍照"
    override fun numberAnswer(unit: String?) = if (unit == null) "填写数字" else "填写数字（$unit）"
    override val clearPhotos = "清除"
    override val visitSaved = "走访已保存在本机，联网后自动上传"
    override val noFixRecorded = "未记录定位"
    override val noHazards = "未发现隐患"
    override fun hazardsFound(count: Int) = "发现 $count 处隐患，已预填事件"
    override val reportThis = "上报事件"
    override val done = "完成"

    override val reportTitle = "上报事件"
    override val chooseCategory = "选择事件类别"
    override val caseTitle = "事件标题"
    override val caseDescription = "事件描述"
    override fun photosTaken(count: Int) = "现场照片 $count 张"
    override val resolveOnSpot = "已就地解决"
    override val onSpotNote = "处理情况"
    override fun afterPhotosTaken(count: Int) = "处理后照片 $count 张"
    override val submitReport = "上报"
    override val caseReported = "事件已上报（保存在本机，联网后送达村书记）"
    override fun photosAttached(count: Int) = "附照片 $count 张"

    override fun caseScope(scope: org.gridwork.core.CaseScope) = when (scope) {
        org.gridwork.core.CaseScope.MINE -> "我的"
        org.gridwork.core.CaseScope.JURISDICTION -> "辖区"
        org.gridwork.core.CaseScope.ESCALATED_TO_ME -> "升级到我"
    }
    override val openOnly = "只看在办"
    override val noCases = "没有事件"
    override fun reportedBy(reporter: String, handler: String?) = "上报人 $reporter" + (handler?.let { " · 承办人 $it" } ?: "")
    override fun sentBackBecause(reason: String) = "退回原因：$reason"
    override fun extensionAsked(days: UInt, reason: String) = "申请延期 $days 天：$reason"
    override val chainIntact = "处置记录完整，未被篡改"
    override fun chainBroken(seq: UInt, reason: String) = "处置记录第 $seq 条校验失败：$reason"
    override fun actionDone(action: String) = "已$action，联网后同步"
    override val timeline = "处置记录"
    override fun difficulty(d: org.gridwork.core.Difficulty) = when (d) {
        org.gridwork.core.Difficulty.ON_SPOT -> "即办"
        org.gridwork.core.Difficulty.NORMAL -> "一般"
        org.gridwork.core.Difficulty.HARD -> "疑难"
    }
    override val chooseHandler = "选择承办人"
    override val extensionDays = "延期天数"
    override val actionNote = "说明"
    override val actionReason = "原因"
    override val urgeMessage = "督办意见"
    override val allCases = "全部事件"

    override val noMessages = "没有消息"
    override val unreadMark = "未读"

    override val syncTitle = "同步与照片"
    override fun storageLow(free: String) = "手机存储空间不足（剩余 $free）：照片上传前会保留在本机，请尽快连网上传或清理空间"
    override val noPendingOperations = "没有待上传的操作"
    override val photoQueue = "照片上传"
    override fun queueCounts(waiting: UInt, stored: UInt, failed: UInt, bytes: String) = "待上传 $waiting 张（$bytes） · 已上传 $stored 张 · 失败 $failed 张"
    override val photosOver = "照片上传使用"
    override val anyNetwork = "任意网络"
    override val wifiOnly = "仅 Wi-Fi"
    override fun photoState(state: String) = when (state) {
        "WAITING" -> "等待上传"
        "UPLOADING" -> "上传中"
        "STORED" -> "已上传"
        else -> "上传失败"
    }
    override fun attempts(n: UInt) = "已尝试 $n 次"
    override val retryNow = "立即重试"
    override val conflicts = "冲突"
    override val noConflicts = "没有冲突"
    override fun conflictTitle(opKind: String) = "未被服务器接受的操作（$opKind）"
    override val understood = "知道了"

    override fun signedInAs(name: String) = "本机使用人：$name"
    override fun serverLine(url: String) = "服务器：$url"
    override val language = "语言"
    override val quietHours = "免打扰时段"
    override val quietHoursHelp = "此时段内一般消息不推送（重大事件除外），格式 23:00 至 06:30；都留空表示不设置。"
    override val quietFrom = "开始"
    override val quietTo = "结束"
    override val save = "保存"
    override val saved = "已保存"
    override val forgetPhone = "退出并清除本机数据"
    override fun forgetWarning(operations: ULong, photos: UInt) =
        if (operations == 0uL && photos == 0u) "本机数据将被清除，需要新的激活码才能再次使用。"
        else "还有 $operations 项操作和 $photos 张照片没有上传，清除后将丢失且无法恢复。本机数据将被清除，需要新的激活码才能再次使用。"
    override val forgetConfirm = "清除"
    override fun version(v: String) = "版本 $v"
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
    override val syncDetails = "Sync and photo details"
    override val syncing = "Syncing…"
    override val startPatrol = "Start patrol"
    override val endPatrol = "End patrol"
    override fun todaySoFar(visits: UInt, hazards: UInt, cases: UInt) =
        "Today: $visits visits, $hazards hazards found, $cases cases reported"
    override fun unread(count: UInt) = "$count unread messages"
    override val noUnread = "No unread messages"
    override val overdue = "Overdue"
    override val loading = "Loading…"
    override val retry = "Retry"

    override val back = "Back"
    override val searchHouseholds = "Search name, address or code"
    override val filterAll = "All"
    override val filterDue = "Due"
    override val viewList = "List"
    override val viewMap = "Map"
    override fun matches(shown: Int, total: UInt) = "$total in all, $shown shown"
    override val noMatches = "Nothing matches"
    override fun openCasesShort(count: UInt) = "$count open cases"
    override fun mapDescription(places: Int, due: Int) = "Grid map: the boundary and $places households and places, $due due a visit"
    override val mapLegend = "Red: due a visit  Grey: not yet due (without map tiles, only the boundary and places)"

    override val startVisit = "Start visit"
    override val members = "Members"
    override val noMembers = "No members recorded"
    override val recentVisits = "Recent visits"
    override val noVisitsYet = "No visits yet"
    override val phone = "Phone"
    override val idNumber = "ID number"
    override val reveal = "Show"
    override fun revealPhone(name: String) = "Show $name's whole phone number"
    override fun revealIdNumber(name: String) = "Show $name's whole ID number"
    override val revealWhy = "Show whole numbers only when you need them. The reason, who you are and when are recorded."
    override val revealReason = "Reason"
    override val revealRecorded = "Reveal recorded"
    override val cancel = "Cancel"

    override fun visitTitle(name: String) = "Visit $name"
    override fun visitRestored(answered: Int, photos: Int) = "Your unfinished visit is back: $answered answered, $photos photos"
    override val startOver = "Start over"
    override val unfinishedVisits = "Unfinished visits"
    override fun unfinishedVisitLine(answered: UInt, photos: UInt) = "$answered answered · $photos photos · tap to continue"
    override val notes = "Notes"
    override val saving = "Saving…"
    override val saveVisit = "Save visit"
    override val locating = "Locating…"
    override val noFix = "No location yet (you can still save)"
    override fun fixLine(accuracyM: Double, provider: String, mock: Boolean) =
        "Accuracy %.0f m (%s)%s".format(accuracyM, provider, if (mock) ", simulated location suspected" else "")
    override val locateAgain = "Locate again"
    override val requiredMark = "(required)"
    override val yes = "Yes"
    override val no = "No"
    override fun photoCount(count: Int, min: UInt) = if (min > 0u) "$count taken, at least $min" else "$count taken"
    override val takePhoto = "Take photo"
    override fun numberAnswer(unit: String?) = if (unit == null) "Number" else "Number ($unit)"
    override val clearPhotos = "Clear"
    override val visitSaved = "Visit saved on this phone; it uploads when online"
    override val noFixRecorded = "No location recorded"
    override val noHazards = "No hazards found"
    override fun hazardsFound(count: Int) = "$count hazards found, cases pre-filled"
    override val reportThis = "Report case"
    override val done = "Done"

    override val reportTitle = "Report a case"
    override val chooseCategory = "Choose a category"
    override val caseTitle = "Title"
    override val caseDescription = "Description"
    override fun photosTaken(count: Int) = "$count photos"
    override val resolveOnSpot = "Resolved on the spot"
    override val onSpotNote = "What was done"
    override fun afterPhotosTaken(count: Int) = "$count after-photos"
    override val submitReport = "Report"
    override val caseReported = "Case reported (saved on this phone; reaches the secretary when online)"
    override fun photosAttached(count: Int) = "$count photos attached"

    override fun caseScope(scope: org.gridwork.core.CaseScope) = when (scope) {
        org.gridwork.core.CaseScope.MINE -> "Mine"
        org.gridwork.core.CaseScope.JURISDICTION -> "My area"
        org.gridwork.core.CaseScope.ESCALATED_TO_ME -> "Escalated to me"
    }
    override val openOnly = "Open only"
    override val noCases = "No cases"
    override fun reportedBy(reporter: String, handler: String?) = "Reported by $reporter" + (handler?.let { " · handled by $it" } ?: "")
    override fun sentBackBecause(reason: String) = "Sent back: $reason"
    override fun extensionAsked(days: UInt, reason: String) = "$days more days asked: $reason"
    override val chainIntact = "History intact (hash chain verified)"
    override fun chainBroken(seq: UInt, reason: String) = "History entry $seq fails verification: $reason"
    override fun actionDone(action: String) = "$action: done; syncs when online"
    override val timeline = "History"
    override fun difficulty(d: org.gridwork.core.Difficulty) = when (d) {
        org.gridwork.core.Difficulty.ON_SPOT -> "On the spot"
        org.gridwork.core.Difficulty.NORMAL -> "Normal"
        org.gridwork.core.Difficulty.HARD -> "Hard"
    }
    override val chooseHandler = "Choose who handles it"
    override val extensionDays = "Days"
    override val actionNote = "Note"
    override val actionReason = "Reason"
    override val urgeMessage = "Message to the handler"
    override val allCases = "All cases"

    override val noMessages = "No messages"
    override val unreadMark = "Unread"

    override val syncTitle = "Sync and photos"
    override fun storageLow(free: String) = "Phone storage is low ($free free): photos stay on the phone until uploaded; go online or free up space"
    override val noPendingOperations = "Nothing waiting to upload"
    override val photoQueue = "Photo uploads"
    override fun queueCounts(waiting: UInt, stored: UInt, failed: UInt, bytes: String) = "$waiting waiting ($bytes) · $stored uploaded · $failed failed"
    override val photosOver = "Upload photos over"
    override val anyNetwork = "Any network"
    override val wifiOnly = "Wi-Fi only"
    override fun photoState(state: String) = when (state) {
        "WAITING" -> "Waiting"
        "UPLOADING" -> "Uploading"
        "STORED" -> "Uploaded"
        else -> "Failed"
    }
    override fun attempts(n: UInt) = "$n attempts"
    override val retryNow = "Retry now"
    override val conflicts = "Conflicts"
    override val noConflicts = "No conflicts"
    override fun conflictTitle(opKind: String) = "Not accepted by the server ($opKind)"
    override val understood = "Got it"

    override fun signedInAs(name: String) = "This phone belongs to $name"
    override fun serverLine(url: String) = "Server: $url"
    override val language = "Language"
    override val quietHours = "Quiet hours"
    override val quietHoursHelp = "No ordinary pushes in these hours (critical cases still come), e.g. 23:00 to 06:30; leave both empty for none."
    override val quietFrom = "From"
    override val quietTo = "To"
    override val save = "Save"
    override val saved = "Saved"
    override val forgetPhone = "Sign out and forget this phone"
    override fun forgetWarning(operations: ULong, photos: UInt) =
        if (operations == 0uL && photos == 0u) "Everything on this phone will be deleted; a new activation code is needed to use it again."
        else "$operations operations and $photos photos have not been uploaded and will be lost for good. Everything on this phone will be deleted; a new activation code is needed to use it again."
    override val forgetConfirm = "Delete"
    override fun version(v: String) = "Version $v"
}

/** Bytes as a person reads them (KB and MB, one decimal). */
fun formatBytes(bytes: Long): String = when {
    bytes < 1024 -> "$bytes B"
    bytes < 1024 * 1024 -> "%.1f KB".format(bytes / 1024.0)
    else -> "%.1f MB".format(bytes / (1024.0 * 1024.0))
}
