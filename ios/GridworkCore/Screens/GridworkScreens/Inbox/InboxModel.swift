// 消息 Inbox: escalations and notices the server sent this person, newest
// first, unread marked. Opening one marks it read (the mark syncs) and
// opens its case, as a notification tap does.

import Foundation

import GridworkCore

public struct InboxState: Equatable, Sendable {
    public var items: [InboxEntry] = []
    public var unread: UInt32 = 0
    public var loading = true
    public var error: Message?
}

@MainActor
public final class InboxModel {
    nonisolated public static let page: UInt32 = 100
    public let state = StateHolder(InboxState())
    private let session: AppSession

    public init(session: AppSession) { self.session = session }

    public func refresh() async {
        do {
            let page = try await session.call { try $0.inbox(unreadOnly: false, offset: 0, limit: Self.page) }
            state.update { $0.items = page.items; $0.unread = page.unread; $0.loading = false; $0.error = nil }
        } catch {
            state.update { $0.loading = false; $0.error = .of(error) }
        }
    }

    /// Mark `itemId` read; its case, for the caller to open (nil on failure, shown as the error).
    public func open(_ itemId: String) async -> String? {
        do {
            let entry = try await session.call { try $0.markInboxRead(itemId: itemId) }
            await refresh()
            return entry.caseId
        } catch {
            state.update { $0.error = .of(error) }
            return nil
        }
    }
}
