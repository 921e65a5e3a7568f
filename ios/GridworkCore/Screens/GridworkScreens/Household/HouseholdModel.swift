// 户 Household: members with ID and phone numbers masked by the core; a
// whole number only after a reason, which the core records (on the phone,
// or on the server for people whose phone holds masked copies).

import Foundation

import GridworkCore

/// The reveal dialog: whose number, which one, and the reason typed so far.
public struct RevealDialog: Equatable, Sendable {
    public var memberId: String
    public var memberName: String
    public var field: PiiField
    public var reason = ""
    public var busy = false
    public var error: Message?
}

public struct HouseholdState: Equatable, Sendable {
    public struct Revealed: Hashable, Sendable {
        public var memberId: String
        public var field: PiiField
    }

    public var code: String
    public var detail: HouseholdDetail?
    /// Whole numbers shown after a recorded reveal; gone when the screen closes.
    public var revealed: [Revealed: String] = [:]
    public var dialog: RevealDialog?
    public var error: Message?

    public func shown(_ memberId: String, _ field: PiiField) -> String? { revealed[Revealed(memberId: memberId, field: field)] }
}

@MainActor
public final class HouseholdModel {
    public let state: StateHolder<HouseholdState>
    private let session: AppSession

    public init(session: AppSession, code: String) {
        self.session = session
        state = StateHolder(HouseholdState(code: code))
    }

    public func load() async {
        let code = state.value.code
        do {
            let detail = try await session.call { try $0.householdDetail(code: code) }
            state.update { $0.detail = detail; $0.error = nil }
        } catch {
            state.update { $0.error = .of(error) }
        }
    }

    public func askReveal(memberId: String, field: PiiField) {
        let name = state.value.detail?.members.first { $0.id == memberId }?.name ?? ""
        state.update { $0.dialog = RevealDialog(memberId: memberId, memberName: name, field: field) }
    }

    public func setReason(_ reason: String) { state.update { $0.dialog?.reason = reason; $0.dialog?.error = nil } }
    public func cancelReveal() { state.update { $0.dialog = nil } }

    /// Reveal with the reason typed; the core refuses without one and records it with one.
    public func confirmReveal() async {
        guard var dialog = state.value.dialog, !dialog.busy else { return }
        let online = state.value.detail?.members.first { $0.id == dialog.memberId }?.revealOnline ?? false
        dialog.busy = true
        dialog.error = nil
        state.update { $0.dialog = dialog }
        let (id, field, reason) = (dialog.memberId, dialog.field, dialog.reason)
        do {
            let whole: String
            if online {
                whole = try await session.store.revealMemberFieldOnline(memberId: id, field: field, reason: reason)
            } else {
                whole = try await session.call { try $0.revealMemberField(memberId: id, field: field, reason: reason) }
            }
            state.update {
                $0.dialog = nil
                $0.revealed[.init(memberId: id, field: field)] = whole
            }
        } catch {
            dialog.busy = false
            dialog.error = .of(error)
            state.update { $0.dialog = dialog }
        }
    }
}
