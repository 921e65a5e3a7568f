import Foundation
import XCTest

import GridworkCore
import GridworkKit
import GridworkScreens
import GridworkTestSupport

/// A fixed location fix, as a phone standing at one place reports it.
struct FixedLocation: LocationSource {
    var lat: Double
    var lon: Double
    var accuracyM = 8.0
    var mock = false
    func currentFix() async -> LocationFix? {
        locationFix(lat: lat, lon: lon, accuracyM: accuracyM, provider: "gps", mock: mock)
    }
}

/// One phone: its encrypted store and file-backed secrets under `dir` (so
/// it can be closed and opened again), and the app's model over them with
/// the Linux seams: fixed fixes, a camera writing JPEGs, a foreground
/// transfer carrying the core's upload jobs.
@MainActor
final class TestPhone {
    let dir: URL
    let name: String
    let camera: TestCamera
    let location: LocationSource
    let secrets: FileSecrets
    private(set) var store: GridworkStore
    private(set) var app: AppModel

    init(dir: URL, name: String, location: LocationSource = NoLocation(), camera: TestCamera? = nil) throws {
        self.dir = dir
        self.name = name
        self.location = location
        self.camera = camera ?? TestCamera(dir: dir.appendingPathComponent("\(name)-camera"))
        secrets = FileSecrets(file: dir.appendingPathComponent("\(name).secrets"))
        store = try GridworkStore.open(dbPath: dir.appendingPathComponent("\(name).db").path, secrets: secrets)
        app = AppModel(session: Self.session(store, name, location, self.camera, dir))
    }

    private static func session(_ store: GridworkStore, _ name: String, _ location: LocationSource, _ camera: Camera, _ dir: URL) -> AppSession {
        AppSession(store: store, deviceName: "\(name)的手机", location: location, camera: camera,
                   transfer: ForegroundTransfer(), storeDirectory: dir)
    }

    /// A phone already enrolled as `user` and synced (through the core, not
    /// the Enrol screen), its app started on Today.
    static func enrolled(dir: URL, name: String, server: TestServer, user: String,
                         location: LocationSource = NoLocation()) async throws -> TestPhone {
        let phone = try TestPhone(dir: dir, name: name, location: location)
        _ = try await phone.store.activate(serverUrl: server.url, code: try server.codeFor(user), deviceName: "\(name)的手机")
        _ = try phone.store.signIn(userId: user)
        _ = try await phone.store.sync(listener: nil)
        await phone.app.start()
        return phone
    }

    /// The app and store closed (as when the system kills the app) and
    /// opened again from the same files; the app starts again.
    func reopen() async throws {
        store = try GridworkStore.open(dbPath: dir.appendingPathComponent("\(name).db").path, secrets: secrets)
        app = AppModel(session: Self.session(store, name, location, camera, dir))
        await app.start()
    }

    /// Today's screen as the core gives it now.
    func today() throws -> TodayScreen { try store.today(day: app.session.today()) }
}

/// Wait (bounded) until `condition` holds; fail saying what was awaited.
@MainActor
func until(_ what: String, timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line,
           _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("waited \(Int(timeout)) s for \(what)", file: file, line: line)
    throw CancellationError()
}

