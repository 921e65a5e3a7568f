// 网格 Grid: the core's search and due filter, pages as the list scrolls,
// and the map of the boundary and places (drawn from the core's
// coordinates, no tiles needed).

import SwiftUI

import GridworkCore
import GridworkScreens

struct GridScreenView: View {
    let app: AppModel
    let model: GridModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            VStack {
                Picker(s.list, selection: Binding(get: { v.view }, set: { view in Task { await model.show(view) } })) {
                    Text(s.list).tag(GridView.list)
                    Text(s.map).tag(GridView.map)
                }
                .pickerStyle(.segmented)
                if v.view == .map, let map = v.map {
                    GridMapShape(map: map).padding()
                } else {
                    List {
                        TextField(s.search, text: Binding(get: { v.query }, set: model.setQuery))
                            .accessibilityLabel(s.search)
                        Toggle(s.dueOnly, isOn: Binding(get: { v.dueOnly }, set: model.setDueOnly))
                        ForEach(Array(v.rows.enumerated()), id: \.element.code) { index, row in
                            Button { Task { await app.openHousehold(row.code) } } label: {
                                VStack(alignment: .leading) {
                                    Text(row.name)
                                    Text(s.core(dueLabel(due: row.due))).font(.subheadline)
                                }
                            }
                            .onAppear { Task { await model.scrolled(to: index) } }
                        }
                        if v.loading { ProgressView() }
                        ErrorLine(message: v.error)
                    }
                }
                Button(s.reportCase) { Task { await app.openNewCase(gridCode: v.gridCode) } }
                    .padding()
            }
            .navigationTitle(v.title)
        }
    }
}

/// The grid's boundary and places, scaled into the view.
struct GridMapShape: View {
    let map: GridMap
    @Environment(\.strings) var s

    var body: some View {
        GeometryReader { geo in
            let sw = map.southWest, ne = map.northEast
            let w = max(ne.lon - sw.lon, 1e-9), h = max(ne.lat - sw.lat, 1e-9)
            let point = { (p: LatLon) in
                CGPoint(x: (p.lon - sw.lon) / w * geo.size.width, y: (ne.lat - p.lat) / h * geo.size.height)
            }
            ZStack {
                ForEach(Array(map.rings.enumerated()), id: \.offset) { _, ring in
                    Path { path in
                        guard let first = ring.first else { return }
                        path.move(to: point(first))
                        for p in ring.dropFirst() { path.addLine(to: point(p)) }
                        path.closeSubpath()
                    }
                    .stroke(Color.blue, lineWidth: 2)
                }
                ForEach(map.places, id: \.row.code) { place in
                    Circle().fill(Color.orange)
                        .frame(width: 8, height: 8)
                        .position(point(place.point))
                        .accessibilityLabel("\(place.row.name) \(s.core(dueLabel(due: place.row.due)))")
                }
            }
        }
    }
}
