// 激活 Enrol: server address and activation code (typed or scanned) → the
// core's activate → the first pull with progress. The core checks the code
// and reads the QR; this keeps the form and turns answers into a state.

import Foundation

import GridworkCore

/// Which input an error belongs to, for highlighting it.
public enum EnrolField: Sendable, Equatable {
    case server
    case code
}

/// Where enrolment stands.
public enum EnrolStep: Equatable, Sendable {
    /// Filling in the form (again, after an error).
    case form
    /// Exchanging the code for this phone's credential.
    case activating
    /// The first pull: records and bytes so far (nil before the first page).
    case pulling(User, SyncProgress?)
    /// Enrolled and synced: the app moves on to Today.
    case done(User)
}

public struct EnrolState: Equatable, Sendable {
    public var serverUrl: String
    public var code = ""
    public var step = EnrolStep.form
    public var error: Message?
    public var errorField: EnrolField?
}

@MainActor
public final class EnrolModel {
    public let state: StateHolder<EnrolState>
    private let session: AppSession

    public init(session: AppSession, serverUrl: String = "") {
        self.session = session
        state = StateHolder(EnrolState(serverUrl: serverUrl))
    }

    public func setServerUrl(_ value: String) {
        state.update {
            $0.serverUrl = value.trimmingCharacters(in: .whitespacesAndNewlines)
            $0.error = nil
            $0.errorField = nil
        }
    }

    public func setCode(_ value: String) {
        state.update {
            $0.code = value.uppercased()
            $0.error = nil
            $0.errorField = nil
        }
    }

    /// A scanned QR code: the core reads it and fills in the server and the
    /// code; anything else is shown as the core's reason, nothing changed.
    /// The person still taps 激活: a stray scan never enrols.
    public func scanned(_ text: String) {
        do {
            let link = try parseActivationQr(text: text)
            if let server = link.serverUrl { setServerUrl(server) }
            setCode(link.code)
        } catch {
            fail(.of(error), .code)
        }
    }

    /// Enrol with what the form holds. Returns when enrolment ended (done or refused).
    public func enrol() async {
        let s = state.value
        guard s.step == .form else { return }
        if s.serverUrl.isEmpty { return fail(.app(.missingServer), .server) }
        if s.code.isEmpty { return fail(.app(.missingCode), .code) }
        state.update {
            $0.step = .activating
            $0.error = nil
            $0.errorField = nil
        }
        let server = s.serverUrl.hasSuffix("/") ? String(s.serverUrl.dropLast()) : s.serverUrl
        let user: User
        do {
            user = try await session.store.activate(serverUrl: server, code: s.code, deviceName: session.deviceName)
            _ = try await session.call { try $0.signIn(userId: user.id) }
        } catch {
            return fail(.of(error), Self.field(of: error))
        }
        await pull(user)
    }

    /// The first pull again, after it failed (the phone stays enrolled).
    public func retryPull() async {
        guard case let .pulling(user, _) = state.value.step, state.value.error != nil else { return }
        await pull(user)
    }

    private func pull(_ user: User) async {
        state.update {
            $0.step = .pulling(user, nil)
            $0.error = nil
        }
        let listener = ProgressRelay { [weak self] progress in
            Task { @MainActor in
                guard let self, case .pulling = self.state.value.step else { return }
                self.state.update { $0.step = .pulling(user, progress) }
            }
        }
        do {
            _ = try await session.store.sync(listener: listener)
            state.update { $0.step = .done(user) }
        } catch {
            state.update { $0.error = .of(error) }
        }
    }

    private func fail(_ message: Message, _ field: EnrolField?) {
        state.update {
            $0.step = .form
            $0.error = message
            $0.errorField = field
        }
    }

    private static func field(of error: Error) -> EnrolField? {
        switch error {
        case GridworkError.Network: return .server
        case let GridworkError.Invalid(field, _): return field.contains("url") ? .server : .code
        default: return nil
        }
    }
}

/// The core's sync progress, handed to a closure (called on the core's thread).
final class ProgressRelay: SyncListener, @unchecked Sendable {
    private let relay: @Sendable (SyncProgress) -> Void
    init(_ relay: @escaping @Sendable (SyncProgress) -> Void) { self.relay = relay }
    func onProgress(progress: SyncProgress) { relay(progress) }
}
