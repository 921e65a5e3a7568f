import Foundation
import XCTest

import GridworkCore
import GridworkTestSupport

/// Escalation through the generated Swift, against the same real server as
/// SyncEndToEndTests: the supervisor's iPhone registers its APNs token, a
/// critical case escalates on arrival, and the inbox item reaches the
/// supervisor's phone by sync (whether or not a push gets there: this
/// server has no APNs key) and is read.
extension SyncEndToEndTests {
    func testACriticalCaseReachesTheTownshipSupervisorsInbox() async throws {
        let supervisor = try GridworkStore.open(dbPath: dir.appendingPathComponent("t1.db").path, secrets: MemorySecrets())
        let worker = try GridworkStore.open(dbPath: dir.appendingPathComponent("w1.db").path, secrets: MemorySecrets())
        _ = try await supervisor.activate(serverUrl: url, code: try codeFor("t1"), deviceName: "赵督导的iPhone")
        _ = try supervisor.signIn(userId: "t1")
        let config = try await supervisor.pushConfig()
        XCTAssertEqual(config.vapidPublicKey.count, 87)
        XCTAssertFalse(config.kinds.contains("apns"), "no APNs key configured: \(config.kinds)")
        let token = PushEndpoint.apns(deviceToken: String(repeating: "ab", count: 32))
        XCTAssertTrue(try supervisor.registerPushEndpoint(endpoint: token))
        XCTAssertFalse(try supervisor.registerPushEndpoint(endpoint: token))
        do {
            _ = try supervisor.registerPushEndpoint(endpoint: .jPush(registrationId: ""))
            XCTFail("an empty JPush id was accepted")
        } catch let e as GridworkError {
            XCTAssertEqual(e.invalidField, "registration_id")
        }
        XCTAssertEqual(try supervisor.quietHours(), QuietHours(start: "22:00", end: "07:00"), "the default night")
        try supervisor.setQuietHours(quiet: nil)
        XCTAssertNil(try supervisor.quietHours())
        _ = try await supervisor.sync(listener: nil)

        _ = try await worker.activate(serverUrl: url, code: try codeFor("w1"), deviceName: "张网格的手机")
        _ = try worker.signIn(userId: "w1")
        _ = try await worker.sync(listener: nil)
        let draft = CaseDraft(
            category: Category(priority: .workSafety, subcategory: "gas"), severity: .critical,
            title: "燃气泄漏", description: "", householdCode: "H001", gridCode: "G1",
            source: nil, evidenceIds: [])
        let caseId = try worker.reportCase(draft: draft, photos: [], onSpot: nil).case.id
        _ = try await worker.sync(listener: nil)

        _ = try await supervisor.sync(listener: nil)
        let inbox = try supervisor.inbox(unreadOnly: false, offset: 0, limit: 20)
        XCTAssertEqual(inbox.unread, 1)
        let item = try XCTUnwrap(inbox.items.first)
        XCTAssertEqual(item.kind, .escalated)
        XCTAssertEqual(item.caseId, caseId)
        XCTAssertTrue(item.critical)
        XCTAssertEqual(item.titleZh, "事件升级至乡镇(街道)：重大事件")
        XCTAssertEqual(item.bodyEn, "[critical] 燃气泄漏")
        XCTAssertNotNil(try supervisor.markInboxRead(itemId: item.id).readAt)
        XCTAssertEqual(try supervisor.inbox(unreadOnly: true, offset: 0, limit: 20).items.count, 0)
        _ = try await supervisor.sync(listener: nil)
        XCTAssertEqual(try supervisor.pendingOperations(), 0)
    }
}
