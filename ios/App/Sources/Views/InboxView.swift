// 消息 Inbox: escalations and notices, unread marked; opening one marks it
// read and opens its case.

import SwiftUI

import GridworkCore
import GridworkScreens

struct InboxView: View {
    let app: AppModel
    let model: InboxModel
    @Environment(\.strings) var s

    var body: some View {
        Rendering(model.state) { v in
            List {
                if v.unread > 0 { Text(s.unread(v.unread)).bold() }
                ForEach(v.items, id: \.id) { item in
                    Button {
                        Task {
                            if let caseId = await model.open(item.id) { await app.openCase(caseId) }
                        }
                    } label: {
                        VStack(alignment: .leading) {
                            Text(s.language == .zh ? item.titleZh : item.titleEn)
                                .fontWeight(item.readAt == nil ? .semibold : .regular)
                            Text(s.language == .zh ? item.bodyZh : item.bodyEn).font(.subheadline)
                        }
                    }
                    .accessibilityLabel("\(item.readAt == nil ? "●" : "") \(item.titleZh)")
                }
                if v.loading { ProgressView() }
                ErrorLine(message: v.error)
            }
            .refreshable { await model.refresh() }
            .navigationTitle(s.inbox)
        }
    }
}
