// The core's secret store on the Keychain: the device credential and the
// store's key, readable only on this device after its first unlock (so
// background sync can open the store), never in backups.

import Foundation
import Security

import GridworkCore

final class KeychainSecretStore: SecretStore, @unchecked Sendable {
    private let service = "org.gridwork.app"

    private func query(_ key: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: key]
    }

    func get(key: String) throws -> String? {
        var q = query(key)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var out: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &out)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = out as? Data else {
            throw GridworkError.Platform(reason: "钥匙串读取失败 / keychain read failed (\(status))")
        }
        return String(data: data, encoding: .utf8)
    }

    func put(key: String, value: String) throws {
        let data = Data(value.utf8)
        let attrs: [String: Any] = [kSecValueData as String: data,
                                    kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly]
        var status = SecItemUpdate(query(key) as CFDictionary, attrs as CFDictionary)
        if status == errSecItemNotFound {
            status = SecItemAdd(query(key).merging(attrs) { $1 } as CFDictionary, nil)
        }
        guard status == errSecSuccess else {
            throw GridworkError.Platform(reason: "钥匙串写入失败 / keychain write failed (\(status))")
        }
    }

    func delete(key: String) throws {
        let status = SecItemDelete(query(key) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw GridworkError.Platform(reason: "钥匙串删除失败 / keychain delete failed (\(status))")
        }
    }
}
