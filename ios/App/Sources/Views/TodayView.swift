// 今日 Today: what is due, unfinished visits, my open cases by countdown,
// what waits to sync. No rankings, no check-in, no online time.

import SwiftUI

import GridworkCore
import GridworkScreens

struct TodayView: View {
    let app: AppModel
    let model: TodayModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { state in
            switch state {
            case .loading:
                ProgressView()
            case let .failed(message):
                VStack(spacing: 16) {
                    ErrorLine(message: message)
                    Button(s.retry) { Task { await model.refresh() } }
                }
            case let .ready(r):
                ready(r)
            }
        }
    }

    private func ready(_ r: TodayReady) -> some View {
        let t = r.today
        return List {
            Section {
                Text(s.todaySoFar(visits: t.day.visits, hazards: t.day.hazardsFound, cases: t.day.casesReported))
                if t.pendingOperations == 0 && t.photosWaiting == 0 {
                    Text(s.allSynced).bold()
                } else {
                    if t.pendingOperations > 0 { Text(s.pendingOperations(t.pendingOperations)) }
                    if t.photosWaiting > 0 { Text(s.photosWaiting(t.photosWaiting)) }
                }
                Text(s.lastSync(t.lastSyncedAt.map { TimeText.short($0, timeZone: app.timeZone) })).font(.caption)
                ErrorLine(message: r.message)
                Button(r.syncing ? s.syncing : s.syncNow) { Task { await model.sync() } }
                    .disabled(r.syncing)
                Button(s.syncDetails) { Task { await app.openSync() } }
                Button(t.unreadMessages > 0 ? s.unread(t.unreadMessages) : s.inbox) { Task { await app.openInbox() } }
            } header: {
                Text(s.greeting(r.userName))
            }
            Section(s.dueVisits(t.dueVisits)) { EmptyView() }
            if !t.unfinishedVisits.isEmpty {
                Section(s.unfinishedVisits) {
                    ForEach(t.unfinishedVisits, id: \.householdCode) { u in
                        Button { Task { await app.openVisit(u.householdCode) } } label: {
                            VStack(alignment: .leading) {
                                Text(s.visitTitle(u.householdName))
                                Text(s.unfinishedLine(u.answered, u.photos)).font(.subheadline)
                            }
                        }
                    }
                }
            }
            Section(s.myGrids) {
                ForEach(t.grids, id: \.code) { grid in
                    Button { Task { await app.openGrid(grid.code) } } label: {
                        VStack(alignment: .leading) {
                            Text("\(grid.name)（\(grid.villageName)）")
                            Text(s.dueVisits(grid.dueVisits)).font(.subheadline)
                        }
                    }
                    if t.patrols && (t.openPatrol == nil || t.openPatrol?.gridCode == grid.code) {
                        Button(t.openPatrol == nil ? s.startPatrol : s.endPatrol) {
                            Task { await model.togglePatrol(gridCode: grid.code) }
                        }
                    }
                }
            }
            Section(s.myOpenCases) {
                if t.openCases.isEmpty { Text(s.noOpenCases) }
                ForEach(t.openCases, id: \.id) { c in
                    Button { Task { await app.openCase(c.id) } } label: {
                        VStack(alignment: .leading) {
                            Text(c.title)
                            Text(s.core(c.countdownLabel))
                                .font(.subheadline)
                                .foregroundColor((c.countdownSecs ?? 0) < 0 ? .red : .primary)
                        }
                    }
                }
                Button(s.allCases) { Task { await app.openCases() } }
            }
        }
        .refreshable { await model.sync() }
        .navigationTitle(s.greeting(r.userName))
        .toolbar {
            ToolbarItem(placement: .navigationBarTrailing) {
                Button(s.me) { Task { await app.openMe() } }.accessibilityLabel(s.me)
            }
        }
    }
}
