// 激活 Enrol: the server and the code (typed or scanned), the first pull's
// progress, and the core's refusal next to the field it names.

import SwiftUI

import GridworkScreens

struct EnrolView: View {
    let model: EnrolModel
    @Environment(\.strings) var s
    @State private var scanning = false

    var body: some View {
        Rendering(model.state) { v in
            Form {
                Section {
                    TextField(s.serverAddress, text: Binding(get: { v.serverUrl }, set: model.setServerUrl))
                        .keyboardType(.URL)
                        .textInputAutocapitalization(.never)
                        .accessibilityLabel(s.serverAddress)
                        .foregroundColor(v.errorField == .server ? .red : nil)
                    TextField(s.activationCode, text: Binding(get: { v.code }, set: model.setCode))
                        .textInputAutocapitalization(.characters)
                        .accessibilityLabel(s.activationCode)
                        .foregroundColor(v.errorField == .code ? .red : nil)
                    ErrorLine(message: v.error)
                }
                Section {
                    switch v.step {
                    case .form:
                        Button(s.enrol) { Task { await model.enrol() } }
                            .accessibilityLabel(s.enrol)
                        Button(s.scanQr) { scanning = true }
                            .accessibilityLabel(s.scanQr)
                    case .activating:
                        ProgressView(s.activating)
                    case let .pulling(_, progress):
                        ProgressView(value: Double(progress?.itemsDone ?? 0), total: Double(max(progress?.itemsTotal ?? 1, 1)))
                        Text(s.pulling(progress?.itemsDone ?? 0, progress?.itemsTotal ?? 0))
                        if v.error != nil {
                            Button(s.retry) { Task { await model.retryPull() } }
                        }
                    case .done:
                        ProgressView()
                    }
                }
            }
            .navigationTitle(s.enrolTitle)
            .sheet(isPresented: $scanning) {
                QrScannerView { text in
                    scanning = false
                    model.scanned(text)
                }
            }
        }
    }
}
