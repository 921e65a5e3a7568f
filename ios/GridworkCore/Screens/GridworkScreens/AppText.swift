// The app's own words (everything else on screen is the core's). Chinese
// first; a text without both languages does not compile.

import Foundation

public enum AppText: Equatable, Sendable {
    case missingServer
    case missingCode
    case noNetwork
    case missingReason
    case photoUnreadable
    case lowStorage(freeMB: Int)

    public func text(_ language: Language) -> String {
        let (zh, en) = pair
        return language == .zh ? zh : en
    }

    private var pair: (String, String) {
        switch self {
        case .missingServer: return ("请填写服务器地址", "Enter the server address")
        case .missingCode: return ("请填写激活码", "Enter the activation code")
        case .noNetwork: return ("无法连接服务器，工作已保存在本机，稍后再同步", "Cannot reach the server; your work is saved on this phone, sync later")
        case .missingReason: return ("请填写原因", "Give a reason")
        case .photoUnreadable: return ("照片无法读取，请重拍", "The photo cannot be read; take it again")
        case let .lowStorage(mb): return ("手机存储空间不足（剩余 \(mb) MB），请尽快同步上传照片", "Low storage (\(mb) MB free): sync to upload photos soon")
        }
    }
}
