import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import GridworkCore

/// A real `gridwork serve` on loopback with the test township (the same as
/// android's GridworkServer): regions, households and members of
/// bindings/testdata; 张网格 (w1, worker of G1), 王书记 (s1, secretary of
/// V01) and 赵督导 (t1, township supervisor). Set-up runs synchronously:
/// Foundation's Process hangs on Linux when waited for from a concurrency
/// thread.
public final class TestServer: @unchecked Sendable {
    /// bindings/testdata, five folders up from this file.
    public static let testdata = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bindings/testdata")

    public let dir: URL
    private let bin: String
    private let testClock: Date?
    private var process: Process?
    public private(set) var url = ""
    /// The administrator's first activation code, printed by the server.
    private var firstCode = ""
    private var adminToken: String?

    public var dataDir: URL { dir.appendingPathComponent("server") }

    public init(dir: URL, testClock: Date? = nil) throws {
        guard let bin = ProcessInfo.processInfo.environment["GRIDWORK_SERVER_BIN"] else {
            throw XCTSkip("GRIDWORK_SERVER_BIN is not set")
        }
        self.dir = dir
        self.bin = bin
        self.testClock = testClock
        firstCode = try launch(listen: "127.0.0.1:0") ?? ""
        XCTAssertFalse(firstCode.isEmpty, "no first activation code printed")
        let data = Self.testdata
        try admin(["import", "regions", data.appendingPathComponent("township.geojson").path, "--all-or-nothing"])
        try admin(["import", "households", data.appendingPathComponent("households.csv").path])
        try admin(["import", "members", data.appendingPathComponent("members.csv").path])
        try admin(["user", "--id", "w1", "--name", "张网格", "--role", "grid_worker"])
        try admin(["user", "--id", "s1", "--name", "王书记", "--role", "village_secretary", "--jurisdiction", "440300-T01-V01"])
        try admin(["user", "--id", "t1", "--name", "赵督导", "--role", "township_supervisor", "--jurisdiction", "440300-T01"])
        try admin(["assign", "--user", "w1", "--grid", "G1", "--from", "2026-01-01"])
    }

    /// Start the server; the first activation code it printed, if any.
    @discardableResult
    private func launch(listen: String) throws -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        var args = ["serve", "--listen", listen, "--data", dataDir.path]
        if let testClock { args += ["--test-clock", ISO8601DateFormatter().string(from: testClock)] }
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("OpenAPI:"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        // Keep reading so the server never blocks on a full pipe.
        out.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
        var code: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("gridwork server listening on ") {
                url = String(line.dropFirst("gridwork server listening on ".count).split(separator: " ")[0])
            }
            if let r = line.range(of: "activation code: ") {
                code = String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)
            }
        }
        guard text.contains("OpenAPI:"), !url.isEmpty else {
            throw XCTSkip("the server did not start: \(text)")
        }
        process = p
        return code
    }

    /// `gridwork admin …` on the server's data directory.
    @discardableResult
    public func admin(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["admin", "--data", dataDir.path] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let bytes = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, "gridwork admin \(args): \(text)")
        return text
    }

    /// A fresh one-time activation code for `user`.
    public func codeFor(_ user: String) throws -> String {
        let text = try admin(["code", "--user", user, "--server-url", url])
        let line = text.split(separator: "\n").first { $0.contains("activation code") } ?? ""
        return line.components(separatedBy: ": ").last?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    /// Move the server's test clock (started with one) to `now`; the escalation engine runs.
    public func setClock(_ now: Date) async throws {
        let body = "{\"now\":\"\(ISO8601DateFormatter().string(from: now))\"}"
        let (status, text) = try await adminHTTP("POST", "/v1/admin/clock", body)
        XCTAssertEqual(status, 200, text)
    }

    /// An administrator's request over HTTP (the administrator's console, enrolled once).
    public func adminHTTP(_ method: String, _ path: String, _ body: String? = nil) async throws -> (Int, String) {
        if adminToken == nil {
            let secrets = MemorySecrets()
            let console = try GridworkStore.open(dbPath: dir.appendingPathComponent("admin-console.db").path, secrets: secrets)
            _ = try await console.activate(serverUrl: url, code: firstCode, deviceName: "admin-console")
            adminToken = try secrets.get(key: "gridwork.device_credential")
        }
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        request.setValue("Bearer \(adminToken ?? "")", forHTTPHeaderField: "Authorization")
        request.setValue("1", forHTTPHeaderField: "X-Gridwork-Protocol")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body.map { Data($0.utf8) }
        return try await withCheckedThrowingContinuation { cont in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { return cont.resume(throwing: error) }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                cont.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
            }.resume()
        }
    }

    /// Stop the server hard (a lost network, as the phone sees it).
    public func kill() {
        guard let p = process, p.isRunning else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        for _ in 0..<200 where p.isRunning { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// Start it again on the same address and data.
    public func restart() throws {
        let port = URL(string: url)?.port ?? 0
        try launch(listen: "127.0.0.1:\(port)")
    }

    public func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        for _ in 0..<200 where p.isRunning { Thread.sleep(forTimeInterval: 0.05) }
    }
}

/// A fresh folder for one test's phones and server.
public func testDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gridwork-swift-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A test with its own folder and a real server in it, started before each
/// test and stopped after (synchronously: see TestServer).
open class ServerTestCase: XCTestCase {
    public var dir: URL!
    public var server: TestServer!

    /// Start the server on a test clock at this time; nil for the real clock.
    open var testClock: Date? { nil }

    override open func setUpWithError() throws {
        dir = try testDirectory()
        server = try TestServer(dir: dir, testClock: testClock)
    }

    override open func tearDownWithError() throws {
        server?.stop()
        try? FileManager.default.removeItem(at: dir)
    }
}
