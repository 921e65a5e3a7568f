// APNs: ask for permission, register, and hand the device token (hex) to
// the core, which registers it with the server on the next sync.

import Foundation
import UIKit
import UserNotifications

import GridworkScreens

final class APNsRegistrar: PushRegistrar, @unchecked Sendable {
    private var waiting: CheckedContinuation<String?, Never>?

    func register() async -> String? {
        let granted = (try? await UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge])) ?? false
        guard granted else { return nil }
        return await withCheckedContinuation { cont in
            DispatchQueue.main.async {
                self.waiting = cont
                UIApplication.shared.registerForRemoteNotifications()
            }
        }
    }

    func received(token: Data?) {
        waiting?.resume(returning: token.map { $0.map { String(format: "%02x", $0) }.joined() })
        waiting = nil
    }
}

/// A tapped notification opens its case (the server puts `case_id` in the payload).
final class NotificationRouter: NSObject, UNUserNotificationCenterDelegate {
    static let shared = NotificationRouter()
    var onOpenCase: ((String) -> Void)?

    override init() {
        super.init()
        UNUserNotificationCenter.current().delegate = self
    }

    func userNotificationCenter(_ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
                                withCompletionHandler completionHandler: @escaping () -> Void) {
        if let caseId = response.notification.request.content.userInfo["case_id"] as? String {
            onOpenCase?(caseId)
        }
        completionHandler()
    }
}
