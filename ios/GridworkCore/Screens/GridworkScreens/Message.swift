// What a screen tells the person: the core's own words (bilingual, as the
// core writes them) or one of the app's texts, resolved in the chosen
// language when drawn. Models never pick a language.

import Foundation

import GridworkCore
import GridworkKit

public enum Language: String, Sendable, CaseIterable {
    case zh
    case en
}

/// A message for the screen.
public enum Message: Equatable, Sendable {
    /// Text from the core, "中文 / English" (or Chinese only).
    case core(String)
    /// One of the app's own texts.
    case app(AppText)

    /// What to tell a person about a failed core call.
    public static func of(_ error: Error) -> Message {
        switch error {
        case GridworkError.Network: return .app(.noNetwork)
        case let e as GridworkError: return .core(e.userMessage)
        default: return .core("出错了 / something went wrong: \(error)")
        }
    }

    public func text(_ language: Language) -> String {
        switch self {
        case let .core(bilingual): return pick(bilingual, language)
        case let .app(text): return text.text(language)
        }
    }
}

/// The half of the core's "中文 / English" for [language]; text without an
/// English half is shown as it is.
public func pick(_ bilingual: String, _ language: Language) -> String {
    guard let split = bilingual.range(of: " / ") else { return bilingual }
    switch language {
    case .zh: return String(bilingual[..<split.lowerBound])
    case .en: return String(bilingual[split.upperBound...])
    }
}
