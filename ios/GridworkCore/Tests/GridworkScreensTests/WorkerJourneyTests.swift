import Foundation
import XCTest

import GridworkCore
import GridworkScreens
import GridworkTestSupport

/// A grid worker's first hour on the screen models, against a real
/// `gridwork serve` and the real core (the same journey as android's
/// EnrolAndTodayTest and VisitAndReportTest): enrol after three refusals,
/// Today, the grid, a visit refused twice with nothing saved, a gas smell
/// that pre-fills a case, the case reported with a photo, and "sync now"
/// carrying both photos through the transfer seam until the queue says
/// stored.
final class WorkerJourneyTests: ServerTestCase {
    let atH001 = FixedLocation(lat: 22.5015, lon: 113.9015)

    @MainActor
    func testAWorkerEnrolsVisitsReportsAHazardWithPhotosAndSyncStoresThem() async throws {
        let phone = try TestPhone(dir: dir, name: "w1", location: atH001)
        let app = phone.app
        await app.start()
        XCTAssertEqual(app.top.name, "enrol")
        let enrol = app.enrol

        // An empty form, an unreachable server, a wrong code: each refused, nothing kept.
        await enrol.enrol()
        XCTAssertEqual(enrol.state.value.error, .app(.missingServer))
        XCTAssertEqual(enrol.state.value.errorField, .server)
        enrol.setServerUrl("http://127.0.0.1:9")
        enrol.setCode("ABCD-EFGH")
        await enrol.enrol()
        XCTAssertEqual(enrol.state.value.error, .app(.noNetwork))
        XCTAssertEqual(enrol.state.value.errorField, .server)
        enrol.setServerUrl(server.url)
        await enrol.enrol()
        XCTAssertEqual(enrol.state.value.step, .form)
        XCTAssertEqual(enrol.state.value.errorField, .code)
        XCTAssertNotNil(enrol.state.value.error?.text(.zh))
        XCTAssertFalse(try phone.store.hasDeviceCredential())

        // The right code (lower case as typed): enrolled, the first pull with progress, then Today.
        var steps: [String] = []
        let watch = enrol.state.observe { s in
            if case let .pulling(_, progress) = s.step, let progress { steps.append("\(progress.itemsDone)") }
        }
        enrol.setCode(try server.codeFor("w1").lowercased())
        await enrol.enrol()
        watch.cancel()
        guard case let .done(user) = enrol.state.value.step else { return XCTFail("not enrolled: \(enrol.state.value)") }
        XCTAssertEqual(user.id, "w1")
        XCTAssertFalse(steps.isEmpty, "the first pull reported progress")
        try await until("Today") { app.top.name == "today" && app.today.ready != nil }
        let today = try XCTUnwrap(app.today.ready)
        XCTAssertEqual(today.userName, "张网格")
        XCTAssertEqual(today.today.grids.map(\.code), ["G1"])
        XCTAssertGreaterThan(today.today.dueVisits, 0)

        // The grid: the core's rows, its search.
        await app.openGrid("G1")
        guard case let .grid(grid) = app.top else { return XCTFail("not on the grid") }
        XCTAssertGreaterThan(grid.state.value.rows.count, 0)
        XCTAssertTrue(grid.state.value.rows.contains { $0.code == "H001" })
        app.back()

        // The visit: nothing answered → the core names a missing answer, nothing saved.
        await app.openVisit("H001")
        guard case let .visit(visit) = app.top else { return XCTFail("not on the visit") }
        XCTAssertNotNil(visit.state.value.template)
        XCTAssertEqual(visit.state.value.fix?.accuracyM, 8)
        await visit.save()
        XCTAssertNotNil(visit.state.value.errorItem)
        XCTAssertNil(visit.state.value.saved)
        XCTAssertEqual(try phone.today().day.visits, 0)

        answerGasSmell(visit)
        // A photo the camera left empty: refused by name, nothing saved.
        phone.camera.nextIsEmpty = true
        await visit.takePhoto(for: "ws.gas_cylinder_photo")
        XCTAssertEqual(visit.state.value.photos(for: "ws.gas_cylinder_photo").count, 1)
        await visit.save()
        XCTAssertTrue(visit.state.value.error?.text(.zh).contains("照片文件为空") ?? false, "\(String(describing: visit.state.value.error))")
        XCTAssertEqual(try phone.today().day.visits, 0)
        XCTAssertEqual(try phone.store.uploadQueueStatus().waiting, 0)
        visit.clearPhotos(for: "ws.gas_cylinder_photo")
        await visit.takePhoto(for: "ws.gas_cylinder_photo")
        visit.setNotes("厨房有燃气味，已提醒开窗")
        await visit.save()
        let saved = try XCTUnwrap(visit.state.value.saved, "\(String(describing: visit.state.value.error))")
        XCTAssertEqual(saved.visit.verdict?.status, .consistent)
        XCTAssertEqual(try phone.today().day.visits, 1)
        XCTAssertTrue(try phone.today().unfinishedVisits.isEmpty, "the visit's draft went with it")

        // The pre-filled case, with a photo of the problem.
        let draft = try XCTUnwrap(saved.drafts.first)
        XCTAssertEqual(draft.householdCode, "H001")
        await app.openReport(draft)
        guard case let .report(report) = app.top else { return XCTFail("not on the report") }
        XCTAssertTrue(report.state.value.title.contains("燃气"), report.state.value.title)
        await report.takePhoto(after: false)
        await report.report()
        let reported = try XCTUnwrap(report.state.value.reported, "\(String(describing: report.state.value.error))")
        XCTAssertEqual(reported.evidence.count, 2)

        // Back to Today: two photos and the operations wait; sync now sends them through the transfer.
        app.back()
        app.back()
        XCTAssertEqual(app.top.name, "today")
        await app.today.refresh()
        XCTAssertEqual(app.today.ready?.today.photosWaiting, 2)
        XCTAssertEqual(app.today.ready?.today.openCases.map(\.id), [reported.case.id])
        await app.today.sync()
        let after = try XCTUnwrap(app.today.ready)
        XCTAssertNil(after.message)
        XCTAssertEqual(after.today.pendingOperations, 0)
        XCTAssertEqual(after.today.photosWaiting, 0)
        let queue = try phone.store.uploadQueueStatus()
        XCTAssertEqual(queue.stored, 2)
        XCTAssertTrue(queue.items.isEmpty)
    }

    /// H001's required answers, with a gas smell (a hazard).
    @MainActor
    func answerGasSmell(_ visit: VisitModel) {
        visit.toggleChoice("ep.symptoms", option: "none")
        visit.answer("ws.gas_use", .choice("piped"))
        visit.answer("ws.gas_smell", .yesNo(true))
        visit.answer("rs.house_condition", .choice("sound"))
    }
}
