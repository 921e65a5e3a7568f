import Foundation

import GridworkCore

/// The Keychain's stand-in on Linux: secrets in a JSON file readable only
/// by its owner (0600), so a phone closed and opened again keeps them.
public final class FileSecrets: SecretStore, @unchecked Sendable {
    private let file: URL
    private let lock = NSLock()

    public init(file: URL) { self.file = file }

    public func get(key: String) throws -> String? {
        lock.lock()
        defer { lock.unlock() }
        return try read()[key]
    }

    public func put(key: String, value: String) throws {
        lock.lock()
        defer { lock.unlock() }
        var map = try read()
        map[key] = value
        try write(map)
    }

    public func delete(key: String) throws {
        lock.lock()
        defer { lock.unlock() }
        var map = try read()
        map[key] = nil
        try write(map)
    }

    private func read() throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    private func write(_ map: [String: String]) throws {
        try JSONEncoder().encode(map).write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }
}

/// Secrets in memory, as the Keychain would hold them for one run.
public final class MemorySecrets: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    /// The secrets themselves (tests read and plant them).
    public var map: [String: String] = [:]
    public init() {}
    public func get(key: String) throws -> String? { lock.lock(); defer { lock.unlock() }; return map[key] }
    public func put(key: String, value: String) throws { lock.lock(); defer { lock.unlock() }; map[key] = value }
    public func delete(key: String) throws { lock.lock(); defer { lock.unlock() }; map[key] = nil }
}
