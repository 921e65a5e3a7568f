import Foundation
import XCTest

import GridworkCore
import GridworkScreens
import GridworkTestSupport

/// Offline across a restart of the model layer (android's OfflineTest and
/// the unfinished-visit test): the server is killed; the worker records a
/// visit and a case and resolves a dispatched case; a second visit is cut
/// off by the camera getting the app killed; the app is opened again from
/// the same files; the unfinished visit comes back with its photo; when
/// the server returns, sync completes with nothing lost, and the resolve
/// that lost to the secretary's reassignment is shown as a conflict.
final class OfflineJourneyTests: ServerTestCase {

    @MainActor
    func testWorkDoneOfflineSurvivesARestartAndSyncsWhenTheServerReturnsWithTheConflictShown() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1",
                                                  location: FixedLocation(lat: 22.5050, lon: 113.9050))
        let secretary = try await TestPhone.enrolled(dir: dir, name: "s1", server: server, user: "s1")
        let (w, s) = (worker.store, secretary.store)
        let drain = CaseDraft(category: Category(priority: .riskScreening, subcategory: "public_facility"), severity: .normal,
                              title: "井盖缺失", description: "", householdCode: "H002", gridCode: "G1", source: nil, evidenceIds: [])
        let manhole = try w.reportCase(draft: drain, photos: [], onSpot: nil).case.id
        _ = try await w.sync(listener: nil)
        _ = try await s.sync(listener: nil)
        _ = try s.actOnCase(caseId: manhole, action: .file(difficulty: .normal, note: ""), photos: [])
        _ = try s.actOnCase(caseId: manhole, action: .dispatch(handlerId: "w1"), photos: [])
        _ = try await s.sync(listener: nil)
        _ = try await w.sync(listener: nil)
        _ = try w.actOnCase(caseId: manhole, action: .accept, photos: [])
        _ = try await w.sync(listener: nil)

        // The server goes away.
        server.kill()
        let app = worker.app
        await app.openVisit("H002")
        guard case let .visit(visit) = app.top else { return XCTFail("not on the visit") }
        visit.toggleChoice("ep.symptoms", option: "none")
        visit.answer("ws.gas_use", .choice("piped"))
        visit.answer("ws.gas_smell", .yesNo(false))
        visit.answer("rs.house_condition", .choice("sound"))
        await visit.save()
        XCTAssertNotNil(visit.state.value.saved, "\(String(describing: visit.state.value.error))")
        app.back()

        // A new case through the category picker, and the manhole resolved with an after-photo.
        await app.openNewCase(gridCode: "G1")
        guard case let .category(picker) = app.top else { return XCTFail("not on the categories") }
        let first = try XCTUnwrap(picker.state.value.byPriority.first?.categories.first)
        await app.choose(first, in: picker)
        guard case let .report(report) = app.top else { return XCTFail("not on the report") }
        XCTAssertEqual(app.stack.value.map(\.name), ["today", "report"], "the form replaced the picker")
        report.setTitle("")
        await report.report()
        XCTAssertEqual(report.state.value.errorField, "title", "an empty title is refused by name")
        report.setTitle("路灯不亮")
        await report.report()
        let newCase = try XCTUnwrap(report.state.value.reported?.case.id)
        app.back()
        await app.openCase(manhole)
        guard case let .caseDetail(caseModel) = app.top else { return XCTFail("not on the manhole") }
        await caseModel.open(.resolve)
        XCTAssertEqual(caseModel.state.value.form?.inputs, [.note, .photos])
        caseModel.setText("已放置警示牌并更换井盖")
        await caseModel.takePhoto()
        await caseModel.submit()
        XCTAssertEqual(caseModel.state.value.done, .resolve, "\(String(describing: caseModel.state.value.form?.error))")
        app.back()

        // Sync now: no server; the message says so and nothing is lost.
        let pending = try w.pendingOperations()
        XCTAssertGreaterThanOrEqual(pending, 3)
        await app.today.sync()
        XCTAssertEqual(app.today.ready?.message, .app(.noNetwork))
        XCTAssertEqual(try w.pendingOperations(), pending)

        // A second visit: the camera writes its photo and the app is killed before the result comes back.
        await app.openVisit("H001")
        guard case let .visit(cut) = app.top else { return XCTFail("not on the second visit") }
        cut.toggleChoice("ep.symptoms", option: "none")
        cut.setNotes("门口有异味")
        worker.camera.nextKillsTheApp = true
        let shot = Task { await cut.takePhoto(for: "ws.gas_cylinder_photo") }
        try await until("the camera wrote its photo") {
            (try? FileManager.default.attributesOfItem(atPath: self.dir.appendingPathComponent("w1-camera/IMG_0002.jpg").path)[.size] as? Int ?? 0) ?? 0 > 0
        }
        shot.cancel()

        // The app is closed and opened again from the same files.
        try await worker.reopen()
        let reopened = worker.app
        XCTAssertEqual(reopened.top.name, "today")
        let today = try XCTUnwrap(reopened.today.ready)
        XCTAssertEqual(today.today.pendingOperations, pending)
        let unfinished = try XCTUnwrap(today.today.unfinishedVisits.first)
        XCTAssertEqual(unfinished.householdCode, "H001")
        XCTAssertEqual(unfinished.photos, 1)
        await reopened.openVisit("H001")
        guard case let .visit(back) = reopened.top else { return XCTFail("not on the restored visit") }
        XCTAssertTrue(back.state.value.restored)
        XCTAssertEqual(back.state.value.notes, "门口有异味")
        XCTAssertEqual(back.state.value.photos(for: "ws.gas_cylinder_photo").count, 1)
        reopened.back()

        // The server returns; the secretary had reassigned the manhole meanwhile.
        try server.restart()
        _ = try await s.sync(listener: nil)
        _ = try s.actOnCase(caseId: manhole, action: .reassign(handlerId: "s1", reason: "网格员联系不上，村里直接处理"), photos: [])
        _ = try await s.sync(listener: nil)

        await reopened.openSync()
        guard case let .sync(sync) = reopened.top else { return XCTFail("not on sync") }
        await sync.syncNow()
        XCTAssertNil(sync.state.value.message)
        XCTAssertEqual(sync.state.value.pendingOperations, 0)
        let conflict = try XCTUnwrap(sync.state.value.conflicts.first)
        XCTAssertEqual(conflict.entityId, manhole)
        XCTAssertFalse(conflict.reason.isEmpty)
        await sync.markSeen(conflict.id)
        XCTAssertTrue(try worker.store.conflicts(unseenOnly: true).isEmpty)

        // Nothing lost: the secretary's phone has the visit and the new case; the reassignment won.
        _ = try await s.sync(listener: nil)
        XCTAssertEqual(try s.householdDetail(code: "H002").recentVisits.count, 1)
        XCTAssertEqual(try s.caseDetail(caseId: newCase).case.state, .reported)
        XCTAssertEqual(try s.caseDetail(caseId: manhole).case.handlerId, "s1")
    }
}
