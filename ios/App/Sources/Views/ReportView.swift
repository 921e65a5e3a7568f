// 上报 Report a case (pre-filled from a hazard, or from a category), with
// photos; 就地解决 with after-photos and a note.

import SwiftUI

import GridworkCore
import GridworkScreens

struct ReportView: View {
    let app: AppModel
    let model: ReportModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            Form {
                if let reported = v.reported {
                    Section(s.reported) {
                        Text(reported.case.title)
                        Text(s.core(caseStateLabel(state: reported.case.state)))
                        Button(s.done) { app.back() }
                    }
                } else {
                    Section(s.core(priorityLabel(priority: v.draft.category.priority))) {
                        TextField(s.title, text: Binding(get: { v.title }, set: model.setTitle))
                            .accessibilityLabel(s.title)
                        TextField(s.description, text: Binding(get: { v.description }, set: model.setDescription))
                            .accessibilityLabel(s.description)
                        Picker(s.core(severityLabel(severity: v.severity)), selection: Binding(get: { v.severity }, set: model.setSeverity)) {
                            ForEach([Severity.normal, .urgent, .critical], id: \.self) { severity in
                                Text(s.core(severityLabel(severity: severity))).tag(severity)
                            }
                        }
                        HStack {
                            Text(s.photosTaken(v.photos.count))
                            Spacer()
                            Button(s.takePhoto) { Task { await model.takePhoto(after: false) } }
                        }
                    }
                    Section {
                        Toggle(s.resolveOnSpot, isOn: Binding(get: { v.resolveOnSpot }, set: model.setResolveOnSpot))
                        if v.resolveOnSpot {
                            TextField(s.notes, text: Binding(get: { v.onSpotNote }, set: model.setOnSpotNote))
                                .accessibilityLabel(s.notes)
                            HStack {
                                Text("\(s.afterPhotos) \(v.afterPhotos.count)")
                                Spacer()
                                Button(s.takePhoto) { Task { await model.takePhoto(after: true) } }
                            }
                        }
                    }
                    Section {
                        ErrorLine(message: v.error)
                        Button(v.saving ? s.saving : s.submitReport) { Task { await model.report() } }
                            .disabled(v.saving)
                    }
                }
            }
            .navigationTitle(s.reportCase)
        }
    }
}

/// 上报事件 without a visit: the core's categories, priority first.
struct CategoryView: View {
    let app: AppModel
    let model: CategoryModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            List {
                ForEach(Array(v.byPriority.enumerated()), id: \.offset) { _, group in
                    Section(s.core(priorityLabel(priority: group.priority))) {
                        ForEach(group.categories, id: \.subcategory) { category in
                            Button(s.language == .zh ? category.labelZh : category.labelEn) {
                                Task { await app.choose(category, in: model) }
                            }
                        }
                    }
                }
                if v.loading { ProgressView() }
                ErrorLine(message: v.error)
            }
            .navigationTitle(s.reportCase)
        }
    }
}
