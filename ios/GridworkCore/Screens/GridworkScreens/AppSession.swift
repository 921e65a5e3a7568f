// What every screen model needs: the phone's store, the platform seams,
// and where blocking store calls run (never on the main actor).

import Foundation

import GridworkCore

/// The app's session over one store. Shared by every screen model.
public final class AppSession: Sendable {
    public let store: GridworkStore
    public let deviceName: String
    public let location: LocationSource
    public let camera: Camera?
    public let transfer: UploadTransfer?
    public let push: PushRegistrar?
    /// The store's folder (for the free-space warning).
    public let storeDirectory: URL?
    /// China time: "today" and the times shown are the grid's.
    public let timeZone: TimeZone
    private let clock: @Sendable () -> Date

    public init(
        store: GridworkStore,
        deviceName: String,
        location: LocationSource = NoLocation(),
        camera: Camera? = nil,
        transfer: UploadTransfer? = nil,
        push: PushRegistrar? = nil,
        storeDirectory: URL? = nil,
        timeZone: TimeZone = TimeText.china,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.deviceName = deviceName
        self.location = location
        self.camera = camera
        self.transfer = transfer
        self.push = push
        self.storeDirectory = storeDirectory
        self.timeZone = timeZone
        clock = now
    }

    public func now() -> Date { clock() }

    /// Run a blocking store call off the main actor.
    public func call<T: Sendable>(_ body: @escaping @Sendable (GridworkStore) throws -> T) async throws -> T {
        let store = self.store
        return try await Task.detached(priority: .userInitiated) { try body(store) }.value
    }

    /// Today's date where the grid is, as the core takes it (`YYYY-MM-DD`).
    public func today() -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let d = calendar.dateComponents([.year, .month, .day], from: now())
        return String(format: "%04d-%02d-%02d", d.year ?? 1970, d.month ?? 1, d.day ?? 1)
    }

    /// Register this phone for pushes (APNs token → the core, sent with the next sync).
    public func registerForPush() async {
        guard let push, let token = await push.register() else { return }
        _ = try? await call { try $0.registerPushEndpoint(endpoint: .apns(deviceToken: token)) }
    }
}
