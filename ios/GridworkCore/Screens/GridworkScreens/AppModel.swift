// The app's top level: on start, an enrolled phone signs its owner in and
// opens Today; otherwise Enrol. A back stack of destinations, each screen
// below the top level carrying its model.

import Foundation

import GridworkCore

/// A place in the app.
public enum Destination {
    /// Deciding (reading the store on start).
    case starting
    case enrol
    case today
    case grid(GridModel)
    case household(HouseholdModel)
    case visit(VisitModel)
    /// What a case without a visit is about, before the report form.
    case category(CategoryModel)
    case report(ReportModel)
    case cases(CasesModel)
    case caseDetail(CaseModel)
    case inbox(InboxModel)
    case sync(SyncModel)
    case me(MeModel)

    /// A name for logs, tests and accessibility identifiers.
    public var name: String {
        switch self {
        case .starting: return "starting"
        case .enrol: return "enrol"
        case .today: return "today"
        case .grid: return "grid"
        case .household: return "household"
        case .visit: return "visit"
        case .category: return "category"
        case .report: return "report"
        case .cases: return "cases"
        case .caseDetail: return "case"
        case .inbox: return "inbox"
        case .sync: return "sync"
        case .me: return "me"
        }
    }
}

@MainActor
public final class AppModel {
    public let session: AppSession
    /// The back stack; the screen shown is the last.
    public let stack = StateHolder<[Destination]>([.starting])
    public let language: StateHolder<Language>
    public let enrol: EnrolModel
    public let today: TodayModel
    private var enrolWatch: ObservationToken?

    public init(session: AppSession, language: Language = .zh, defaultServer: String = "") {
        self.session = session
        self.language = StateHolder(language)
        enrol = EnrolModel(session: session, serverUrl: defaultServer)
        today = TodayModel(session: session)
    }

    public var top: Destination { stack.value.last ?? .starting }

    /// The grid's time zone, for the times the screens show.
    public var timeZone: TimeZone { session.timeZone }

    /// Decide the first screen; an enrolled phone's owner is signed in.
    public func start() async {
        enrolWatch = enrol.state.observe { [weak self] s in
            guard let self, case .done = s.step, case .enrol = self.top else { return }
            Task { await self.enrolled() }
        }
        let owner = try? await session.call { store -> User? in
            guard try store.hasDeviceCredential(), let owner = try store.deviceOwner() else { return nil }
            _ = try store.signIn(userId: owner.id)
            return owner
        }
        if owner != nil {
            await enrolled()
        } else {
            root(.enrol)
        }
    }

    private func enrolled() async {
        root(.today)
        await today.refresh()
        await session.registerForPush()
    }

    public func setLanguage(_ language: Language) { self.language.set(language) }

    public func openGrid(_ code: String) async {
        let model = GridModel(session: session, gridCode: code)
        push(.grid(model))
        await model.load()
    }

    public func openHousehold(_ code: String) async {
        let model = HouseholdModel(session: session, code: code)
        push(.household(model))
        await model.load()
    }

    public func openVisit(_ householdCode: String) async {
        let model = VisitModel(session: session, householdCode: householdCode)
        push(.visit(model))
        await model.load()
    }

    public func openReport(_ draft: CaseDraft) async {
        push(.report(ReportModel(session: session, draft: draft)))
    }

    /// A case seen on patrol, not found in a visit: pick its category first.
    public func openNewCase(gridCode: String) async {
        let model = CategoryModel(session: session, gridCode: gridCode)
        push(.category(model))
        await model.load()
    }

    /// The category chosen: the report form replaces the picker (back returns to the grid).
    public func choose(_ category: CaseCategory, in picker: CategoryModel) async {
        if case .category = top { _ = back() }
        await openReport(picker.draft(for: category))
    }

    public func openCases() async {
        let model = CasesModel(session: session)
        push(.cases(model))
        await model.load()
    }

    public func openCase(_ caseId: String) async {
        let model = CaseModel(session: session, caseId: caseId)
        push(.caseDetail(model))
        await model.load()
    }

    public func openInbox() async {
        let model = InboxModel(session: session)
        push(.inbox(model))
        await model.refresh()
    }

    public func openSync() async {
        let model = SyncModel(session: session)
        push(.sync(model))
        await model.refresh()
    }

    public func openMe() async {
        let model = MeModel(session: session)
        push(.me(model))
        await model.load()
    }

    /// Forget this phone from Me, then back to Enrol.
    public func forget(_ me: MeModel) async {
        await me.forget()
        if me.state.value.forgotten { root(.enrol) }
    }

    /// A notification was tapped: its case opens over Today.
    public func openFromNotification(caseId: String) async {
        root(.today)
        await today.refresh()
        await openCase(caseId)
    }

    /// Back one screen; false at the top level.
    @discardableResult
    public func back() -> Bool {
        var s = stack.value
        guard s.count > 1 else { return false }
        // A visit left unsaved keeps its last answers.
        if case let .visit(visit) = s.removeLast() { Task { await visit.keepDraftNow() } }
        stack.set(s)
        // What the popped screen changed shows on the one below.
        switch s.last {
        case .today: Task { await today.refresh() }
        case let .cases(m): Task { await m.refresh() }
        case let .inbox(m): Task { await m.refresh() }
        case let .caseDetail(m): Task { await m.load() }
        default: break
        }
        return true
    }

    private func root(_ destination: Destination) { stack.set([destination]) }

    private func push(_ destination: Destination) { stack.set(stack.value + [destination]) }
}
