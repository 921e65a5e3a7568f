import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

import GridworkCore
import GridworkKit
import GridworkTestSupport

/// Records progress events, as a progress bar would.
final class RecordingListener: SyncListener, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SyncProgress] = []
    func onProgress(progress: SyncProgress) { lock.lock(); events.append(progress); lock.unlock() }
    var all: [SyncProgress] { lock.lock(); defer { lock.unlock() }; return events }
}

/// Records upload progress events.
final class RecordingUploadListener: UploadListener, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [UploadProgress] = []
    func onProgress(progress: UploadProgress) { lock.lock(); events.append(progress); lock.unlock() }
    var all: [UploadProgress] { lock.lock(); defer { lock.unlock() }; return events }
}

/// The generated Swift against a real `gridwork serve` on loopback: the
/// same scenario as android/gridwork-core's SyncEndToEndTest.
final class SyncEndToEndTests: ServerTestCase {
    var url: String { server.url }

    /// A fresh one-time activation code for `user`.
    func codeFor(_ user: String) throws -> String { try server.codeFor(user) }

    func testACaseGoesFromTheWorkersPhoneToTheSecretarysAndBack() async throws {
        let workerSecrets = MemorySecrets()
        let worker = try GridworkStore.open(dbPath: dir.appendingPathComponent("w1.db").path, secrets: workerSecrets)
        let secretary = try GridworkStore.open(dbPath: dir.appendingPathComponent("s1.db").path, secrets: MemorySecrets())
        do {
            _ = try await worker.activate(serverUrl: url, code: "AAAAA-AAAAA", deviceName: "phone")
            XCTFail("a wrong code was accepted")
        } catch let e as GridworkError {
            XCTAssertEqual(e.invalidField, "code")
        }
        let me = try await worker.activate(serverUrl: url, code: try codeFor("w1"), deviceName: "张网格的手机")
        XCTAssertEqual(me.id, "w1")
        XCTAssertTrue(workerSecrets.map["gridwork.device_credential"]?.hasPrefix("gwd_") ?? false)
        _ = try worker.signIn(userId: "w1")
        let progress = RecordingListener()
        let first = try await worker.sync(listener: progress)
        XCTAssertGreaterThan(first.pulled.upserted, 10)
        XCTAssertTrue(progress.all.contains { $0.phase == .pull && $0.itemsDone > 0 })
        XCTAssertEqual(try worker.myGrids().map(\.code), ["G1"])

        let t = try worker.checklistFor(householdCode: "H001")
        let outcome = try worker.recordVisit(input: VisitInput(
            householdCode: "H001", patrolId: nil, templateId: t.id, templateVersion: t.version,
            answers: [
                Answer(itemCode: "ep.symptoms", value: .choices(["none"])),
                Answer(itemCode: "ws.gas_use", value: .choice("lpg")),
                Answer(itemCode: "ws.gas_smell", value: .yesNo(false)),
                Answer(itemCode: "ws.gas_cylinder_hose", value: .choices(["hose_aged"])),
                Answer(itemCode: "rs.house_condition", value: .choice("sound")),
            ],
            notes: "", fix: locationFix(lat: 22.5016, lon: 113.9016, accuracyM: 8), photos: []))
        let id = try worker.reportCase(draft: outcome.drafts[0], photos: [], onSpot: nil).case.id
        let pushed = try await worker.sync(listener: nil)
        XCTAssertEqual(pushed.pushed.rejected, 0)
        XCTAssertEqual(try worker.pendingOperations(), 0)

        _ = try await secretary.activate(serverUrl: url, code: try codeFor("s1"), deviceName: "王书记的手机")
        _ = try secretary.signIn(userId: "s1")
        _ = try await secretary.sync(listener: nil)
        XCTAssertEqual(try secretary.caseDetail(caseId: id).case.state, .reported)
        _ = try secretary.actOnCase(caseId: id, action: .file(difficulty: .normal, note: ""), photos: [])
        _ = try secretary.actOnCase(caseId: id, action: .dismiss(reason: "已由燃气公司上门处理"), photos: [])
        _ = try await secretary.sync(listener: nil)

        _ = try await worker.sync(listener: nil)
        let screen = try worker.caseDetail(caseId: id)
        XCTAssertEqual(screen.case.state, .closed)
        XCTAssertEqual(screen.case.dismissed, "已由燃气公司上门处理")
        XCTAssertNil(screen.chainBreak)
        XCTAssertTrue(try worker.conflicts(unseenOnly: true).isEmpty)
    }

