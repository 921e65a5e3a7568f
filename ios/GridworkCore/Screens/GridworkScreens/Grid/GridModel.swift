// 网格 Grid: the households and places of one grid, searched and filtered
// by the core and loaded a page at a time as the list scrolls (smooth with
// thousands); the map of the boundary and places, in the tiles' datum.

import Foundation

import GridworkCore

public enum GridView: Sendable, Equatable {
    case list
    case map
}

public struct GridState: Equatable, Sendable {
    public var gridCode: String
    public var title = ""
    public var query = ""
    public var dueOnly = false
    /// The rows loaded so far, due first (the core's order).
    public var rows: [HouseholdRow] = []
    /// How many match the search and filter in all.
    public var total: UInt32 = 0
    public var loading = true
    public var view = GridView.list
    public var map: GridMap?
    public var error: Message?

    public var endReached: Bool { !loading && rows.count >= Int(total) }
}

@MainActor
public final class GridModel {
    nonisolated public static let pageSize: UInt32 = 50
    /// Fetch the next page when this few loaded rows are left below the screen.
    nonisolated public static let prefetch = 10
    public let state: StateHolder<GridState>
    private let session: AppSession
    /// The coordinates of the map's tile source; without tiles, WGS-84 as stored.
    private let mapSystem: CoordSystem
    private let searchDelay: Duration
    private var search: Task<Void, Never>?

    public init(session: AppSession, gridCode: String, mapSystem: CoordSystem = .wgs84, searchDelay: Duration = .milliseconds(250)) {
        self.session = session
        self.mapSystem = mapSystem
        self.searchDelay = searchDelay
        state = StateHolder(GridState(gridCode: gridCode))
    }

    public func load() async {
        let code = state.value.gridCode
        let title = (try? await session.call { try $0.myGrids().first { $0.code == code }?.name }) ?? nil
        state.update { $0.title = title ?? code }
        await page(offset: 0, replace: true)
    }

    /// Typing a name: the store is asked after a pause.
    public func setQuery(_ query: String) {
        state.update { $0.query = query }
        reload(after: searchDelay)
    }

    public func setDueOnly(_ dueOnly: Bool) {
        state.update { $0.dueOnly = dueOnly }
        reload(after: .zero)
    }

    /// The list shows rows up to `lastVisible`: near the end, the next page.
    public func scrolled(to lastVisible: Int) async {
        let s = state.value
        guard lastVisible >= s.rows.count - Self.prefetch, !s.loading, !s.endReached else { return }
        state.update { $0.loading = true }
        await page(offset: UInt32(s.rows.count), replace: false)
    }

    /// Wait for the search under way (tests and the view's refresh).
    public func settled() async { await search?.value }

    public func show(_ view: GridView) async {
        state.update { $0.view = view }
        guard view == .map, state.value.map == nil else { return }
        let (code, system) = (state.value.gridCode, mapSystem)
        do {
            let map = try await session.call { try $0.gridMap(gridCode: code, system: system) }
            state.update { $0.map = map }
        } catch {
            state.update { $0.error = .of(error) }
        }
    }

    private func reload(after delay: Duration) {
        search?.cancel()
        state.update { $0.loading = true }
        search = Task { [weak self] in
            if delay > .zero { try? await Task.sleep(for: delay) }
            guard !Task.isCancelled else { return }
            await self?.page(offset: 0, replace: true)
        }
    }

    private func page(offset: UInt32, replace: Bool) async {
        let s = state.value
        let query = s.query.trimmingCharacters(in: .whitespaces)
        let filter = HouseholdFilter(query: query.isEmpty ? nil : query, tag: nil, kind: nil, dueOnly: s.dueOnly)
        do {
            let page = try await session.call { try $0.households(gridCode: s.gridCode, filter: filter, offset: offset, limit: Self.pageSize) }
            state.update {
                $0.rows = replace ? page.rows : $0.rows + page.rows
                $0.total = page.total
                $0.loading = false
                $0.error = nil
            }
        } catch {
            state.update { $0.loading = false; $0.error = .of(error) }
        }
    }
}
