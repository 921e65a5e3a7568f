import Foundation
import XCTest

import GridworkCore
import GridworkScreens
import GridworkTestSupport

/// 事件 on two phones against a real server (android's CasesTest): the
/// secretary files and dispatches with exactly the actions the core
/// offers her; once the worker resolved two cases she confirms one and
/// sends the other back, refused without a reason; the worker sees why.
final class CasesJourneyTests: ServerTestCase {

    func draft(_ title: String) -> CaseDraft {
        CaseDraft(category: Category(priority: .riskScreening, subcategory: "public_facility"), severity: .normal,
                  title: title, description: "", householdCode: "H001", gridCode: "G1", source: nil, evidenceIds: [])
    }

    @MainActor
    func testTheSecretaryDispatchesConfirmsOneCaseSendsAnotherBackAndTheWorkerSeesWhy() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1")
        let secretary = try await TestPhone.enrolled(dir: dir, name: "s1", server: server, user: "s1")
        let (w, s) = (worker.store, secretary.store)
        let lamp = try w.reportCase(draft: draft("路灯损坏"), photos: [], onSpot: nil).case.id
        let corridor = try w.reportCase(draft: draft("楼道堆放杂物"), photos: [], onSpot: nil).case.id
        _ = try await w.sync(listener: nil)
        _ = try await s.sync(listener: nil)

        // Her list starts on her village; the case offers filing, not resolving.
        let app = secretary.app
        XCTAssertEqual(app.today.ready?.today.patrols, false, "a secretary is not offered a patrol")
        await app.openCases()
        guard case let .cases(cases) = app.top else { return XCTFail("not on the cases") }
        XCTAssertEqual(cases.state.value.scope, .jurisdiction)
        XCTAssertEqual(Set(cases.state.value.rows.map(\.id)), [lamp, corridor])
        await app.openCase(lamp)
        guard case let .caseDetail(caseModel) = app.top else { return XCTFail("not on the case") }
        let offered = caseModel.state.value.detail?.allowedActions ?? []
        XCTAssertTrue(offered.contains(.file), "\(offered)")
        XCTAssertFalse(offered.contains(.resolve), "\(offered)")
        XCTAssertNil(caseModel.state.value.detail?.chainBreak)

        // File (the form asks for difficulty and a note), then dispatch to the worker the core offers first.
        await caseModel.open(.file)
        XCTAssertEqual(caseModel.state.value.form?.inputs, [.difficulty, .note])
        await caseModel.submit()
        XCTAssertEqual(caseModel.state.value.done, .file)
        await caseModel.open(.dispatch)
        XCTAssertEqual(caseModel.state.value.handlers.first?.id, "w1")
        XCTAssertEqual(caseModel.state.value.form?.handlerId, "w1")
        await caseModel.submit()
        XCTAssertEqual(caseModel.state.value.detail?.case.state, .dispatched)

        // The corridor the same way, through the core; the worker resolves both.
        _ = try s.actOnCase(caseId: corridor, action: .file(difficulty: .normal, note: ""), photos: [])
        _ = try s.actOnCase(caseId: corridor, action: .dispatch(handlerId: "w1"), photos: [])
        _ = try await s.sync(listener: nil)
        _ = try await w.sync(listener: nil)
        for id in [lamp, corridor] {
            _ = try w.actOnCase(caseId: id, action: .accept, photos: [])
            let shot = await worker.camera.takePhoto()
            let after = try XCTUnwrap(shot)
            _ = try w.actOnCase(caseId: id, action: .resolve(note: "已处理", evidenceIds: []),
                                photos: [PhotoInput(itemCode: nil, path: after.path, mediaType: "image/jpeg", takenAt: Date(), fix: nil)])
        }
        _ = try await w.sync(listener: nil)
        _ = try await s.sync(listener: nil)

        // Her open list still has both: resolved cases wait for her check.
        await cases.refresh()
        XCTAssertTrue(cases.state.value.openOnly)
        XCTAssertEqual(Set(cases.state.value.rows.map(\.id)), [lamp, corridor])
        XCTAssertEqual(Set(cases.state.value.rows.map(\.state)), [.resolved])

        // She confirms the lamp.
        await caseModel.load()
        XCTAssertTrue(caseModel.state.value.detail?.allowedActions.contains(.confirm) ?? false)
        await caseModel.open(.confirm)
        await caseModel.submit()
        XCTAssertEqual(try s.caseDetail(caseId: lamp).case.state, .confirmed)

        // The corridor: sent back, first without a reason (refused, nothing changes).
        app.back()
        await app.openCase(corridor)
        guard case let .caseDetail(corridorModel) = app.top else { return XCTFail("not on the corridor case") }
        await corridorModel.open(.sendBack)
        XCTAssertEqual(corridorModel.state.value.form?.inputs, [.reason])
        await corridorModel.submit()
        XCTAssertNotNil(corridorModel.state.value.form?.error)
        XCTAssertEqual(try s.caseDetail(caseId: corridor).case.state, .resolved)
        corridorModel.setText("照片看不清楼道，请补拍")
        await corridorModel.submit()
        XCTAssertNil(corridorModel.state.value.form)
        XCTAssertEqual(corridorModel.state.value.done, .sendBack)
        _ = try await s.sync(listener: nil)

        // The worker's Today after "sync now": the case is back, with the reason.
        await worker.app.today.sync()
        XCTAssertTrue(worker.app.today.ready?.today.openCases.contains { $0.id == corridor } ?? false)
        await worker.app.openCase(corridor)
        guard case let .caseDetail(back) = worker.app.top else { return XCTFail("not on the worker's case") }
        XCTAssertEqual(back.state.value.detail?.case.lastSendBackReason, "照片看不清楼道，请补拍")
        XCTAssertTrue(back.state.value.detail?.allowedActions.contains(.resolve) ?? false)
    }
}
