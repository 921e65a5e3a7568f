import Foundation
import XCTest

import GridworkCore
import GridworkScreens
import GridworkTestSupport

/// The other screens against a real server: the grid's search, a masked
/// number revealed only with a reason, photos waiting for Wi-Fi, quiet
/// hours checked by the core, and forgetting the phone (android's
/// GridAndHouseholdTest, VisitAndReportTest's network policy and MeTest).
final class ScreensTests: ServerTestCase {

    @MainActor
    func testTheGridSearchesAndTheHouseholdRevealsANumberOnlyWithAReason() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1")
        let app = worker.app
        let grid = GridModel(session: app.session, gridCode: "G1", searchDelay: .zero)
        await grid.load()
        XCTAssertEqual(grid.state.value.rows.map(\.code).sorted(), ["H001", "H002", "H003"])
        XCTAssertTrue(grid.state.value.endReached)
        grid.setQuery("超市")
        await grid.settled()
        XCTAssertEqual(grid.state.value.rows.map(\.name), ["好又多超市"])
        grid.setQuery("没有这一户")
        await grid.settled()
        XCTAssertTrue(grid.state.value.rows.isEmpty)
        await grid.show(.map)
        XCTAssertFalse(grid.state.value.map?.rings.isEmpty ?? true, "the map has the grid's boundary")

        await app.openHousehold("H001")
        guard case let .household(household) = app.top else { return XCTFail("not on the household") }
        let member = try XCTUnwrap(household.state.value.detail?.members.first)
        let masked = try XCTUnwrap(member.phoneMasked)
        XCTAssertFalse(masked.contains("13912345678"), masked)
        household.askReveal(memberId: member.id, field: .phone)
        await household.confirmReveal()
        XCTAssertNotNil(household.state.value.dialog?.error, "no reason: refused")
        XCTAssertNil(household.state.value.shown(member.id, .phone))
        household.setReason("联系独居老人家属")
        await household.confirmReveal()
        XCTAssertNil(household.state.value.dialog)
        XCTAssertEqual(household.state.value.shown(member.id, .phone), "13912345678")
    }

    @MainActor
    func testPhotosWaitForWiFiWhenAskedAndGoOnAnyNetwork() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1")
        let app = worker.app
        let draft = CaseDraft(category: Category(priority: .riskScreening, subcategory: "public_facility"), severity: .normal,
                              title: "路灯损坏", description: "", householdCode: "H002", gridCode: "G1", source: nil, evidenceIds: [])
        await app.openReport(draft)
        guard case let .report(report) = app.top else { return XCTFail("not on the report") }
        await report.takePhoto(after: false)
        await report.report()
        XCTAssertNotNil(report.state.value.reported)
        app.back()

        await app.openSync()
        guard case let .sync(sync) = app.top else { return XCTFail("not on sync") }
        await sync.setPolicy(.unmeteredOnly)
        try worker.store.setNetworkKind(kind: .metered)
        await sync.syncNow()
        XCTAssertEqual(sync.state.value.pendingOperations, 0, "operations go on any network")
        XCTAssertEqual(sync.state.value.queue?.items.first?.blockedBy, .network, "the photo waits for Wi-Fi")
        XCTAssertEqual(sync.state.value.queue?.policy, .unmeteredOnly)
        await sync.setPolicy(.anyNetwork)
        await sync.syncNow()
        XCTAssertEqual(sync.state.value.queue?.stored, 1)
        XCTAssertTrue(sync.state.value.queue?.items.isEmpty ?? false)
    }

    @MainActor
    func testQuietHoursAreCheckedByTheCoreAndForgettingThePhoneWarnsThenWipes() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1")
        let app = worker.app
        await app.openMe()
        guard case let .me(me) = app.top else { return XCTFail("not on Me") }
        XCTAssertEqual(me.state.value.user?.name, "张网格")
        let before = try worker.store.quietHours()
        me.setQuietStart("25:00")
        me.setQuietEnd("06:30")
        await me.saveQuietHours()
        XCTAssertNotNil(me.state.value.error)
        XCTAssertEqual(try worker.store.quietHours(), before, "refused: nothing changed")
        me.setQuietStart("23:00")
        await me.saveQuietHours()
        XCTAssertTrue(me.state.value.quietSaved)
        XCTAssertEqual(try worker.store.quietHours()?.start, "23:00")

        app.setLanguage(.en)
        XCTAssertEqual(Strings(app.language.value).forgetPhone, "Sign out and forget this phone")

        // Unsynced work is counted before the phone is forgotten.
        let draft = CaseDraft(category: Category(priority: .riskScreening, subcategory: "public_facility"), severity: .normal,
                              title: "围墙开裂", description: "", householdCode: "H002", gridCode: "G1", source: nil, evidenceIds: [])
        _ = try worker.store.reportCase(draft: draft, photos: [], onSpot: nil)
        await me.askForget()
        XCTAssertTrue(me.state.value.confirmingForget)
        XCTAssertGreaterThan(me.state.value.unsyncedOperations, 0)
        await app.forget(me)
        XCTAssertEqual(app.top.name, "enrol")
        XCTAssertFalse(try worker.store.hasDeviceCredential())
        XCTAssertEqual(try worker.store.pendingOperations(), 0)
        XCTAssertNil(try worker.store.deviceOwner())
    }

    /// An answer given just before leaving the visit is kept (the typing
    /// pause's save would die with the screen); starting over drops it all.
    @MainActor
    func testLeavingAVisitKeepsItsLastAnswerAndStartingOverDropsTheDraft() async throws {
        let worker = try await TestPhone.enrolled(dir: dir, name: "w1", server: server, user: "w1")
        let app = worker.app
        await app.openVisit("H002")
        guard case let .visit(visit) = app.top else { return XCTFail("not on the visit") }
        visit.answer("ws.gas_use", .choice("piped"))
        app.back()
        try await until("the answer is in the draft") {
            (try worker.store.visitDraft(householdCode: "H002"))?.answers.contains { $0.itemCode == "ws.gas_use" } ?? false
        }
        await app.today.refresh()
        XCTAssertEqual(app.today.ready?.today.unfinishedVisits.map(\.householdCode), ["H002"])
        await app.openVisit("H002")
        guard case let .visit(again) = app.top else { return XCTFail("not on the visit again") }
        XCTAssertTrue(again.state.value.restored)
        XCTAssertEqual(again.state.value.answers["ws.gas_use"], .choice("piped"))
        await again.startOver()
        XCTAssertTrue(again.state.value.answers.isEmpty)
        XCTAssertNil(try worker.store.visitDraft(householdCode: "H002"))
    }

    @MainActor
    func testAStrayQrCodeIsRefusedAndTheServersQrFillsTheForm() async throws {
        let phone = try TestPhone(dir: dir, name: "w1")
        await phone.app.start()
        let enrol = phone.app.enrol
        enrol.scanned("https://example.com/not-an-activation")
        XCTAssertEqual(enrol.state.value.errorField, .code)
        XCTAssertEqual(enrol.state.value.step, .form)
        let code = try server.codeFor("w1")
        enrol.scanned("gridwork:activate?v=1&server=\(server.url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&code=\(code)")
        XCTAssertNil(enrol.state.value.error)
        XCTAssertEqual(enrol.state.value.serverUrl, server.url)
        XCTAssertEqual(enrol.state.value.code, code)
        XCTAssertEqual(enrol.state.value.step, .form, "a scan never enrols by itself")
    }
}
