// 户 Household: members with numbers masked by the core; a whole number
// only after a reason, which the core records; the visits so far.

import SwiftUI

import GridworkCore
import GridworkScreens

struct HouseholdView: View {
    let app: AppModel
    let model: HouseholdModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            List {
                if let detail = v.detail {
                    Section {
                        Text(detail.household.address)
                        Button(s.visit) { Task { await app.openVisit(v.code) } }
                    }
                    Section(s.members) {
                        ForEach(detail.members, id: \.id) { m in
                            VStack(alignment: .leading) {
                                Text("\(m.name)（\(m.relation)）")
                                if let phone = m.phoneMasked {
                                    number(v.shown(m.id, .phone) ?? phone, memberId: m.id, field: .phone)
                                }
                                if let id = m.idNumberMasked {
                                    number(v.shown(m.id, .idNumber) ?? id, memberId: m.id, field: .idNumber)
                                }
                            }
                        }
                    }
                    Section(s.recentVisits) {
                        ForEach(detail.recentVisits, id: \.visitId) { visit in
                            Text("\(TimeText.short(visit.at)) \(visit.workerName)")
                        }
                    }
                }
                ErrorLine(message: v.error)
            }
            .navigationTitle(v.detail?.household.name ?? "")
            .sheet(isPresented: Binding(get: { v.dialog != nil }, set: { if !$0 { model.cancelReveal() } })) {
                if let dialog = v.dialog { revealForm(dialog) }
            }
        }
    }

    private func number(_ text: String, memberId: String, field: PiiField) -> some View {
        HStack {
            Text(text).font(.body.monospaced())
            Spacer()
            Button(s.reveal) { model.askReveal(memberId: memberId, field: field) }
                .accessibilityLabel("\(s.reveal) \(text)")
        }
    }

    private func revealForm(_ dialog: RevealDialog) -> some View {
        Form {
            Text(dialog.memberName)
            TextField(s.revealReason, text: Binding(get: { dialog.reason }, set: model.setReason))
                .accessibilityLabel(s.revealReason)
            ErrorLine(message: dialog.error)
            Button(s.confirm) { Task { await model.confirmReveal() } }.disabled(dialog.busy)
            Button(s.cancel, role: .cancel) { model.cancelReveal() }
        }
    }
}
