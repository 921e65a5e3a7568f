// 今日 Today: one core call draws the screen (my grids and what is due,
// unfinished visits, my open cases by countdown, what waits to sync);
// sync and the patrol button call the core and draw again.

import Foundation

import GridworkCore

public enum TodayState: Equatable, Sendable {
    case loading
    case ready(TodayReady)
    case failed(Message)
}

public struct TodayReady: Equatable, Sendable {
    public var userName: String
    public var today: TodayScreen
    public var syncing = false
    /// Why the last sync or patrol action failed; work stays saved on the phone.
    public var message: Message?
}

@MainActor
public final class TodayModel {
    public let state = StateHolder(TodayState.loading)
    private let session: AppSession

    public init(session: AppSession) { self.session = session }

    public var ready: TodayReady? {
        if case let .ready(r) = state.value { return r }
        return nil
    }

    /// Draw the screen again from the store.
    public func refresh() async { await load(message: nil) }

    /// Operations first (the photos' records travel with them), then the
    /// photos the network policy lets go now, through the platform's
    /// transfer when there is one (the core's own uploader otherwise).
    public func sync() async {
        guard var r = ready, !r.syncing else { return }
        r.syncing = true
        r.message = nil
        state.set(.ready(r))
        var failure: Message?
        do {
            _ = try await session.store.sync(listener: nil)
            try await UploadRunner(session: session).run()
        } catch {
            failure = .of(error)
        }
        await load(message: failure)
    }

    /// Start a patrol over `gridCode`, or end the one under way.
    public func togglePatrol(gridCode: String) async {
        guard let r = ready else { return }
        var failure: Message?
        do {
            if let open = r.today.openPatrol {
                _ = try await session.call { try $0.endPatrol(patrolId: open.id) }
            } else {
                _ = try await session.call { try $0.startPatrol(gridCode: gridCode, fix: nil) }
            }
        } catch {
            failure = .of(error)
        }
        await load(message: failure)
    }

    private func load(message: Message?) async {
        let day = session.today()
        do {
            let (name, today) = try await session.call { store -> (String, TodayScreen) in
                guard let id = store.signedInUser() else {
                    throw GridworkError.NotPermitted(reason: "未登录 / not signed in")
                }
                return (try store.signIn(userId: id).name, try store.today(day: day))
            }
            state.set(.ready(TodayReady(userName: name, today: today, message: message)))
        } catch {
            state.set(.failed(.of(error)))
        }
    }
}
