// The app's top: the screen on top of the model's back stack, in the
// chosen language. Back is the model's; the system back gesture and the
// toolbar's back button both call it.

import SwiftUI

import GridworkScreens

struct RootView: View {
    let app: AppModel
    @StateObject private var stack: Observed<[Destination]>
    @StateObject private var language: Observed<Language>

    init(app: AppModel) {
        self.app = app
        _stack = StateObject(wrappedValue: Observed(app.stack))
        _language = StateObject(wrappedValue: Observed(app.language))
    }

    var body: some View {
        let s = Strings(language.value)
        NavigationView {
            screen(stack.value.last ?? .starting, s)
                .toolbar {
                    if stack.value.count > 1 {
                        ToolbarItem(placement: .navigationBarLeading) {
                            Button(s.back) { app.back() }
                                .accessibilityLabel(s.back)
                        }
                    }
                }
                .navigationBarTitleDisplayMode(.inline)
        }
        .navigationViewStyle(.stack)
        .environment(\.strings, s)
        .task { await app.start() }
    }

    @ViewBuilder
    private func screen(_ destination: Destination, _ s: Strings) -> some View {
        switch destination {
        case .starting: ProgressView()
        case .enrol: EnrolView(model: app.enrol)
        case .today: TodayView(app: app, model: app.today)
        case let .grid(m): GridScreenView(app: app, model: m)
        case let .household(m): HouseholdView(app: app, model: m)
        case let .visit(m): VisitView(app: app, model: m)
        case let .category(m): CategoryView(app: app, model: m)
        case let .report(m): ReportView(app: app, model: m)
        case let .cases(m): CasesView(app: app, model: m)
        case let .caseDetail(m): CaseView(model: m)
        case let .inbox(m): InboxView(app: app, model: m)
        case let .sync(m): SyncView(model: m)
        case let .me(m): MeView(app: app, model: m)
        }
    }
}

private struct StringsKey: EnvironmentKey {
    static let defaultValue = Strings(.zh)
}

extension EnvironmentValues {
    /// The labels of the language chosen in 我的.
    var strings: Strings {
        get { self[StringsKey.self] }
        set { self[StringsKey.self] = newValue }
    }
}

/// A message from a model, in red, read out when it appears.
struct ErrorLine: View {
    @Environment(\.strings) private var s
    let message: Message?

    var body: some View {
        if let message {
            Text(message.text(s.language))
                .foregroundColor(.red)
                .accessibilityAddTraits(.updatesFrequently)
        }
    }
}
