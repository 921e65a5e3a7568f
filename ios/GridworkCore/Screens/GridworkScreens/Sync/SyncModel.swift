// 同步 Sync and photos: what waits (operations, photos with each one's
// state and the core's reason), conflicts with what won and why, retry
// now, the network policy for photos, and a warning when storage runs low.

import Foundation

import GridworkCore

public struct SyncState: Equatable, Sendable {
    /// Photos are kept until uploaded: warn before the phone fills up.
    public static let lowStorageBytes: Int64 = 300 * 1024 * 1024

    public var pendingOperations: UInt64 = 0
    public var lastSyncedAt: Date?
    public var queue: UploadQueueStatus?
    public var conflicts: [ConflictRecord] = []
    /// Free bytes where the store and photos live (the platform's figure).
    public var freeBytes: Int64?
    public var syncing = false
    public var message: Message?

    public var storageLow: Bool { (freeBytes ?? .max) < Self.lowStorageBytes }
}

@MainActor
public final class SyncModel {
    public let state = StateHolder(SyncState())
    private let session: AppSession

    public init(session: AppSession) { self.session = session }

    public func refresh(message: Message? = nil) async {
        do {
            let (pending, last, queue, conflicts) = try await session.call { store in
                (try store.pendingOperations(), try store.lastSyncedAt(), try store.uploadQueueStatus(), try store.conflicts(unseenOnly: false))
            }
            let free = session.storeDirectory.flatMap(Self.freeBytes(at:))
            state.update {
                $0.pendingOperations = pending
                $0.lastSyncedAt = last
                $0.queue = queue
                $0.conflicts = conflicts
                $0.freeBytes = free
                $0.message = message
            }
        } catch {
            state.update { $0.message = .of(error) }
        }
    }

    public func syncNow() async {
        guard !state.value.syncing else { return }
        state.update { $0.syncing = true; $0.message = nil }
        var failure: Message?
        do {
            _ = try await session.store.sync(listener: nil)
            try await UploadRunner(session: session).run()
        } catch {
            failure = .of(error)
        }
        state.update { $0.syncing = false }
        await refresh(message: failure)
    }

    /// Photos waiting out a backoff go now.
    public func retryUploads() async {
        _ = try? await session.call { try $0.retryUploadsNow() }
        await syncNow()
    }

    public func setPolicy(_ policy: NetworkPolicy) async {
        do {
            try await session.call { try $0.setUploadNetworkPolicy(policy: policy) }
            await refresh()
        } catch {
            state.update { $0.message = .of(error) }
        }
    }

    public func markSeen(_ conflictId: String) async {
        _ = try? await session.call { try $0.markConflictSeen(id: conflictId) }
        await refresh()
    }

    private static func freeBytes(at url: URL) -> Int64? {
        guard let attrs = try? FileManager.default.attributesOfFileSystem(forPath: url.path),
              let free = attrs[.systemFreeSize] as? NSNumber else { return nil }
        return free.int64Value
    }
}
