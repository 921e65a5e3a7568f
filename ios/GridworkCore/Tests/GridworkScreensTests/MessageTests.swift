import XCTest

@testable import GridworkScreens
import GridworkCore

/// The core's bilingual words and the app's own texts, in each language.
@MainActor
final class MessageTests: XCTestCase {
    func testTheCoresWordsAreSplitByLanguage() async {
        let m = Message.of(GridworkError.Invalid(field: "code", reason: "激活码不正确 / wrong activation code"))
        XCTAssertEqual(m.text(.zh), "激活码不正确")
        XCTAssertEqual(m.text(.en), "wrong activation code")
        XCTAssertEqual(Message.of(GridworkError.Network(reason: "refused")), .app(.noNetwork))
        XCTAssertEqual(pick("只有中文", .en), "只有中文")
    }

    func testAHolderTellsItsObserversUntilTheyLetGo() async {
        let holder = StateHolder(0)
        var seen: [Int] = []
        var token: ObservationToken? = holder.observe { seen.append($0) }
        holder.set(1)
        holder.update { $0 += 1 }
        XCTAssertEqual(seen, [1, 2])
        XCTAssertEqual(holder.observerCount, 1)
        token = nil
        holder.set(3)
        XCTAssertEqual(seen, [1, 2])
        XCTAssertEqual(holder.observerCount, 0)
        _ = token
    }
}

/// Every label exists in both languages: Chinese with Chinese characters,
/// English without them.
final class StringsTests: XCTestCase {
    func testEveryLabelHasBothLanguages() {
        let labels: [KeyPath<Strings, String>] = [
            \.enrolTitle, \.serverAddress, \.activationCode, \.scanQr, \.enrol, \.allSynced, \.syncNow, \.unfinishedVisits,
            \.myGrids, \.myOpenCases, \.search, \.dueOnly, \.reportCase, \.reveal, \.revealReason, \.startOver, \.takePhoto,
            \.saveVisit, \.noFix, \.resolveOnSpot, \.chainIntact, \.chainBroken, \.wifiOnly, \.anyNetwork, \.quietHours,
            \.forgetPhone, \.difficulty, \.back,
        ]
        let han = { (s: String) in s.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } }
        for label in labels {
            let zh = Strings(.zh)[keyPath: label], en = Strings(.en)[keyPath: label]
            XCTAssertTrue(han(zh), "\(label): \(zh)")
            XCTAssertFalse(han(en), "\(label): \(en)")
        }
        XCTAssertEqual(Strings(.en).forgetWarning(2, 1), "2 changes and 1 photos have not reached the server and will be lost.")
        XCTAssertTrue(AppText.noNetwork.text(.zh).contains("无法连接服务器"))
        XCTAssertEqual(Strings(.zh).lastSync(nil), "尚未同步")
    }

    /// Times in China time: the clock today, the date and clock on another day.
    func testTimesAreShownInTheGridsTimeZone() {
        let china = TimeZone(identifier: "Asia/Shanghai")!
        let at = ISO8601DateFormatter().date(from: "2026-12-07T06:05:00Z")!
        XCTAssertEqual(TimeText.short(at, timeZone: china, now: at.addingTimeInterval(3_600)), "14:05")
        XCTAssertEqual(TimeText.short(at, timeZone: china, now: at.addingTimeInterval(86_400)), "12-07 14:05")
        // 23:30 UTC is already the next day in China.
        let late = ISO8601DateFormatter().date(from: "2026-12-06T23:30:00Z")!
        XCTAssertEqual(TimeText.short(late, timeZone: china, now: at), "07:30")
    }
}
