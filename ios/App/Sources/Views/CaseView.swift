// 事件 detail: the state and countdown, the send-back reason, the
// hash-chain verdict, the history, and exactly the actions the core
// allows as buttons; each opens a form with the fields the core asks for.

import SwiftUI

import GridworkCore
import GridworkScreens

struct CaseView: View {
    let model: CaseModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            List {
                if let d = v.detail {
                    Section {
                        Text(d.case.title).font(.headline)
                        Text("\(s.core(caseStateLabel(state: d.case.state))) · \(s.core(d.countdownLabel))")
                        if let reason = d.case.lastSendBackReason { Text(s.sendBackReason(reason)).foregroundColor(.orange) }
                        Text(d.chainBreak == nil ? s.chainIntact : s.chainBroken)
                            .foregroundColor(d.chainBreak == nil ? .green : .red)
                    }
                    Section {
                        ForEach(d.allowedActions, id: \.self) { action in
                            Button(s.core(actionLabel(action: action))) { Task { await model.open(action) } }
                        }
                        if let done = v.done { Text("✓ \(s.core(actionLabel(action: done)))") }
                    }
                    Section(s.history) {
                        ForEach(d.timeline, id: \.seq) { entry in
                            VStack(alignment: .leading) {
                                Text(entry.summaryZh)
                                Text("\(entry.actorName) · \(TimeText.short(entry.at))").font(.caption)
                            }
                        }
                    }
                }
                ErrorLine(message: v.error)
            }
            .navigationTitle(s.cases)
            .sheet(isPresented: Binding(get: { v.form != nil }, set: { if !$0 { model.cancel() } })) {
                if let form = v.form { ActionFormView(form: form, handlers: v.handlers, model: model) }
            }
        }
    }
}

/// The fields an action asks for, in the core's order.
private struct ActionFormView: View {
    let form: ActionForm
    let handlers: [User]
    let model: CaseModel
    @Environment(\.strings) var s

    var body: some View {
        Form {
            Section(s.core(actionLabel(action: form.kind))) {
                ForEach(form.inputs, id: \.self) { input in
                    switch input {
                    case .note, .reason, .message:
                        TextField(s.notes, text: Binding(get: { form.text }, set: model.setText))
                            .accessibilityLabel(s.notes)
                    case .days:
                        TextField(s.days, text: Binding(get: { form.days }, set: model.setDays))
                            .keyboardType(.numberPad)
                            .accessibilityLabel(s.days)
                    case .handler:
                        Picker(s.handler, selection: Binding(get: { form.handlerId ?? "" }, set: model.setHandler)) {
                            ForEach(handlers, id: \.id) { Text($0.name).tag($0.id) }
                        }
                    case .difficulty:
                        Picker(s.difficulty, selection: Binding(get: { form.difficulty }, set: model.setDifficulty)) {
                            Text(s.difficultyNormal).tag(Difficulty.normal)
                            Text(s.difficultyHard).tag(Difficulty.hard)
                        }
                    case .photos:
                        HStack {
                            Text(s.photosTaken(form.photos.count))
                            Spacer()
                            Button(s.takePhoto) { Task { await model.takePhoto() } }
                        }
                    }
                }
            }
            ErrorLine(message: form.error)
            Button(s.submit) { Task { await model.submit() } }.disabled(form.busy)
            Button(s.cancel, role: .cancel) { model.cancel() }
        }
    }
}
