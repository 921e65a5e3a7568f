// 事件 detail: timeline, photos, the hash-chain verdict, and exactly the
// actions the core allows this person now, as buttons. Taking one opens a
// form with the fields the core asks for; the core builds the action,
// decides and records it offline.

import Foundation

import GridworkCore

/// The form one action opens.
public struct ActionForm: Equatable, Sendable {
    public var kind: ActionKind
    /// The fields to show, in order (the core's list for this action).
    public var inputs: [ActionInput]
    public var text = ""
    public var days = ""
    public var handlerId: String?
    public var difficulty = Difficulty.normal
    public var photos: [TakenPhoto] = []
    public var busy = false
    public var error: Message?
}

public struct CaseScreenState: Equatable, Sendable {
    public var caseId: String
    public var detail: CaseDetail?
    public var form: ActionForm?
    /// Who a dispatch or reassignment may go to (the core's choices).
    public var handlers: [User] = []
    public var error: Message?
    /// The last action taken, for the confirmation line.
    public var done: ActionKind?
}

@MainActor
public final class CaseModel {
    public let state: StateHolder<CaseScreenState>
    private let session: AppSession

    public init(session: AppSession, caseId: String) {
        self.session = session
        state = StateHolder(CaseScreenState(caseId: caseId))
    }

    public func load() async {
        let id = state.value.caseId
        do {
            let detail = try await session.call { try $0.caseDetail(caseId: id) }
            state.update { $0.detail = detail; $0.error = nil }
        } catch {
            state.update { $0.error = .of(error) }
        }
    }

    /// Open the form for `kind` (an extension's approval starts with the days asked for).
    public func open(_ kind: ActionKind) async {
        var form = ActionForm(kind: kind, inputs: actionInputs(action: kind))
        if kind == .approveExtension, let pending = state.value.detail?.case.pendingExtension {
            form.days = String(pending.days)
        }
        state.update { $0.form = form; $0.done = nil }
        guard form.inputs.contains(.handler) else { return }
        let id = state.value.caseId
        let people = (try? await session.call { try $0.handlerChoices(caseId: id) }) ?? []
        state.update { s in
            s.handlers = people
            if s.form?.handlerId == nil { s.form?.handlerId = people.first?.id }
        }
    }

    public func cancel() { state.update { $0.form = nil } }
    public func setText(_ v: String) { state.update { $0.form?.text = v; $0.form?.error = nil } }
    public func setDays(_ v: String) { state.update { $0.form?.days = v.filter(\.isNumber); $0.form?.error = nil } }
    public func setHandler(_ id: String) { state.update { $0.form?.handlerId = id; $0.form?.error = nil } }
    public func setDifficulty(_ d: Difficulty) { state.update { $0.form?.difficulty = d } }

    /// An after-photo for a resolve.
    public func takePhoto() async {
        guard let camera = session.camera, let file = await camera.takePhoto() else { return }
        let fix = await session.location.currentFix()
        let photo = TakenPhoto(itemCode: nil, file: file, takenAt: session.now(), fix: fix)
        state.update { $0.form?.photos.append(photo) }
    }

    /// Take the action; on refusal the form stays with the core's reason.
    public func submit() async {
        guard var form = state.value.form, !form.busy else { return }
        let fields = ActionFields(
            text: form.text, handlerId: form.handlerId, days: UInt32(form.days),
            difficulty: form.inputs.contains(.difficulty) ? form.difficulty : nil)
        let action = caseAction(action: form.kind, fields: fields)
        let photos = form.photos.map(\.input)
        let id = state.value.caseId
        form.busy = true
        form.error = nil
        state.update { $0.form = form }
        do {
            let detail = try await session.call { try $0.actOnCase(caseId: id, action: action, photos: photos) }
            state.update { $0.detail = detail; $0.form = nil; $0.done = form.kind }
        } catch {
            form.busy = false
            form.error = .of(error)
            state.update { $0.form = form }
        }
    }
}
