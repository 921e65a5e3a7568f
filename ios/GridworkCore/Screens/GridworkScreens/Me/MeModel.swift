// 我的 Me: who this phone belongs to, quiet hours (the server holds
// non-critical pushes then), language, and 退出并清除本机 — sign out and
// forget this phone, after a confirmation that says what unsynced work
// would be lost.

import Foundation

import GridworkCore

public struct MeState: Equatable, Sendable {
    public var user: User?
    public var server: String?
    public var quietStart = ""
    public var quietEnd = ""
    public var quietSaved = false
    /// Work not yet on the server, counted before forgetting the phone.
    public var unsyncedOperations: UInt64 = 0
    public var unsyncedPhotos: UInt32 = 0
    public var confirmingForget = false
    public var forgotten = false
    public var error: Message?
    public var version = coreVersion()
}

@MainActor
public final class MeModel {
    public let state = StateHolder(MeState())
    private let session: AppSession

    public init(session: AppSession) { self.session = session }

    public func load() async {
        do {
            let (user, server, quiet) = try await session.call { store in
                (try store.deviceOwner(), try store.serverUrl(), try store.quietHours())
            }
            state.update {
                $0.user = user
                $0.server = server
                $0.quietStart = quiet?.start ?? ""
                $0.quietEnd = quiet?.end ?? ""
            }
        } catch {
            state.update { $0.error = .of(error) }
        }
    }

    public func setQuietStart(_ v: String) { state.update { $0.quietStart = v; $0.quietSaved = false; $0.error = nil } }
    public func setQuietEnd(_ v: String) { state.update { $0.quietEnd = v; $0.quietSaved = false; $0.error = nil } }

    /// Save quiet hours (both empty: none). The core checks the typed times.
    public func saveQuietHours() async {
        let s = state.value
        do {
            let blank = s.quietStart.trimmingCharacters(in: .whitespaces).isEmpty && s.quietEnd.trimmingCharacters(in: .whitespaces).isEmpty
            let quiet = blank ? nil : try checkQuietHours(start: s.quietStart, end: s.quietEnd)
            try await session.call { try $0.setQuietHours(quiet: quiet) }
            state.update { $0.quietSaved = true; $0.error = nil }
        } catch {
            state.update { $0.error = .of(error) }
        }
    }

    /// Ask first: count what has not reached the server.
    public func askForget() async {
        let counts = try? await session.call { store -> (UInt64, UInt32) in
            let q = try store.uploadQueueStatus()
            return (try store.pendingOperations(), q.waiting + q.uploading + q.failed)
        }
        state.update {
            $0.confirmingForget = true
            $0.unsyncedOperations = counts?.0 ?? 0
            $0.unsyncedPhotos = counts?.1 ?? 0
        }
    }

    public func cancelForget() { state.update { $0.confirmingForget = false } }

    /// Wipe the phone's store and credential; the app goes back to Enrol.
    public func forget() async {
        do {
            try await session.call { try $0.forgetThisPhone() }
            state.update { $0.confirmingForget = false; $0.forgotten = true }
        } catch {
            state.update { $0.confirmingForget = false; $0.error = .of(error) }
        }
    }
}
