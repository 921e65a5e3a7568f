import Foundation
import XCTest

import GridworkCore
import GridworkScreens
import GridworkTestSupport

/// 消息 and escalation on a test clock (android's EscalationTest): a case
/// the worker asked more time for runs past its deadline when the server's
/// clock moves three days; the township supervisor's Today shows unread
/// messages, the inbox opens the case and marks it read, and the
/// supervisor urges and approves the extension the core pre-fills.
final class EscalationJourneyTests: ServerTestCase {
    let start = Date()
    override var testClock: Date? { start }

    @MainActor
    func testThreeDaysOnTheSupervisorSeesTheEscalationUrgesAndApprovesTheExtension() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1")
        let secretary = try await TestPhone.enrolled(dir: dir, name: "s1", server: server, user: "s1")
        let supervisor = try await TestPhone.enrolled(dir: dir, name: "t1", server: server, user: "t1")
        let (w, s) = (worker.store, secretary.store)
        let draft = CaseDraft(category: Category(priority: .riskScreening, subcategory: "public_facility"), severity: .normal,
                              title: "排水沟堵塞", description: "", householdCode: "H002", gridCode: "G1", source: nil, evidenceIds: [])
        let id = try w.reportCase(draft: draft, photos: [], onSpot: nil).case.id
        _ = try await w.sync(listener: nil)
        _ = try await s.sync(listener: nil)
        _ = try s.actOnCase(caseId: id, action: .file(difficulty: .normal, note: ""), photos: [])
        _ = try s.actOnCase(caseId: id, action: .dispatch(handlerId: "w1"), photos: [])
        _ = try await s.sync(listener: nil)
        _ = try await w.sync(listener: nil)
        _ = try w.actOnCase(caseId: id, action: .accept, photos: [])
        _ = try w.actOnCase(caseId: id, action: .requestExtension(days: 5, reason: "需协调市政疏通车"), photos: [])
        _ = try await w.sync(listener: nil)

        // Three days (and a little) later by the server's clock: past the deadline.
        try await server.setClock(start.addingTimeInterval(3 * 86_400 + 7_200))
        let app = supervisor.app
        await app.today.sync()
        let today = try XCTUnwrap(app.today.ready)
        XCTAssertGreaterThan(today.today.unreadMessages, 0)
        XCTAssertFalse(today.today.patrols, "a supervisor is not offered a patrol")

        await app.openInbox()
        guard case let .inbox(inbox) = app.top else { return XCTFail("not on the inbox") }
        let items = inbox.state.value.items
        let item = try XCTUnwrap(items.first { $0.kind == .escalated }, "\(items)")
        XCTAssertEqual(item.caseId, id)
        let unread = inbox.state.value.unread
        let opened = await inbox.open(item.id)
        XCTAssertEqual(opened, id)
        XCTAssertEqual(inbox.state.value.unread, unread - 1)
        await app.openCase(id)
        guard case let .caseDetail(caseModel) = app.top else { return XCTFail("not on the case") }
        XCTAssertEqual(caseModel.state.value.detail?.case.pendingExtension?.days, 5)

        await caseModel.open(.urge)
        XCTAssertEqual(caseModel.state.value.form?.inputs, [.message])
        caseModel.setText("请今日内疏通，明早报告")
        await caseModel.submit()
        XCTAssertEqual(caseModel.state.value.done, .urge)
        await caseModel.open(.approveExtension)
        XCTAssertEqual(caseModel.state.value.form?.days, "5", "the days asked for, pre-filled")
        await caseModel.submit()
        XCTAssertEqual(caseModel.state.value.done, .approveExtension, "\(String(describing: caseModel.state.value.form?.error))")

        _ = try await supervisor.store.sync(listener: nil)
        _ = try await w.sync(listener: nil)
        let seen = try w.caseDetail(caseId: id)
        XCTAssertEqual(seen.case.extensionDays, 5)
        XCTAssertNil(seen.case.pendingExtension)
        XCTAssertTrue(seen.timeline.contains { $0.summaryZh.contains("请今日内疏通") }, "\(seen.timeline.map(\.summaryZh))")
    }

    /// A notification tap opens its case over Today.
    @MainActor
    func testANotificationTapOpensItsCaseOverToday() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1")
        let draft = CaseDraft(category: Category(priority: .riskScreening, subcategory: "public_facility"), severity: .normal,
                              title: "井盖缺失", description: "", householdCode: "H002", gridCode: "G1", source: nil, evidenceIds: [])
        let id = try worker.store.reportCase(draft: draft, photos: [], onSpot: nil).case.id
        await worker.app.openSync()
        await worker.app.openFromNotification(caseId: id)
        XCTAssertEqual(worker.app.stack.value.map(\.name), ["today", "case"])
        guard case let .caseDetail(model) = worker.app.top else { return XCTFail("not on the case") }
        XCTAssertEqual(model.state.value.detail?.case.title, "井盖缺失")
    }
}
