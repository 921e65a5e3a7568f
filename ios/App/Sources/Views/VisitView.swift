// 走访 Visit: the core's checklist, every answer type, photos per item, the
// location fix with its accuracy and mock flag (never blocking); once
// saved, the verdict and the cases the core pre-filled.

import SwiftUI

import GridworkCore
import GridworkScreens

struct VisitView: View {
    let app: AppModel
    let model: VisitModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            Form {
                if let saved = v.saved {
                    savedSection(saved)
                } else {
                    if v.restored {
                        Section {
                            Text(s.restored(v.answers.count, v.photos.count))
                            Button(s.startOver) { Task { await model.startOver() } }
                        }
                    }
                    Section {
                        if v.locating { Text(s.locating) }
                        else if let fix = v.fix { Text(s.fix(fix.accuracyM, mock: fix.mock)).foregroundColor(fix.mock ? .orange : .primary) }
                        else { Text(s.noFix) }
                    }
                    if let template = v.template {
                        ForEach(template.sections, id: \.priority) { section in
                            Section(s.core(priorityLabel(priority: section.priority))) {
                                ForEach(section.items, id: \.code) { item in
                                    ItemRow(item: item, state: v, model: model)
                                }
                            }
                        }
                        Section {
                            TextField(s.notes, text: Binding(get: { v.notes }, set: model.setNotes))
                                .accessibilityLabel(s.notes)
                        }
                    }
                    Section {
                        ErrorLine(message: v.error)
                        Button(v.saving ? s.saving : s.saveVisit) { Task { await model.save() } }
                            .disabled(v.template == nil || v.saving)
                    }
                }
            }
            .navigationTitle(s.visitTitle(v.householdName))
        }
    }

    private func savedSection(_ saved: VisitOutcome) -> some View {
        Section(s.savedVisit) {
            if let verdict = saved.visit.verdict {
                Text(s.core(geofenceLabel(status: verdict.status)))
            }
            if !saved.drafts.isEmpty { Text(s.prefilledCases) }
            ForEach(Array(saved.drafts.enumerated()), id: \.offset) { _, draft in
                Button("\(s.reportCase)：\(draft.title)") { Task { await app.openReport(draft) } }
            }
            Button(s.done) { app.back() }
        }
    }
}

/// One checklist item, drawn by its kind; the core checks the answer.
private struct ItemRow: View {
    let item: Item
    let state: VisitState
    let model: VisitModel
    @Environment(\.strings) var s

    var body: some View {
        VStack(alignment: .leading) {
            Text(s.language == .zh ? item.labelZh : item.labelEn)
                .foregroundColor(state.errorItem == item.code ? .red : .primary)
            switch item.kind {
            case .yesNo:
                Picker(item.labelZh, selection: Binding(get: { yesNo }, set: { model.answer(item.code, $0.map { AnswerValue.yesNo($0) }) })) {
                    Text(s.yes).tag(Bool?.some(true))
                    Text(s.no).tag(Bool?.some(false))
                }
                .pickerStyle(.segmented)
            case let .singleChoice(options):
                ForEach(options, id: \.code) { option in
                    Button(s.language == .zh ? option.labelZh : option.labelEn) { model.answer(item.code, .choice(option.code)) }
                        .foregroundColor(state.answers[item.code] == .choice(option.code) ? .accentColor : .primary)
                }
            case let .multiChoice(options):
                ForEach(options, id: \.code) { option in
                    Button(s.language == .zh ? option.labelZh : option.labelEn) { model.toggleChoice(item.code, option: option.code) }
                }
            case .number:
                TextField(item.labelZh, text: Binding(get: { state.numberText[item.code] ?? "" }, set: { model.answerNumber(item.code, text: $0) }))
                    .keyboardType(.decimalPad)
            case .text:
                TextField(item.labelZh, text: Binding(get: { if case let .text(t) = state.answers[item.code] { return t } else { return "" } },
                                                      set: { model.answer(item.code, $0.isEmpty ? nil : .text($0)) }))
            case .photo:
                HStack {
                    Text(s.photosTaken(state.photos(for: item.code).count))
                    Spacer()
                    Button(s.clear) { model.clearPhotos(for: item.code) }
                    Button(s.takePhoto) { Task { await model.takePhoto(for: item.code) } }
                }
            }
        }
        .accessibilityElement(children: .contain)
        .accessibilityLabel(s.language == .zh ? item.labelZh : item.labelEn)
    }

    private var yesNo: Bool? {
        if case let .yesNo(b) = state.answers[item.code] { return b }
        return nil
    }
}
