// A view of one model's state: it redraws on every state the model sets.
// Every screen's view is `Rendering(model.state) { state in … }`, so no
// view keeps state of its own or reaches past its model.

import SwiftUI

import GridworkScreens

struct Rendering<State, Content: View>: View {
    @StateObject private var observed: Observed<State>
    private let content: (State) -> Content

    init(_ holder: StateHolder<State>, @ViewBuilder content: @escaping (State) -> Content) {
        _observed = StateObject(wrappedValue: Observed(holder))
        self.content = content
    }

    var body: some View { content(observed.value) }
}
