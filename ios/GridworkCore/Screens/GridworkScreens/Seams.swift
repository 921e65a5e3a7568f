// The platform seams the screens call through. On iOS: CoreLocation,
// the system camera picker, a background URLSession, APNs. On Linux (the
// tests): fixed fixes, a camera that writes JPEG files, a URLSession
// transfer in the foreground. The screens cannot tell the difference.

import Foundation

import GridworkCore

/// The phone's position as the platform reports it, with its accuracy and
/// whether it looks simulated (iOS 15+ `sourceInformation`). Nil when
/// there is no fix: work is never blocked for want of one.
public protocol LocationSource: Sendable {
    func currentFix() async -> LocationFix?
}

/// No location at all (the simulator without a route, location refused).
public struct NoLocation: LocationSource {
    public init() {}
    public func currentFix() async -> LocationFix? { nil }
}

/// The camera: a JPEG written into the app's own container before anything
/// is recorded. Two steps, so a visit can name the file in its draft
/// before the camera opens: if the app is killed meanwhile, the photo is
/// found again when the visit is reopened.
public protocol Camera: Sendable {
    /// A new file in the app's container for the next photo (not created yet).
    func newPhotoFile() -> URL
    /// Take a photo into `file`; false when cancelled or nothing was written.
    func takePhoto(into file: URL) async -> Bool
}

extension Camera {
    /// Take a photo into a new file: the file, or nil when cancelled.
    public func takePhoto() async -> URL? {
        let file = newPhotoFile()
        if await takePhoto(into: file) { return file }
        try? FileManager.default.removeItem(at: file)
        return nil
    }
}

/// Carries the core's upload jobs (tus requests) to the server and reports
/// each answer back. On iOS a background URLSession, which goes on while
/// the app is suspended and reports on relaunch; on Linux the same
/// requests in the foreground.
public protocol UploadTransfer: Sendable {
    /// Perform one job and return what the server answered.
    func perform(_ job: UploadJob) async -> TransferResult
}

/// A server's answer to one upload job, as the core wants it reported.
public struct TransferResult: Sendable, Equatable {
    public var httpStatus: UInt16?
    public var uploadOffset: String?
    public var location: String?
    public var body: String?
    /// A transport failure (no answer at all).
    public var error: String?

    public init(httpStatus: UInt16? = nil, uploadOffset: String? = nil, location: String? = nil, body: String? = nil, error: String? = nil) {
        self.httpStatus = httpStatus
        self.uploadOffset = uploadOffset
        self.location = location
        self.body = body
        self.error = error
    }
}

/// Where push messages reach this phone: APNs on iOS. The token goes to the
/// core, which registers it with the server on the next sync.
public protocol PushRegistrar: Sendable {
    func register() async -> String?
}
