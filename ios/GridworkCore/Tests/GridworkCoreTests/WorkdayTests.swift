import Foundation
import XCTest

import GridworkCore
import GridworkKit
import GridworkTestSupport

/// A Keychain that keeps the store's key but is locked for everything else.
final class LockingSecrets: SecretStore, @unchecked Sendable {
    let inner = MemorySecrets()
    struct Locked: Error {}
    func get(key: String) throws -> String? {
        guard key == "gridwork.store_key" else { throw GridworkError.Platform(reason: "keychain locked") }
        return try inner.get(key: key)
    }
    func put(key: String, value: String) throws {
        guard key == "gridwork.store_key" else { throw GridworkError.Platform(reason: "keychain locked") }
        try inner.put(key: key, value: value)
    }
    func delete(key: String) throws { throw Locked() }
}

/// A locked Keychain: every call fails.
final class BrokenSecrets: SecretStore, @unchecked Sendable {
    struct Locked: Error {}
    func get(key: String) throws -> String? { throw GridworkError.Platform(reason: "keychain locked") }
    func put(key: String, value: String) throws { throw GridworkError.Platform(reason: "keychain locked") }
    func delete(key: String) throws { throw Locked() }
}

/// A grid worker's day through the generated Swift, against the real
/// library: the same scenario as android/gridwork-core's WorkdayTest.
final class WorkdayTests: XCTestCase {
    var dir: URL!
    var store: GridworkStore!
    let data = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bindings/testdata")

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gridwork-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try GridworkStore.open(dbPath: dir.appendingPathComponent("device.db").path, secrets: MemorySecrets())
        try store.upsertUser(user: User(id: "admin", name: "管理员", role: .administrator, phone: nil, jurisdiction: []))
        try store.upsertUser(user: User(id: "w1", name: "张网格", role: .gridWorker, phone: "13800138000", jurisdiction: []))
        try store.upsertUser(user: User(id: "w2", name: "李网格", role: .gridWorker, phone: nil, jurisdiction: []))
        try store.upsertUser(user: User(id: "s1", name: "王书记", role: .villageSecretary, phone: nil, jurisdiction: ["440300-T01-V01"]))
        _ = try store.signIn(userId: "admin")
        XCTAssertEqual(try store.installDefaultTemplates(), 8)
        let geojson = try String(contentsOf: data.appendingPathComponent("township.geojson"), encoding: .utf8)
        XCTAssertEqual(try store.importRegions(geojson: geojson, mode: .allOrNothing).imported, 5)
        let households = try store.importHouseholds(
            bytes: try Data(contentsOf: data.appendingPathComponent("households.csv")), format: nil, mode: .bestEffort)
        XCTAssertEqual(households.imported, 4, "\(households.errors)")
        _ = try store.importMembers(
            bytes: try Data(contentsOf: data.appendingPathComponent("members.csv")), format: .csv, mode: .bestEffort)
        try store.setAssignment(assignment: Assignment(userId: "w1", gridCode: "G1", kind: .primary, from: "2026-01-01", to: nil))
        try store.setAssignment(assignment: Assignment(userId: "w2", gridCode: "G2", kind: .primary, from: "2026-01-01", to: nil))
    }

    override func tearDownWithError() throws {
        store = nil
        try? FileManager.default.removeItem(at: dir)
    }

    func photo(_ name: String, item: String? = nil) throws -> PhotoInput {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF] + Array(name.utf8)
        bytes += (0..<2048).map { UInt8($0 % 256) }
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return jpegPhoto(url, itemCode: item, fix: locationFix(lat: 22.5015, lon: 113.9015, accuracyM: 8))
    }

    func answers(gasSmell: Bool) -> [Answer] {
        [
            Answer(itemCode: "ep.symptoms", value: .choices(["none"])),
            Answer(itemCode: "ws.gas_use", value: .choice("lpg")),
            Answer(itemCode: "ws.gas_smell", value: .yesNo(gasSmell)),
            Answer(itemCode: "ws.gas_cylinder_hose", value: .choices(["hose_aged"])),
            Answer(itemCode: "rs.house_condition", value: .choice("sound")),
        ]
    }

    func expectError(_ call: @autoclosure () throws -> Any, _ check: (GridworkError) -> Void) {
        XCTAssertThrowsError(try call()) { error in
            guard let e = error as? GridworkError else { return XCTFail("not a GridworkError: \(error)") }
            check(e)
        }
    }

    func testAWorkersVisitBecomesACaseThatIsResolvedAndConfirmed() throws {
        _ = try store.signIn(userId: "w1")
        let grids = try store.myGrids()
        XCTAssertEqual(grids.map(\.code), ["G1"])
        XCTAssertEqual(grids[0].households, 3)
        XCTAssertEqual(grids[0].dueVisits, 3)
        let page = try store.households(
            gridCode: "G1", filter: HouseholdFilter(query: nil, tag: nil, kind: nil, dueOnly: true), offset: 0, limit: 10)
        XCTAssertEqual(page.total, 3)
        XCTAssertTrue(page.rows.allSatisfy { $0.due == .neverVisited })

        let patrol = try store.startPatrol(gridCode: "G1", fix: locationFix(lat: 22.5010, lon: 113.9010, accuracyM: 10))
        let points = try store.addTrackPoints(
            patrolId: patrol.id,
            fixes: [locationFix(lat: 22.5014, lon: 113.9014, accuracyM: 6), locationFix(lat: 22.5020, lon: 113.9600, accuracyM: 6)])
        XCTAssertEqual(points.map(\.verdict.status), [.consistent, .outsideGrid])

        let template = try store.checklistFor(householdCode: "H001")
        XCTAssertEqual(template.sections.count, 5)
        let cylinder = try photo("cylinder.jpg", item: "ws.gas_cylinder_photo")
        let outcome = try store.recordVisit(input: VisitInput(
            householdCode: "H001", patrolId: patrol.id, templateId: template.id, templateVersion: template.version,
            answers: answers(gasSmell: true), notes: "厨房有异味",
            fix: locationFix(lat: 22.5016, lon: 113.9016, accuracyM: 8), photos: [cylinder]))
        XCTAssertEqual(outcome.visit.verdict?.status, .consistent)
        let stored = try store.evidence(evidenceId: outcome.evidence[0].id)
        XCTAssertEqual(stored.sha256, sha256Hex(try Data(contentsOf: URL(fileURLWithPath: cylinder.path))))
        XCTAssertEqual(outcome.drafts.map(\.severity), [.critical, .normal])
        _ = try store.endPatrol(patrolId: patrol.id)

        var screen = try store.reportCase(draft: outcome.drafts[1], photos: [try photo("before.jpg")], onSpot: nil)
        XCTAssertEqual(screen.case.state, .reported)
        XCTAssertEqual(screen.allowedActions, [.resolveOnSpot])
        let id = screen.case.id

        _ = try store.signIn(userId: "s1")
        let model = CaseScreenModel(store: store, caseId: id)
        var changes = 0
        model.onChange = { changes += 1 }
        model.load()
        XCTAssertGreaterThan(changes, 0)
        XCTAssertTrue(model.actions.contains(.file))
        model.act(.file(difficulty: .normal, note: ""))
        XCTAssertEqual(model.detail?.case.state, .filed)
        model.act(.dispatch(handlerId: "w2"))
        XCTAssertEqual(model.error?.invalidField, "handler_id", "a worker of another grid is refused")
        XCTAssertEqual(model.detail?.case.state, .filed, "the refused action changed nothing")
        model.act(.dispatch(handlerId: "w1"))
        XCTAssertNil(model.error)

        _ = try store.signIn(userId: "w1")
        _ = try store.actOnCase(caseId: id, action: .accept, photos: [])
        expectError(try self.store.actOnCase(caseId: id, action: .resolve(note: "已更换", evidenceIds: []), photos: [])) { e in
            XCTAssertEqual(e.invalidField, "evidence_ids")
        }
        screen = try store.actOnCase(caseId: id, action: .resolve(note: "已更换软管", evidenceIds: []), photos: [try photo("after.jpg")])
        XCTAssertEqual(screen.case.state, .resolved)
        expectError(try self.store.actOnCase(caseId: id, action: .confirm(note: ""), photos: [])) { e in
            guard case let .NotPermitted(reason) = e else { return XCTFail("expected NotPermitted, got \(e)") }
            XCTAssertTrue(reason.contains("may not confirm"), reason)
        }

        _ = try store.signIn(userId: "s1")
        screen = try store.actOnCase(caseId: id, action: .confirm(note: "核查属实"), photos: [])
        XCTAssertEqual(screen.case.state, .confirmed)
        XCTAssertNil(screen.chainBreak)
        XCTAssertEqual(screen.timeline.map(\.kind), ["reported", "filed", "dispatched", "accepted", "resolved", "confirmed"])
        XCTAssertEqual(screen.evidence.count, 3)
        XCTAssertGreaterThan(try store.pendingOperations(), 0)
    }

    func testPersonalNumbersAreMaskedUntilRevealedForAReason() throws {
        _ = try store.signIn(userId: "w1")
        let member = try store.householdDetail(code: "H001").members[0]
        XCTAssertEqual(member.idNumberMasked, "110105********002X")
        XCTAssertEqual(member.phoneMasked, "139****5678")
        expectError(try self.store.revealMemberField(memberId: member.id, field: .idNumber, reason: " ")) { e in
            XCTAssertEqual(e.invalidField, "reason")
        }
        XCTAssertEqual(try store.revealMemberField(memberId: member.id, field: .idNumber, reason: "核对低保身份"), "11010519491231002X")
        _ = try store.signIn(userId: "w2")
        expectError(try self.store.householdDetail(code: "H001")) { e in
            guard case .NotFound = e else { return XCTFail("expected NotFound, got \(e)") }
        }
    }

    func testCoordinatesConvertForAmapAndBack() {
        // Beijing, Tian'anmen: reference values from coordtransform 2.1.2 (npm).
        let wgs = LatLon(lat: 39.908722, lon: 116.397499)
        let gcj = convertCoordinates(point: wgs, from: .wgs84, to: .gcj02)
        XCTAssertEqual(gcj.lat, 39.91012550007891, accuracy: 1e-9)
        XCTAssertEqual(gcj.lon, 116.4037425752605, accuracy: 1e-9)
        let back = convertCoordinates(point: gcj, from: .gcj02, to: .wgs84)
        XCTAssertEqual(back.lat, wgs.lat, accuracy: 5e-6)
        XCTAssertEqual(back.lon, wgs.lon, accuracy: 5e-6)
    }

    func testTheDeviceCredentialLivesInTheSecretStore() throws {
        let secrets = MemorySecrets()
        let s = try GridworkStore.open(dbPath: dir.appendingPathComponent("other.db").path, secrets: secrets)
        XCTAssertFalse(try s.hasDeviceCredential())
        try s.saveDeviceCredential(token: "tok-123")
        XCTAssertEqual(secrets.map["gridwork.device_credential"], "tok-123")
        try s.forgetDeviceCredential()
        XCTAssertFalse(try s.hasDeviceCredential())
        // A locked Keychain is an error the app can show, not a crash — also
        // when the callback throws an error type it did not declare.
        // At open (the store's key is in the Keychain) and at any later call.
        expectError(try GridworkStore.open(dbPath: dir.appendingPathComponent("broken.db").path, secrets: BrokenSecrets())) { e in
            XCTAssertTrue(e.userMessage.contains("keychain locked"), e.userMessage)
        }
        let broken = try GridworkStore.open(dbPath: dir.appendingPathComponent("locking.db").path, secrets: LockingSecrets())
        expectError(try broken.saveDeviceCredential(token: "tok")) { e in
            XCTAssertTrue(e.userMessage.contains("keychain locked"), e.userMessage)
        }
        expectError(try broken.forgetDeviceCredential()) { e in
            guard case .Platform = e else { return XCTFail("expected Platform, got \(e)") }
        }
    }

    func testTheStoreOnDiskIsEncryptedUnderAKeyTheKeychainKeeps() throws {
        let secrets = MemorySecrets()
        let path = dir.appendingPathComponent("encrypted.db").path
        do {
            let s = try GridworkStore.open(dbPath: path, secrets: secrets)
            try s.upsertUser(user: User(id: "w9", name: "周网格", role: .gridWorker, phone: "13912345678", jurisdiction: []))
            s.shutdown()
        }
        let bytes = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        XCTAssertFalse(bytes.contains("SQLite format 3"), "not a plain SQLite file")
        XCTAssertFalse(bytes.contains("13912345678"), "no phone number readable")
        XCTAssertEqual(secrets.map["gridwork.store_key"]?.count, 64, "a 256-bit key, hex")
        let again = try GridworkStore.open(dbPath: path, secrets: secrets)
        XCTAssertEqual(try again.signIn(userId: "w9").name, "周网格")
        let other = MemorySecrets()
        other.map["gridwork.store_key"] = String(repeating: "00", count: 32)
        expectError(try GridworkStore.open(dbPath: path, secrets: other)) { e in
            guard case .Invalid(_, let reason) = e else { return XCTFail("expected Invalid, got \(e)") }
            XCTAssertTrue(reason.contains("does not open with this key"), reason)
        }
    }

    func testCallsFailCleanlyAfterShutdown() throws {
        let s = try GridworkStore.open(dbPath: dir.appendingPathComponent("closing.db").path, secrets: nil)
        expectError(try s.myGrids()) { e in
            guard case .NotPermitted = e else { return XCTFail("expected NotPermitted, got \(e)") }
        }
        s.shutdown()
        expectError(try s.deviceId()) { e in
            guard case let .Storage(reason) = e else { return XCTFail("expected Storage, got \(e)") }
            XCTAssertTrue(reason.contains("shut down"), reason)
        }
    }
}

/// SHA-256 in pure Swift (CryptoKit is Apple-only; the test must run on Linux too).
func sha256Hex(_ data: Data) -> String {
    var h: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    var bytes = [UInt8](data)
    let bitLength = UInt64(bytes.count) * 8
    bytes.append(0x80)
    while bytes.count % 64 != 56 { bytes.append(0) }
    for i in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    for chunk in stride(from: 0, to: bytes.count, by: 64) {
        var w = [UInt32](repeating: 0, count: 64)
        for i in 0..<16 {
            w[i] = bytes[chunk + 4 * i..<chunk + 4 * i + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for i in 0..<64 {
            let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        h = zip(h, [a, b, c, d, e, f, g, hh]).map { $0 &+ $1 }
    }
    return h.map { String(format: "%08x", $0) }.joined()
}
