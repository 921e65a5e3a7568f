// 同步 Sync and photos: what waits, each photo's state and the core's
// reason, retry, the network policy, conflicts with what won and why, and
// a warning when storage runs low.

import SwiftUI

import GridworkCore
import GridworkScreens

struct SyncView: View {
    let model: SyncModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            List {
                Section {
                    if v.storageLow { ErrorLine(message: .app(.lowStorage(freeMB: Int((v.freeBytes ?? 0) / 1_048_576)))) }
                    Text(v.pendingOperations == 0 ? s.allSynced : s.pendingOperations(v.pendingOperations))
                    ErrorLine(message: v.message)
                    Button(v.syncing ? s.syncing : s.syncNow) { Task { await model.syncNow() } }.disabled(v.syncing)
                }
                if let queue = v.queue {
                    Section(s.photoQueue) {
                        Picker(s.photoQueue, selection: Binding(get: { queue.policy }, set: { p in Task { await model.setPolicy(p) } })) {
                            Text(s.wifiOnly).tag(NetworkPolicy.unmeteredOnly)
                            Text(s.anyNetwork).tag(NetworkPolicy.anyNetwork)
                        }
                        .pickerStyle(.segmented)
                        ForEach(queue.items, id: \.evidenceId) { item in
                            VStack(alignment: .leading) {
                                Text(ByteCountFormatter.string(fromByteCount: Int64(item.size), countStyle: .file))
                                Text(s.core(uploadBlockerLabel(blocker: item.blockedBy))).font(.subheadline)
                                if let reason = item.reason { Text(s.core(reason)).font(.caption).foregroundColor(.orange) }
                            }
                        }
                        if queue.items.contains(where: \.retryable) {
                            Button(s.retryNow) { Task { await model.retryUploads() } }
                        }
                    }
                }
                if !v.conflicts.isEmpty {
                    Section(s.conflicts) {
                        ForEach(v.conflicts, id: \.id) { c in
                            VStack(alignment: .leading) {
                                Text(s.core(operationLabel(kind: c.opKind)))
                                Text(s.core(c.reason)).font(.subheadline)
                            }
                            .onAppear { if !c.seen { Task { await model.markSeen(c.id) } } }
                        }
                    }
                }
            }
            .navigationTitle(s.syncDetails)
        }
    }
}
