// The iOS app: one AppModel over the phone's store, with the Apple seams
// (Keychain, Core Location, the camera picker, a background URLSession,
// APNs, BGTaskScheduler). Everything on screen is a view of a model in
// GridworkScreens; nothing here decides a rule.

import SwiftUI
import UIKit

import GridworkCore
import GridworkScreens

@main
struct GridworkApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate

    var body: some Scene {
        WindowGroup {
            if let app = delegate.app {
                RootView(app: app)
            } else {
                Text(delegate.startupError ?? "…")
            }
        }
    }
}

/// Builds the app once, and hands it what only the app delegate receives:
/// the APNs token, background URLSession events, notification taps.
@MainActor
final class AppDelegate: NSObject, UIApplicationDelegate, ObservableObject {
    private(set) var app: AppModel?
    private(set) var startupError: String?
    let push = APNsRegistrar()
    let transfer = BackgroundTransfer()

    func application(_ application: UIApplication,
                     didFinishLaunchingWithOptions options: [UIApplication.LaunchOptionsKey: Any]? = nil) -> Bool {
        do {
            let folder = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
                .appendingPathComponent("gridwork", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = try GridworkStore.open(dbPath: folder.appendingPathComponent("gridwork.db").path, secrets: KeychainSecretStore())
            let session = AppSession(
                store: store, deviceName: UIDevice.current.name, location: CoreLocationSource(),
                camera: PickerCamera(folder: folder.appendingPathComponent("camera", isDirectory: true)),
                transfer: transfer, push: push, storeDirectory: folder)
            transfer.session = session
            let model = AppModel(session: session, language: Locale.preferredLanguages.first?.hasPrefix("zh") == false ? .en : .zh)
            app = model
            BackgroundSync.register(session: session)
            NotificationRouter.shared.onOpenCase = { caseId in Task { await model.openFromNotification(caseId: caseId) } }
        } catch {
            startupError = "无法打开本机数据 / cannot open this phone's data: \(error)"
        }
        return true
    }

    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken token: Data) {
        push.received(token: token)
    }

    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        push.received(token: nil)
    }

    /// Uploads finished while the app was suspended: their answers go to the core now.
    func application(_ application: UIApplication, handleEventsForBackgroundURLSession identifier: String,
                     completionHandler: @escaping () -> Void) {
        transfer.resume(identifier: identifier, completion: completionHandler)
    }
}
