// The app's labels in both languages, Chinese first. The views read them
// from here (not from a string catalog) so that the language can change in
// the app without a restart, as on Android, and so both languages are
// checked on Linux.

import Foundation

public struct Strings: Sendable {
    public let language: Language

    public init(_ language: Language) { self.language = language }

    private func t(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// The core's "中文 / English" words in this language.
    public func core(_ bilingual: String) -> String { pick(bilingual, language) }

    // Enrol
    public var enrolTitle: String { t("激活本机", "Enrol this phone") }
    public var serverAddress: String { t("服务器地址", "Server address") }
    public var activationCode: String { t("激活码", "Activation code") }
    public var scanQr: String { t("扫码激活", "Scan the QR code") }
    public var enrol: String { t("激活", "Enrol") }
    public var activating: String { t("正在激活…", "Enrolling…") }
    public func pulling(_ done: UInt64, _ total: UInt64) -> String {
        t("正在下载网格数据 \(done)/\(total)", "Downloading your grids \(done)/\(total)")
    }
    public var retry: String { t("重试", "Retry") }

    // Today
    public func greeting(_ name: String) -> String { t("\(name)，你好", "Hello, \(name)") }
    public func todaySoFar(visits: UInt32, hazards: UInt32, cases: UInt32) -> String {
        t("今日已走访 \(visits) 次，发现隐患 \(hazards) 处，上报事件 \(cases) 件",
          "Today: \(visits) visits, \(hazards) hazards found, \(cases) cases reported")
    }
    public var allSynced: String { t("全部已同步", "Everything is synced") }
    public func pendingOperations(_ n: UInt64) -> String { t("\(n) 项操作待上传", "\(n) changes waiting to sync") }
    public func photosWaiting(_ n: UInt32) -> String { t("\(n) 张照片待上传", "\(n) photos waiting to upload") }
    public var syncNow: String { t("立即同步", "Sync now") }
    public func lastSync(_ time: String?) -> String {
        time.map { t("上次同步 \($0)", "Last synced \($0)") } ?? t("尚未同步", "Not synced yet")
    }
    public var syncing: String { t("正在同步…", "Syncing…") }
    public var syncDetails: String { t("同步与照片详情", "Sync and photos") }
    public func dueVisits(_ n: UInt32) -> String { t("今日待走访 \(n) 户（处）", "\(n) households and places due a visit") }
    public var unfinishedVisits: String { t("未完成的走访", "Unfinished visits") }
    public func unfinishedLine(_ answered: UInt32, _ photos: UInt32) -> String {
        t("已答 \(answered) 项 · 照片 \(photos) 张 · 点此继续", "\(answered) answered · \(photos) photos · tap to continue")
    }
    public var myGrids: String { t("我的网格", "My grids") }
    public var myOpenCases: String { t("我的在办事件", "My open cases") }
    public var noOpenCases: String { t("没有在办事件", "No open cases") }
    public var allCases: String { t("全部事件", "All cases") }
    public var inbox: String { t("消息", "Inbox") }
    public func unread(_ n: UInt32) -> String { t("\(n) 条未读消息", "\(n) unread messages") }
    public var startPatrol: String { t("开始巡查", "Start patrol") }
    public var endPatrol: String { t("结束巡查", "End patrol") }
    public var me: String { t("我的", "Me") }

    // Grid and household
    public var search: String { t("搜索户名或地址", "Search names and addresses") }
    public var dueOnly: String { t("只看待走访", "Due only") }
    public var list: String { t("列表", "List") }
    public var map: String { t("地图", "Map") }
    public var reportCase: String { t("上报事件", "Report a case") }
    public var visit: String { t("走访", "Visit") }
    public var members: String { t("家庭成员", "Members") }
    public var recentVisits: String { t("走访记录", "Visits") }
    public var reveal: String { t("查看完整号码", "Show the whole number") }
    public var revealReason: String { t("查看原因（将被记录）", "Reason (recorded)") }
    public var cancel: String { t("取消", "Cancel") }
    public var confirm: String { t("确定", "OK") }

    // Visit and report
    public func visitTitle(_ name: String) -> String { t("走访 \(name)", "Visit \(name)") }
    public func restored(_ answered: Int, _ photos: Int) -> String {
        t("已恢复上次未完成的走访：已答 \(answered) 项，照片 \(photos) 张", "Your unfinished visit is back: \(answered) answered, \(photos) photos")
    }
    public var startOver: String { t("重新开始", "Start over") }
    public var takePhoto: String { t("拍照", "Take photo") }
    public var clear: String { t("清除", "Clear") }
    public func photosTaken(_ n: Int) -> String { t("已拍 \(n) 张", "\(n) taken") }
    public var notes: String { t("备注", "Notes") }
    public var saveVisit: String { t("保存走访", "Save visit") }
    public var saving: String { t("正在保存…", "Saving…") }
    public var locating: String { t("正在定位…", "Locating…") }
    public var noFix: String { t("暂无定位（不影响保存）", "No location yet (you can still save)") }
    public func fix(_ accuracy: Double, mock: Bool) -> String {
        t("定位精度 \(Int(accuracy.rounded())) 米\(mock ? "，疑似模拟位置" : "")",
          "Accuracy \(Int(accuracy.rounded())) m\(mock ? ", simulated location suspected" : "")")
    }
    public var yes: String { t("是", "Yes") }
    public var no: String { t("否", "No") }
    public var savedVisit: String { t("走访已保存", "Visit saved") }
    public var prefilledCases: String { t("已预填事件", "Cases pre-filled") }
    public var done: String { t("完成", "Done") }
    public var title: String { t("标题", "Title") }
    public var description: String { t("描述", "Description") }
    public var resolveOnSpot: String { t("就地解决", "Resolved on the spot") }
    public var afterPhotos: String { t("处理后照片", "After photos") }
    public var submitReport: String { t("上报", "Report") }
    public var reported: String { t("已上报", "Reported") }

    // Cases, inbox, sync, me
    public var cases: String { t("事件", "Cases") }
    public var openOnly: String { t("只看在办", "Open only") }
    public var history: String { t("处置记录", "History") }
    public var chainIntact: String { t("处置记录完整", "History intact") }
    public var chainBroken: String { t("处置记录被改动", "History tampered with") }
    public func sendBackReason(_ reason: String) -> String { t("退回原因：\(reason)", "Sent back: \(reason)") }
    public var submit: String { t("提交", "Submit") }
    public var handler: String { t("处理人", "Handler") }
    public var days: String { t("天数", "Days") }
    public var difficulty: String { t("难度", "Difficulty") }
    public var difficultyNormal: String { t("一般", "Normal") }
    public var difficultyHard: String { t("疑难", "Hard") }
    public var conflicts: String { t("冲突", "Conflicts") }
    public var photoQueue: String { t("照片上传", "Photo uploads") }
    public var retryNow: String { t("立即重试", "Retry now") }
    public var wifiOnly: String { t("仅 Wi-Fi", "Wi-Fi only") }
    public var anyNetwork: String { t("任意网络", "Any network") }
    public var languageLabel: String { t("语言", "Language") }
    public var quietHours: String { t("免打扰时段", "Quiet hours") }
    public var save: String { t("保存", "Save") }
    public var forgetPhone: String { t("退出并清除本机", "Sign out and forget this phone") }
    public func forgetWarning(_ ops: UInt64, _ photos: UInt32) -> String {
        t("还有 \(ops) 项操作和 \(photos) 张照片未上传，清除后将丢失。",
          "\(ops) changes and \(photos) photos have not reached the server and will be lost.")
    }
    public func version(_ v: String) -> String { t("版本 \(v)", "Version \(v)") }
    public var back: String { t("返回", "Back") }
}
