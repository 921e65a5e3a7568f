// The system camera (UIImagePickerController): the JPEG is written into
// the app's container at the file the visit already named in its draft,
// before anything is recorded.

import Foundation
import UIKit

import GridworkScreens

final class PickerCamera: NSObject, Camera, UIImagePickerControllerDelegate, UINavigationControllerDelegate, @unchecked Sendable {
    private let folder: URL
    private var pending: (file: URL, done: CheckedContinuation<Bool, Never>)?

    init(folder: URL) { self.folder = folder }

    func newPhotoFile() -> URL {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("photo-\(UUID().uuidString).jpg")
    }

    func takePhoto(into file: URL) async -> Bool {
        await withCheckedContinuation { cont in
            DispatchQueue.main.async {
                guard UIImagePickerController.isSourceTypeAvailable(.camera),
                      var top = UIApplication.shared.connectedScenes.compactMap({ ($0 as? UIWindowScene)?.keyWindow }).first?.rootViewController
                else { return cont.resume(returning: false) }
                // Over whatever is showing (a sheet, an alert's parent).
                while let presented = top.presentedViewController { top = presented }
                self.pending = (file, cont)
                let picker = UIImagePickerController()
                picker.sourceType = .camera
                picker.delegate = self
                top.present(picker, animated: true)
            }
        }
    }

    func imagePickerController(_ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
        picker.dismiss(animated: true)
        guard let pending else { return }
        self.pending = nil
        let image = info[.originalImage] as? UIImage
        let written = (try? image?.jpegData(compressionQuality: 0.8)?.write(to: pending.file, options: .atomic)) != nil
        pending.done.resume(returning: written)
    }

    func imagePickerControllerDidCancel(_ picker: UIImagePickerController) {
        picker.dismiss(animated: true)
        pending?.done.resume(returning: false)
        pending = nil
    }
}
