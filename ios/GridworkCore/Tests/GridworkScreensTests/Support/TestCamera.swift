import Foundation

import GridworkScreens

/// A camera that writes real JPEGs (a 64×48 picture with the shot number
/// in a comment segment, so every shot differs) into the app's folder, as
/// the system picker writes into the container. `nextIsEmpty` leaves a
/// zero-byte file, as a camera killed mid-write does; `nextKillsTheApp`
/// writes the photo and never returns, as when the camera gets the app
/// killed before its result comes back.
final class TestCamera: Camera, @unchecked Sendable {
    private let dir: URL
    private let lock = NSLock()
    private var shots = 0
    var nextIsEmpty = false
    var nextKillsTheApp = false

    init(dir: URL) { self.dir = dir }

    func newPhotoFile() -> URL {
        lock.lock()
        defer { lock.unlock() }
        shots += 1
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(String(format: "IMG_%04d.jpg", shots))
    }

    /// What the next shot does, read once (and reset) under the lock.
    private func nextShot() -> (empty: Bool, kill: Bool, n: Int) {
        lock.lock()
        defer { lock.unlock() }
        let shot = (nextIsEmpty, nextKillsTheApp, shots)
        nextIsEmpty = false
        nextKillsTheApp = false
        return shot
    }

    func takePhoto(into file: URL) async -> Bool {
        let (empty, kill, n) = nextShot()
        if empty {
            return FileManager.default.createFile(atPath: file.path, contents: Data())
        }
        guard (try? Self.jpeg(shot: n).write(to: file)) != nil else { return false }
        if kill {
            // The app is gone: no answer ever comes back (bounded, for the test's sake).
            for _ in 0..<3_000 where !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
            return false
        }
        return true
    }

    /// A real JPEG: SOI, a COM segment naming the shot, then the picture.
    static func jpeg(shot: Int) -> Data {
        let picture = Data(base64Encoded: tinyJpeg) ?? Data()
        let comment = Data("gridwork test photo \(shot)".utf8)
        var out = Data([0xFF, 0xD8, 0xFF, 0xFE])
        let length = comment.count + 2
        out.append(contentsOf: [UInt8(length >> 8), UInt8(length & 0xFF)])
        out.append(comment)
        out.append(picture.dropFirst(2))
        return out
    }

    /// 64×48, written once by Java's ImageIO.
    private static let tinyJpeg = "/9j/4AAQSkZJRgABAgAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAwAEADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCrRRRXvnghRXQeFvC1x4iu9zborGI/vZgOv+yv+1/LqewPp9j4T0OxthCmm28uOS86CRmOAM5PTp0GB7Vz1cTCm7bs6KWGnUV9keIUV7pP4Z0O5haJ9JtArYyY4gjdc8MuCPzrzbxZ4Nl0HF1aNJPp5wGZsFom/wBrHY9j+HplUsVCo7bMdXDTgr7o5Siiiuk5gooooA9v8J2MNj4XsEhXHmwrM5IGWZwCc469cD2ArarM8O3YvvDmn3AlaVmgVXds5LgYbOep3A81p14c78zue5C3KrBVa/sYdSsJ7K4XMUyFG4GR7jPcdR7irNR3E8VrbS3EzbYokLu2CcKBknipV76Ddranz1RRRXvHhBRRRQB1fg3xZ/YMxtLoZ0+Z9zMB80TYA3e44GR7ZHofVbG/tNSthcWVxHPEf4kOcHAOD6HkcHmvn+iuWthY1HzJ2Z00sVKmuVq6PoWe4htYWmuJo4YlxueRgqjnHJNeZeM/GcWqwnTNMO6zbBlmZSDIQQQADyADjnqSPTrw9FKlhIwfM3cdXFSmuVKwUUUV1nKf/9k="
}
