// 上报 Report a case from a draft (a hazard found on a visit pre-fills it),
// optionally 就地解决 resolved on the spot with after-photos and a note.
// The core validates and records it in the phone's store.

import Foundation

import GridworkCore

public struct ReportState: Equatable, Sendable {
    public var draft: CaseDraft
    public var title: String
    public var description: String
    public var severity: Severity
    public var photos: [TakenPhoto] = []
    /// 就地解决: the worker fixed it already; after-photos and a note go with the report.
    public var resolveOnSpot = false
    public var onSpotNote = ""
    public var afterPhotos: [TakenPhoto] = []
    public var saving = false
    public var error: Message?
    public var errorField: String?
    /// Reported: the case as the core now shows it.
    public var reported: CaseDetail?

    init(draft: CaseDraft) {
        self.draft = draft
        title = draft.title
        description = draft.description
        severity = draft.severity
    }
}

@MainActor
public final class ReportModel {
    public let state: StateHolder<ReportState>
    private let session: AppSession

    public init(session: AppSession, draft: CaseDraft) {
        self.session = session
        state = StateHolder(ReportState(draft: draft))
    }

    public func setTitle(_ v: String) { state.update { $0.title = v; $0.error = nil; $0.errorField = nil } }
    public func setDescription(_ v: String) { state.update { $0.description = v; $0.error = nil; $0.errorField = nil } }
    public func setSeverity(_ v: Severity) { state.update { $0.severity = v } }
    public func setResolveOnSpot(_ v: Bool) { state.update { $0.resolveOnSpot = v } }
    public func setOnSpotNote(_ v: String) { state.update { $0.onSpotNote = v; $0.error = nil; $0.errorField = nil } }

    /// A photo of the problem (`after` false) or of it fixed (`after` true).
    public func takePhoto(after: Bool) async {
        guard let camera = session.camera, let file = await camera.takePhoto() else { return }
        let fix = await session.location.currentFix()
        let photo = TakenPhoto(itemCode: nil, file: file, takenAt: session.now(), fix: fix)
        state.update { if after { $0.afterPhotos.append(photo) } else { $0.photos.append(photo) } }
    }

    public func report() async {
        let s = state.value
        guard !s.saving, s.reported == nil else { return }
        state.update { $0.saving = true; $0.error = nil; $0.errorField = nil }
        var edited = s.draft
        edited.title = s.title
        edited.description = s.description
        edited.severity = s.severity
        let draft = edited
        let onSpot = s.resolveOnSpot ? OnSpotResolution(note: s.onSpotNote, photos: s.afterPhotos.map(\.input)) : nil
        let photos = s.photos.map(\.input)
        do {
            let detail = try await session.call { try $0.reportCase(draft: draft, photos: photos, onSpot: onSpot) }
            state.update { $0.saving = false; $0.reported = detail }
        } catch {
            var field: String?
            if case let GridworkError.Invalid(f, _) = error { field = f }
            state.update { $0.saving = false; $0.error = .of(error); $0.errorField = field }
        }
    }
}

extension TakenPhoto {
    /// The photo as the core takes it.
    var input: PhotoInput {
        PhotoInput(itemCode: itemCode, path: file.path, mediaType: "image/jpeg", takenAt: takenAt, fix: fix)
    }
}

public struct CategoryState: Equatable, Sendable {
    public var gridCode: String
    /// The core's categories by priority, in its order; empty while loading.
    public var byPriority: [(priority: Priority, categories: [CaseCategory])] = []
    /// The priority whose categories are listed (the first until one is picked).
    public var selected: Priority?
    public var loading = true
    public var error: Message?

    public static func == (a: CategoryState, b: CategoryState) -> Bool {
        a.gridCode == b.gridCode && a.selected == b.selected && a.loading == b.loading && a.error == b.error
            && a.byPriority.map(\.priority) == b.byPriority.map(\.priority)
            && a.byPriority.map(\.categories) == b.byPriority.map(\.categories)
    }
}

/// 上报事件 without a visit: pick what the case is about from the core's
/// categories; the report form then opens pre-filled with it, for this grid.
@MainActor
public final class CategoryModel {
    public let state: StateHolder<CategoryState>
    private let session: AppSession

    public init(session: AppSession, gridCode: String) {
        self.session = session
        state = StateHolder(CategoryState(gridCode: gridCode))
    }

    public func load() async {
        do {
            let categories = try await session.call { try $0.caseCategories() }
            var grouped: [(priority: Priority, categories: [CaseCategory])] = []
            for c in categories {
                if let i = grouped.firstIndex(where: { $0.priority == c.priority }) {
                    grouped[i].categories.append(c)
                } else {
                    grouped.append((c.priority, [c]))
                }
            }
            state.update { $0.byPriority = grouped; $0.selected = grouped.first?.priority; $0.loading = false }
        } catch {
            state.update { $0.loading = false; $0.error = .of(error) }
        }
    }

    public func select(_ priority: Priority) { state.update { $0.selected = priority } }

    /// The draft the report form starts from (the core's); the person writes what they saw.
    public func draft(for category: CaseCategory) -> CaseDraft {
        caseDraftFor(category: category, gridCode: state.value.gridCode)
    }
}
