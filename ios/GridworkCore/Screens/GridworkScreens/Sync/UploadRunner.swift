// Carries the core's upload jobs through the platform's transfer: the
// core says which request to make next (tus create, HEAD, PATCH of a
// slice), the transfer makes it, the answer goes back to the core, which
// decides what is stored, retried or failed.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

import GridworkCore

public struct UploadRunner {
    let session: AppSession
    /// Bound on jobs per run: a photo takes three or four, so this is far
    /// more than a day's queue, and a run can never spin.
    static let maxJobs = 2_000

    public init(session: AppSession) { self.session = session }

    /// Carry jobs until the core has none to give now (all stored, or waiting for a network or a backoff).
    public func run() async throws {
        guard let transfer = session.transfer else {
            // No platform transfer (a PC, a test without one): the core's own uploader.
            _ = try await session.store.uploadEvidence(listener: nil, network: nil)
            return
        }
        for _ in 0..<Self.maxJobs {
            guard let job = try await session.call({ try $0.nextUploadJob() }) else { return }
            let r = await transfer.perform(job)
            _ = try await session.call {
                try $0.reportUploadResult(
                    jobId: job.jobId, httpStatus: r.httpStatus, uploadOffsetHeader: r.uploadOffset,
                    locationHeader: r.location, body: r.body, error: r.error)
            }
        }
    }
}

/// One upload job as an HTTP request, shared by every transfer: the
/// method, URL and headers the core gave, and for a PATCH the slice of the
/// photo's file it names.
public enum UploadRequest {
    public static func request(for job: UploadJob) throws -> URLRequest {
        guard let url = URL(string: job.url) else {
            throw GridworkError.Invalid(field: "url", reason: "上传地址无效 / bad upload URL: \(job.url)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = job.method
        for header in job.headers { request.setValue(header.value, forHTTPHeaderField: header.name) }
        return request
    }

    /// The bytes a PATCH carries: `length` bytes of the file from `offset`.
    public static func body(for job: UploadJob) throws -> Data? {
        guard job.step == .patch, let path = job.filePath else { return nil }
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: job.offset)
        return try handle.read(upToCount: Int(job.length)) ?? Data()
    }

    /// What the server answered, as the core wants it reported.
    public static func result(_ response: HTTPURLResponse, _ data: Data?) -> TransferResult {
        func header(_ name: String) -> String? {
            for (key, value) in response.allHeaderFields where String(describing: key).lowercased() == name {
                return String(describing: value)
            }
            return nil
        }
        return TransferResult(
            httpStatus: UInt16(clamping: response.statusCode),
            uploadOffset: header("upload-offset"),
            location: header("location"),
            body: data.flatMap { String(data: $0, encoding: .utf8) })
    }
}

/// Jobs carried in the foreground with an ordinary URLSession: the app in
/// the foreground, a PC, and the Linux tests. On iOS the app target's
/// background transfer hands the same requests to a background URLSession.
public struct ForegroundTransfer: UploadTransfer {
    public init() {}

    public func perform(_ job: UploadJob) async -> TransferResult {
        do {
            var request = try UploadRequest.request(for: job)
            request.httpBody = try UploadRequest.body(for: job)
            request.timeoutInterval = 60
            return try await withCheckedThrowingContinuation { cont in
                URLSession.shared.dataTask(with: request) { data, response, error in
                    if let error { return cont.resume(returning: TransferResult(error: "\(error.localizedDescription)")) }
                    guard let http = response as? HTTPURLResponse else {
                        return cont.resume(returning: TransferResult(error: "no HTTP response"))
                    }
                    cont.resume(returning: UploadRequest.result(http, data))
                }.resume()
            }
        } catch {
            return TransferResult(error: "\(error)")
        }
    }
}
