// Swift helpers over the generated bindings, for the iOS app. They need only
// Foundation, so they are tested on Linux too. Nothing here decides anything:
// rules, labels and allowed actions come from the core.
//
// Not `@Observable`: Debian's swiftlang 6.0.3 ships a libswiftObservation.so
// that fails to link (undefined swift::threading::fatal), so the model
// reports changes through `onChange`; the app's SwiftUI layer wraps it.

import Foundation

import GridworkCore

extension CaseDetail {
    /// Whether the case screen should show the button for `action`.
    public func can(_ action: ActionKind) -> Bool { allowedActions.contains(action) }
}

extension CaseRow {
    /// True once the core's countdown has run out.
    public var isOverdue: Bool { (countdownSecs ?? 0) < 0 }
}

extension GridworkError {
    /// What to show the person: the core's reason, Chinese first.
    public var userMessage: String {
        switch self {
        case let .Invalid(_, reason): return reason
        case let .NotPermitted(reason): return reason
        case let .NotFound(entity, _): return "未找到 / not found: \(entity)"
        case let .Conflict(reason): return "\(reason)（请刷新 / refresh and try again）"
        case let .Storage(reason): return "存储出错 / storage problem: \(reason)"
        case let .Network(reason): return "网络不可用，稍后自动重试 / offline, will retry: \(reason)"
        case let .Platform(reason): return "系统功能出错 / platform problem: \(reason)"
        }
    }

    /// The form field an invalid-input error belongs to.
    public var invalidField: String? {
        if case let .Invalid(field, _) = self { return field }
        return nil
    }
}

/// A location fix as Core Location reported it; defaults to now.
public func locationFix(
    lat: Double, lon: Double, accuracyM: Double, provider: String = "gps", mock: Bool = false, at: Date = Date()
) -> LocationFix {
    LocationFix(lat: lat, lon: lon, accuracyM: accuracyM, provider: provider, mock: mock, at: at)
}

/// A JPEG the camera wrote, ready to attach.
public func jpegPhoto(_ url: URL, itemCode: String? = nil, fix: LocationFix? = nil, takenAt: Date = Date()) -> PhotoInput {
    PhotoInput(itemCode: itemCode, path: url.path, mediaType: "image/jpeg", takenAt: takenAt, fix: fix)
}

/// The case screen's state: load, act, and show the core's answer (or its
/// refusal) without deciding anything itself.
public final class CaseScreenModel {
    public private(set) var detail: CaseDetail? { didSet { onChange?() } }
    public private(set) var error: GridworkError? { didSet { onChange?() } }
    /// Called after every change (the app bridges this to SwiftUI).
    public var onChange: (() -> Void)?
    private let store: GridworkStore
    private let caseId: String

    public init(store: GridworkStore, caseId: String) {
        self.store = store
        self.caseId = caseId
    }

    /// Reload the case screen.
    public func load() {
        run { try store.caseDetail(caseId: caseId) }
    }

    /// Take an action; on refusal the previous screen stays and `error` says why.
    public func act(_ action: CaseAction, photos: [PhotoInput] = []) {
        run { try store.actOnCase(caseId: caseId, action: action, photos: photos) }
    }

    /// The buttons to show, in the core's order.
    public var actions: [ActionKind] { detail?.allowedActions ?? [] }

    private func run(_ call: () throws -> CaseDetail) {
        do {
            detail = try call()
            error = nil
        } catch let e as GridworkError {
            error = e
        } catch {
            self.error = .Platform(reason: "\(error)")
        }
    }
}
