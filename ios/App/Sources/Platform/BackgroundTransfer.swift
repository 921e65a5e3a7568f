// The core's upload jobs on a background URLSession: a PATCH's slice goes
// from a file (background sessions take only file uploads) and carries on
// while the app is suspended; short tus create/HEAD requests go in the
// foreground. Each task carries its job id, so an answer that arrives after
// a relaunch is still reported to the core. The request, slice and answer
// are built by GridworkScreens' UploadRequest, the same as on Linux.

import Foundation

import GridworkCore
import GridworkScreens

final class BackgroundTransfer: NSObject, UploadTransfer, URLSessionDataDelegate, @unchecked Sendable {
    static let identifier = "org.gridwork.app.uploads"
    weak var session: AppSession?
    private let lock = NSLock()
    private var waiting: [Int: CheckedContinuation<TransferResult, Never>] = [:]
    private var bodies: [Int: Data] = [:]
    private var relaunchDone: (() -> Void)?
    private lazy var background: URLSession = {
        let config = URLSessionConfiguration.background(withIdentifier: Self.identifier)
        config.sessionSendsLaunchEvents = true
        config.isDiscretionary = false
        return URLSession(configuration: config, delegate: self, delegateQueue: nil)
    }()

    func perform(_ job: UploadJob) async -> TransferResult {
        do {
            var request = try UploadRequest.request(for: job)
            guard let body = try UploadRequest.body(for: job) else {
                let (data, response) = try await URLSession.shared.data(for: request)
                guard let http = response as? HTTPURLResponse else { return TransferResult(error: "no HTTP response") }
                return UploadRequest.result(http, data)
            }
            let slice = FileManager.default.temporaryDirectory.appendingPathComponent("\(job.jobId).part")
            try body.write(to: slice)
            request.timeoutInterval = 120
            return await withCheckedContinuation { cont in
                let task = background.uploadTask(with: request, fromFile: slice)
                task.taskDescription = job.jobId
                lock.lock()
                waiting[task.taskIdentifier] = cont
                lock.unlock()
                task.resume()
            }
        } catch {
            return TransferResult(error: "\(error.localizedDescription)")
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        bodies[dataTask.taskIdentifier, default: Data()].append(data)
        lock.unlock()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        let cont = waiting.removeValue(forKey: task.taskIdentifier)
        let body = bodies.removeValue(forKey: task.taskIdentifier)
        lock.unlock()
        let result: TransferResult
        if let error {
            result = TransferResult(error: error.localizedDescription)
        } else if let http = task.response as? HTTPURLResponse {
            result = UploadRequest.result(http, body)
        } else {
            result = TransferResult(error: "no HTTP response")
        }
        if let jobId = task.taskDescription {
            try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("\(jobId).part"))
        }
        if let cont {
            cont.resume(returning: result)
        } else if let jobId = task.taskDescription, let store = self.session?.store {
            // Finished while the app was not running: report it to the core now.
            _ = try? store.reportUploadResult(jobId: jobId, httpStatus: result.httpStatus, uploadOffsetHeader: result.uploadOffset,
                                              locationHeader: result.location, body: result.body, error: result.error)
        }
    }

    /// The system relaunched the app for finished background uploads.
    func resume(identifier: String, completion: @escaping () -> Void) {
        guard identifier == Self.identifier else { return completion() }
        relaunchDone = completion
        _ = background
    }

    func urlSessionDidFinishEvents(forBackgroundURLSession session: URLSession) {
        DispatchQueue.main.async {
            self.relaunchDone?()
            self.relaunchDone = nil
        }
    }
}
