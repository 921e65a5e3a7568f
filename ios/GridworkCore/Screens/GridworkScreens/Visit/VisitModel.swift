// 走访 Visit: the household's checklist from the core, answered here. The
// core checks required answers and types, judges the location and finds
// hazards when the visit is recorded (offline, in the phone's store,
// before the screen says "saved").
//
// Every change is kept as the core's draft of this visit (shortly after
// it, and at once before the camera opens, with the photo's file named),
// so an app killed while the camera is open loses nothing: Today lists
// the unfinished visit and reopening it brings everything back.

import Foundation

import GridworkCore

/// A photo taken for an item (or for the visit as a whole when `itemCode` is nil).
public struct TakenPhoto: Equatable, Sendable {
    public var itemCode: String?
    public var file: URL
    public var takenAt: Date
    public var fix: LocationFix?
}

public struct VisitState: Equatable, Sendable {
    public var householdCode: String
    public var householdName = ""
    public var template: ChecklistTemplate?
    public var answers: [String: AnswerValue] = [:]
    /// Number answers as typed, so a half-typed "3." is not lost.
    public var numberText: [String: String] = [:]
    public var photos: [TakenPhoto] = []
    public var notes = ""
    public var fix: LocationFix?
    public var locating = false
    public var saving = false
    /// The core's refusal, and the item it names.
    public var error: Message?
    public var errorItem: String?
    /// Recorded: the verdict and the hazards found, each a pre-filled case.
    public var saved: VisitOutcome?
    /// Answers and photos came back from an unfinished visit.
    public var restored = false

    public func photos(for itemCode: String?) -> [TakenPhoto] { photos.filter { $0.itemCode == itemCode } }
}

@MainActor
public final class VisitModel {
    public let state: StateHolder<VisitState>
    private let session: AppSession
    /// The draft save waiting to run (debounced) or running.
    private var draftSave: Task<Void, Never>?
    /// How long typing may go on before the draft is written.
    let draftDelay: Duration

    public init(session: AppSession, householdCode: String, draftDelay: Duration = .milliseconds(400)) {
        self.session = session
        self.draftDelay = draftDelay
        state = StateHolder(VisitState(householdCode: householdCode))
    }

    /// Load the checklist (and an unfinished visit's draft) and ask for a fix.
    public func load() async {
        let code = state.value.householdCode
        async let located: Void = locate()
        do {
            let (name, template, draft) = try await session.call { store in
                (try store.householdDetail(code: code).household.name,
                 try store.checklistFor(householdCode: code),
                 try store.visitDraft(householdCode: code))
            }
            state.update {
                $0.householdName = name
                $0.template = template
            }
            // The core offers a draft only while its checklist version is current.
            if let draft { restore(draft) }
        } catch {
            state.update { $0.error = .of(error) }
        }
        await located
    }

    private func restore(_ draft: VisitInput) {
        state.update { s in
            s.answers = Dictionary(draft.answers.map { ($0.itemCode, $0.value) }, uniquingKeysWith: { _, last in last })
            for answer in draft.answers {
                if case let .number(v) = answer.value { s.numberText[answer.itemCode] = Self.format(v) }
            }
            s.notes = draft.notes
            s.photos = draft.photos.map { TakenPhoto(itemCode: $0.itemCode, file: URL(fileURLWithPath: $0.path), takenAt: $0.takenAt, fix: $0.fix) }
            s.fix = s.fix ?? draft.fix
            s.restored = !draft.answers.isEmpty || !draft.photos.isEmpty || !draft.notes.isEmpty
        }
    }

    /// Ask the platform for a fix (again); the visit never waits for one.
    public func locate() async {
        state.update { $0.locating = true }
        let fix = await session.location.currentFix()
        state.update {
            $0.fix = fix ?? $0.fix
            $0.locating = false
        }
    }

    public func answer(_ itemCode: String, _ value: AnswerValue?) {
        state.update {
            $0.answers[itemCode] = value
            if $0.errorItem == itemCode {
                $0.error = nil
                $0.errorItem = nil
            }
        }
        keepDraft()
    }

    /// A number as typed; the answer is the number it reads as (none while it reads as none).
    public func answerNumber(_ itemCode: String, text: String) {
        state.update { $0.numberText[itemCode] = text }
        answer(itemCode, Double(text.trimmingCharacters(in: .whitespaces)).map { .number($0) })
    }

    public func toggleChoice(_ itemCode: String, option: String) {
        var current: [String] = []
        if case let .choices(list) = state.value.answers[itemCode] { current = list }
        if let i = current.firstIndex(of: option) { current.remove(at: i) } else { current.append(option) }
        answer(itemCode, current.isEmpty ? nil : .choices(current))
    }

