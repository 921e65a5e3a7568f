// 我的 Me: who this phone belongs to, language, quiet hours (checked by
// the core), and sign out and forget this phone after a warning that
// counts what has not reached the server.

import SwiftUI

import GridworkCore
import GridworkScreens

struct MeView: View {
    let app: AppModel
    let model: MeModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            Form {
                Section {
                    Text(v.user?.name ?? "")
                    Text(v.server ?? "")
                }
                Section(s.languageLabel) {
                    Picker(s.languageLabel, selection: Binding(get: { s.language }, set: app.setLanguage)) {
                        Text("中文").tag(Language.zh)
                        Text("English").tag(Language.en)
                    }
                    .pickerStyle(.segmented)
                }
                Section(s.quietHours) {
                    TextField("22:00", text: Binding(get: { v.quietStart }, set: model.setQuietStart))
                        .accessibilityLabel(s.quietHours)
                    TextField("07:00", text: Binding(get: { v.quietEnd }, set: model.setQuietEnd))
                        .accessibilityLabel(s.quietHours)
                    ErrorLine(message: v.error)
                    Button(v.quietSaved ? "✓ \(s.save)" : s.save) { Task { await model.saveQuietHours() } }
                }
                Section {
                    Button(s.forgetPhone, role: .destructive) { Task { await model.askForget() } }
                    Text(s.version(v.version)).font(.caption)
                }
            }
            .navigationTitle(s.me)
            .alert(s.forgetPhone, isPresented: Binding(get: { v.confirmingForget }, set: { if !$0 { model.cancelForget() } })) {
                Button(s.forgetPhone, role: .destructive) { Task { await app.forget(model) } }
                Button(s.cancel, role: .cancel) { model.cancelForget() }
            } message: {
                Text(s.forgetWarning(v.unsyncedOperations, v.unsyncedPhotos))
            }
        }
    }
}