    /// The upload queue through the bindings, as android's SyncEndToEndTest:
    /// status, network policy, the shell-driven job round trip (answers fed
    /// back as a background URLSession would), retry now.
    func testAPhotoWaitsForSyncObeysTheNetworkPolicyAndGoesThroughShellDrivenJobs() async throws {
        let worker = try GridworkStore.open(dbPath: dir.appendingPathComponent("w1.db").path, secrets: MemorySecrets())
        _ = try await worker.activate(serverUrl: url, code: try codeFor("w1"), deviceName: "张网格的手机")
        _ = try worker.signIn(userId: "w1")
        _ = try await worker.sync(listener: nil)
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF]
        bytes += (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let file = dir.appendingPathComponent("hose.jpg")
        try Data(bytes).write(to: file)
        let t = try worker.checklistFor(householdCode: "H001")
        _ = try worker.recordVisit(input: VisitInput(
            householdCode: "H001", patrolId: nil, templateId: t.id, templateVersion: t.version,
            answers: [
                Answer(itemCode: "ep.symptoms", value: .choices(["none"])),
                Answer(itemCode: "ws.gas_use", value: .choice("lpg")),
                Answer(itemCode: "ws.gas_smell", value: .yesNo(false)),
                Answer(itemCode: "rs.house_condition", value: .choice("sound")),
            ],
            notes: "", fix: locationFix(lat: 22.5016, lon: 113.9016, accuracyM: 8), photos: [jpegPhoto(file)]))

        var status = try worker.uploadQueueStatus()
        XCTAssertEqual(status.waiting, 1)
        XCTAssertEqual(status.bytesWaiting, UInt64(bytes.count))
        XCTAssertEqual(status.items.first?.blockedBy, .awaitingSync)
        XCTAssertNil(try worker.nextUploadJob())
        _ = try await worker.sync(listener: nil)

        try worker.setUploadNetworkPolicy(policy: .unmeteredOnly)
        try worker.setNetworkKind(kind: .metered)
        status = try worker.uploadQueueStatus()
        XCTAssertEqual(status.policy, .unmeteredOnly)
        XCTAssertEqual(status.items.first?.blockedBy, .network)
        XCTAssertNil(try worker.nextUploadJob())
        try worker.setNetworkKind(kind: .unmetered)

        let create = try XCTUnwrap(try worker.nextUploadJob())
        XCTAssertEqual(create.step, .create)
        XCTAssertEqual(create.url, "\(url)/v1/uploads")
        XCTAssertTrue(create.headers.contains { $0.name == "Tus-Resumable" && $0.value == "1.0.0" })
        XCTAssertEqual(try worker.reportUploadResult(jobId: create.jobId, httpStatus: 201, uploadOffsetHeader: nil,
                                                     locationHeader: "/v1/uploads/u1", body: nil, error: nil), .progressed)
        let head = try XCTUnwrap(try worker.nextUploadJob())
        XCTAssertEqual(head.step, .head)
        XCTAssertEqual(head.url, "\(url)/v1/uploads/u1")
        XCTAssertEqual(try worker.reportUploadResult(jobId: head.jobId, httpStatus: 200, uploadOffsetHeader: "0",
                                                     locationHeader: nil, body: nil, error: nil), .progressed)
        let patch = try XCTUnwrap(try worker.nextUploadJob())
        XCTAssertEqual(patch.step, .patch)
        XCTAssertEqual(patch.length, UInt64(bytes.count))
        XCTAssertTrue(patch.headers.contains { $0.name == "Upload-Checksum" })
        XCTAssertEqual(try worker.reportUploadResult(jobId: patch.jobId, httpStatus: nil, uploadOffsetHeader: nil,
                                                     locationHeader: nil, body: nil, error: "timeout"), .retryLater)
        status = try worker.uploadQueueStatus()
        XCTAssertEqual(status.items.first?.blockedBy, .backoff)
        XCTAssertTrue(status.items.first?.reason?.contains("网络中断") ?? false)
        XCTAssertNil(try worker.nextUploadJob())

        XCTAssertEqual(try worker.retryUploadsNow(), 1)
        let again = try XCTUnwrap(try worker.nextUploadJob())
        XCTAssertEqual(again.step, .head)
        XCTAssertEqual(try worker.reportUploadResult(jobId: again.jobId, httpStatus: 200, uploadOffsetHeader: String(bytes.count),
                                                     locationHeader: nil, body: nil, error: nil), .stored)
        status = try worker.uploadQueueStatus()
        XCTAssertEqual(status.stored, 1)
        XCTAssertEqual(status.bytesOnDevice, 0)
        XCTAssertTrue(status.items.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: patch.filePath ?? ""))

