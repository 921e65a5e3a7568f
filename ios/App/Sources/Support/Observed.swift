// A model's StateHolder as SwiftUI's ObservableObject: the view redraws
// on every state the model sets. (The models use no Observation macro so
// that they build and are tested on Linux; see StateHolder.)

import SwiftUI

import GridworkScreens

@MainActor
final class Observed<State>: ObservableObject {
    @Published private(set) var value: State
    private var token: ObservationToken?

    init(_ holder: StateHolder<State>) {
        value = holder.value
        token = holder.observe { [weak self] in self?.value = $0 }
    }
}
