// 事件 Cases: the core's list for a scope, open only or all.

import SwiftUI

import GridworkCore
import GridworkScreens

struct CasesView: View {
    let app: AppModel
    let model: CasesModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            List {
                Toggle(s.openOnly, isOn: Binding(get: { v.openOnly }, set: { on in Task { await model.setOpenOnly(on) } }))
                ForEach(v.rows, id: \.id) { row in
                    Button { Task { await app.openCase(row.id) } } label: {
                        VStack(alignment: .leading) {
                            Text(row.title)
                            Text("\(s.core(caseStateLabel(state: row.state))) · \(s.core(row.countdownLabel))")
                                .font(.subheadline)
                                .foregroundColor((row.countdownSecs ?? 0) < 0 ? .red : .primary)
                        }
                    }
                }
                if v.loading { ProgressView() }
                ErrorLine(message: v.error)
            }
            .refreshable { await model.refresh() }
            .navigationTitle(s.cases)
        }
    }
}
