// Periodic sync with BGTaskScheduler: operations, then photos through the
// background transfer; iOS decides when (roughly every 30 minutes at best).

import BackgroundTasks
import Foundation

import GridworkScreens

enum BackgroundSync {
    static let identifier = "org.gridwork.app.sync"

    static func register(session: AppSession) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            schedule()
            let work = Task {
                _ = try? await session.store.sync(listener: nil)
                try? await UploadRunner(session: session).run()
                task.setTaskCompleted(success: true)
            }
            task.expirationHandler = { work.cancel() }
        }
        schedule()
    }

    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 30 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }
}