    public func setNotes(_ notes: String) {
        state.update { $0.notes = notes }
        keepDraft()
    }

    /// Take a photo for `itemCode`. Its file is in the draft before the
    /// camera opens: if the app is killed meanwhile, the photo is found when
    /// the visit is reopened (the core leaves out a file never written).
    public func takePhoto(for itemCode: String?) async {
        guard let camera = session.camera else { return }
        let taken = TakenPhoto(itemCode: itemCode, file: camera.newPhotoFile(), takenAt: session.now(), fix: state.value.fix)
        await settleDraft()
        var pending = state.value
        pending.photos.append(taken)
        await writeDraft(pending)
        let shot = await camera.takePhoto(into: taken.file)
        // The screen went away with the camera open: the draft already names
        // the file, and nothing more may be written over it.
        if Task.isCancelled { return }
        if shot {
            state.update { $0.photos.append(taken) }
        } else {
            try? FileManager.default.removeItem(at: taken.file)
        }
        keepDraft(after: .zero)
    }

    /// Drop the photos taken for `itemCode` (to take them again).
    public func clearPhotos(for itemCode: String?) {
        state.update {
            $0.photos.removeAll { $0.itemCode == itemCode }
            $0.error = nil
            $0.errorItem = nil
        }
        keepDraft(after: .zero)
    }

    /// Start over: the draft and its photos are dropped.
    public func startOver() async {
        await settleDraft()
        let photos = state.value.photos
        let code = state.value.householdCode
        do {
            try await session.call { try $0.discardVisitDraft(householdCode: code) }
            for photo in photos { try? FileManager.default.removeItem(at: photo.file) }
            state.update {
                $0.answers = [:]
                $0.numberText = [:]
                $0.notes = ""
                $0.photos = []
                $0.restored = false
                $0.error = nil
                $0.errorItem = nil
            }
        } catch {
            state.update { $0.error = .of(error) }
        }
    }

    /// Record the visit in the phone's store. On refusal nothing is saved and the item is named.
    public func save() async {
        let s = state.value
        guard let template = s.template, !s.saving, s.saved == nil else { return }
        state.update {
            $0.saving = true
            $0.error = nil
            $0.errorItem = nil
        }
        // No draft write may land after the visit is recorded (it would bring the draft back).
        await settleDraft()
        let input = s.input(template)
        do {
            // Recording the visit drops its draft in the same transaction.
            let outcome = try await session.call { try $0.recordVisit(input: input) }
            state.update {
                $0.saving = false
                $0.saved = outcome
            }
        } catch {
            var item: String?
            if case let GridworkError.Invalid(field, _) = error { item = field }
            state.update {
                $0.saving = false
                $0.error = .of(error)
                $0.errorItem = item
            }
        }
    }

    /// The screen is closing: keep the visit as it stands now, not after the typing pause.
    public func keepDraftNow() async {
        await settleDraft()
        await writeDraft(state.value)
    }

    /// Wait for the draft write under way, if any (tests and the screen's exit).
    public func settleDraft() async {
        let pending = draftSave
        draftSave = nil
        pending?.cancel()
        await pending?.value
    }

    private func keepDraft(after delay: Duration? = nil) {
        let previous = draftSave
        let wait = delay ?? draftDelay
        draftSave = Task { [weak self] in
            previous?.cancel()
            await previous?.value
            if wait > .zero { try? await Task.sleep(for: wait) }
            guard !Task.isCancelled, let self else { return }
            await self.writeDraft(self.state.value)
        }
    }

    private func writeDraft(_ s: VisitState) async {
        guard let template = s.template, !s.saving, s.saved == nil else { return }
        let input = s.input(template)
        // Best effort: a draft the core refuses (notes over the limit) leaves
        // the last one kept, and saving the visit names the problem.
        _ = try? await session.call { try $0.saveVisitDraft(draft: input) }
    }

    /// "3" rather than "3.0" when a kept number is shown again.
    static func format(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}

extension VisitState {
    /// The visit as the core takes it (to record, or to keep as a draft).
    func input(_ template: ChecklistTemplate) -> VisitInput {
        VisitInput(
            householdCode: householdCode, patrolId: nil, templateId: template.id, templateVersion: template.version,
            answers: answers.keys.sorted().compactMap { code in answers[code].map { Answer(itemCode: code, value: $0) } },
            notes: notes, fix: fix,
            photos: photos.map { PhotoInput(itemCode: $0.itemCode, path: $0.file.path, mediaType: "image/jpeg", takenAt: $0.takenAt, fix: $0.fix) })
    }
}