        // The core's own uploader (async, with a listener): nothing is left.
        let uploads = RecordingUploadListener()
        let report = try await worker.uploadEvidence(listener: uploads, network: .unmetered)
        XCTAssertEqual(report.stored, 0)
        XCTAssertEqual(report.requests, 0)
        XCTAssertEqual(uploads.all.first?.itemsTotal, 0)
        XCTAssertEqual(try worker.uploadQueueStatus().network, .unmetered)
    }

    /// A visit with one photo, pushed so that the server knows its record.
    func visitWithPhoto(_ worker: GridworkStore, household: String, name: String, bytes: Data) async throws -> String {
        let file = dir.appendingPathComponent(name)
        try bytes.write(to: file)
        let t = try worker.checklistFor(householdCode: household)
        let outcome = try worker.recordVisit(input: VisitInput(
            householdCode: household, patrolId: nil, templateId: t.id, templateVersion: t.version,
            answers: [
                Answer(itemCode: "ep.symptoms", value: .choices(["none"])),
                Answer(itemCode: "ws.gas_use", value: .choice("lpg")),
                Answer(itemCode: "ws.gas_smell", value: .yesNo(false)),
                Answer(itemCode: "rs.house_condition", value: .choice("sound")),
            ],
            notes: "", fix: locationFix(lat: 22.5016, lon: 113.9016, accuracyM: 8), photos: [jpegPhoto(file)]))
        _ = try await worker.sync(listener: nil)
        return try XCTUnwrap(outcome.evidence.first?.id)
    }

    /// Photo-like bytes: a JPEG start marker, then noise (a seeded LCG).
    func photoBytes(_ size: Int, seed: UInt64) -> Data {
        var x = seed &* 6364136223846793005 &+ 1442695040888963407
        var bytes = [UInt8](repeating: 0, count: size)
        for i in 0..<size {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: x >> 33)
        }
        bytes[0] = 0xFF; bytes[1] = 0xD8; bytes[2] = 0xFF
        return Data(bytes)
    }

    /// One request with Foundation's URLSession (FoundationNetworking on
    /// Linux, over libcurl): status, headers (lower-cased names), body.
    func send(_ session: URLSession, _ request: URLRequest) async throws -> (Int, [String: String], Data) {
        try await withCheckedThrowingContinuation { cont in
            session.dataTask(with: request) { data, response, error in
                if let error { cont.resume(throwing: error); return }
                guard let http = response as? HTTPURLResponse else {
                    cont.resume(throwing: URLError(.badServerResponse)); return
                }
                var headers: [String: String] = [:]
                for (k, v) in http.allHeaderFields {
                    headers[String(describing: k).lowercased()] = String(describing: v)
                }
                cont.resume(returning: (http.statusCode, headers, data ?? Data()))
            }.resume()
        }
    }

    /// Real bytes through the bindings to the real server, as android's
    /// SyncEndToEndTest: (a) the shell-driven mode carried by this test with
    /// URLSession, as a background URLSession would (each job's bytes read
    /// from its file at its offset and length, the real answer fed back)
    /// until the queue says stored; (b) the core's own uploader (async, with
    /// progress) for a second photo. The server then serves both photos
    /// byte-identical.
    func testPhotosReachTheRealServerByteIdenticalThroughShellDrivenJobsAndTheCoresUploader() async throws {
        let secrets = MemorySecrets()
        let worker = try GridworkStore.open(dbPath: dir.appendingPathComponent("w1.db").path, secrets: secrets)
        _ = try await worker.activate(serverUrl: url, code: try codeFor("w1"), deviceName: "张网格的手机")
        _ = try worker.signIn(userId: "w1")
        _ = try await worker.sync(listener: nil)
        let token = try XCTUnwrap(secrets.map["gridwork.device_credential"])
        try worker.setNetworkKind(kind: .unmetered)
        let config = URLSessionConfiguration.ephemeral
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: config)

        // (a) Shell-driven: this test is the background transfer.
        let first = photoBytes(300_000, seed: 1)
        let firstId = try await visitWithPhoto(worker, household: "H001", name: "first.jpg", bytes: first)
        var steps: [UploadStep] = []
        var outcome: UploadOutcome = .progressed
        while outcome != .stored {
            XCTAssertLessThan(steps.count, 10, "no progress after \(steps)")
            if steps.count >= 10 { return }
            let job = try XCTUnwrap(try worker.nextUploadJob(), "no job while the photo is not stored")
            XCTAssertEqual(job.evidenceId, firstId)
            steps.append(job.step)
            var request = URLRequest(url: try XCTUnwrap(URL(string: job.url)))
            request.httpMethod = job.method
            for h in job.headers { request.setValue(h.value, forHTTPHeaderField: h.name) }
            if let path = job.filePath, job.length > 0 {
                let handle = try XCTUnwrap(FileHandle(forReadingAtPath: path))
                try handle.seek(toOffset: job.offset)
                let body = try XCTUnwrap(try handle.read(upToCount: Int(job.length)))
                try handle.close()
                XCTAssertEqual(body.count, Int(job.length))
                request.httpBody = body
            }
            let (status, headers, body) = try await send(session, request)
            let text = String(decoding: body, as: UTF8.self)
            outcome = try worker.reportUploadResult(
                jobId: job.jobId, httpStatus: UInt16(status), uploadOffsetHeader: headers["upload-offset"],
                locationHeader: headers["location"], body: text.isEmpty ? nil : text, error: nil)
            XCTAssertTrue(outcome == .progressed || outcome == .stored, "\(job.step) answered \(status) \(text): \(outcome)")
            if outcome != .progressed && outcome != .stored { return }
        }
        // Create (no body for a shell), then the whole file in one PATCH.
        XCTAssertEqual(steps, [.create, .patch])
        XCTAssertNil(try worker.nextUploadJob())
        var status = try worker.uploadQueueStatus()
        XCTAssertEqual(status.stored, 1)
        XCTAssertEqual(status.bytesOnDevice, 0, "the stored photo left the phone")

        // (b) The core's own uploader for a second photo.
        let second = photoBytes(450_000, seed: 2)
        let secondId = try await visitWithPhoto(worker, household: "H002", name: "second.jpg", bytes: second)
        let progress = RecordingUploadListener()
        let report = try await worker.uploadEvidence(listener: progress, network: .unmetered)
        XCTAssertEqual(report.stored, 1)
        XCTAssertEqual(report.failed, 0)
        XCTAssertGreaterThanOrEqual(report.bytesSent, UInt64(second.count))
        XCTAssertGreaterThanOrEqual(progress.all.count, 2)
        XCTAssertEqual(progress.all.last?.itemsDone, 1)
        XCTAssertEqual(progress.all.last?.bytesDone, UInt64(second.count))
        status = try worker.uploadQueueStatus()
        XCTAssertEqual(status.stored, 2)
        XCTAssertEqual(status.waiting + status.uploading + status.failed, 0)

        // The server holds both, byte for byte.
        for (id, bytes) in [(firstId, first), (secondId, second)] {
            var request = URLRequest(url: try XCTUnwrap(URL(string: "\(url)/v1/evidence/\(id)/content")))
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue("1", forHTTPHeaderField: "X-Gridwork-Protocol")
            let (code, _, served) = try await send(session, request)
            XCTAssertEqual(code, 200, id)
            XCTAssertEqual(served.count, bytes.count, id)
            XCTAssertTrue(served == bytes, "\(id): the server's copy differs")
            XCTAssertEqual(try worker.evidence(evidenceId: id).uploadState, .stored)
        }
    }
}
