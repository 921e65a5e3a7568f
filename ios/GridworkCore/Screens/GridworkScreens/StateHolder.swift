// A screen's state as its view reads it, and who to tell when it changes.
//
// Why not Observation's @Observable: Debian's swiftlang 6.0.3 ships a
// libswiftObservation.so that fails to link (undefined
// swift::threading::fatal), and the models must be tested on Linux. The
// app's SwiftUI layer wraps a holder in an ObservableObject
// (ios/App/Sources/Support/Observed.swift); nothing else differs.

import Foundation

/// One screen's state: a value type replaced as a whole, on the main actor.
@MainActor
public final class StateHolder<State> {
    public private(set) var value: State
    private var observers: [UUID: (State) -> Void] = [:]

    public init(_ initial: State) { value = initial }

    /// Replace the state and tell every observer.
    func set(_ new: State) {
        value = new
        for observer in observers.values { observer(new) }
    }

    /// Change part of the state and tell every observer.
    func update(_ change: (inout State) -> Void) {
        var copy = value
        change(&copy)
        set(copy)
    }

    /// Be told of every change until the returned token is cancelled or released.
    public func observe(_ observer: @escaping (State) -> Void) -> ObservationToken {
        let id = UUID()
        observers[id] = observer
        return ObservationToken { [weak self] in
            MainActor.assumeIsolated { _ = self?.observers.removeValue(forKey: id) }
        }
    }

    /// How many observers are listening (tests check views let go).
    public var observerCount: Int { observers.count }
}

/// Ends an observation when cancelled or released.
public final class ObservationToken {
    private var end: (() -> Void)?
    init(_ end: @escaping () -> Void) { self.end = end }
    public func cancel() {
        end?()
        end = nil
    }

    deinit { end?() }
}
