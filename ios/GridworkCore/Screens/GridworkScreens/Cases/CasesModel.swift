// 事件 Cases: the list the core gives for a scope (mine, my jurisdiction,
// escalated to me), most urgent first, open only or all.

import Foundation

import GridworkCore

public struct CasesState: Equatable, Sendable {
    public var scope: CaseScope?
    public var openOnly = true
    public var rows: [CaseRow] = []
    public var loading = true
    public var error: Message?
}

@MainActor
public final class CasesModel {
    nonisolated public static let limit: UInt32 = 200
    public let state = StateHolder(CasesState())
    private let session: AppSession

    public init(session: AppSession) { self.session = session }

    /// Start where the person's work is (the core's choice for the role):
    /// a worker's own cases, a secretary's village, a supervisor's escalations.
    public func load() async {
        let role = try? await session.call { try $0.deviceOwner()?.role }
        let start = role.map { homeCaseScope(role: $0) } ?? .mine
        state.update { $0.scope = start }
        await refresh()
    }

    public func setScope(_ scope: CaseScope) async {
        state.update { $0.scope = scope }
        await refresh()
    }

    public func setOpenOnly(_ openOnly: Bool) async {
        state.update { $0.openOnly = openOnly }
        await refresh()
    }

    public func refresh() async {
        let s = state.value
        guard let scope = s.scope else { return }
        state.update { $0.loading = true }
        do {
            let rows = try await session.call { try $0.cases(scope: scope, openOnly: s.openOnly, offset: 0, limit: Self.limit) }
            state.update { $0.rows = rows; $0.loading = false; $0.error = nil }
        } catch {
            state.update { $0.loading = false; $0.error = .of(error) }
        }
    }
}
