// Times as the screens show them, in the grid's time zone (China time):
// "14:05" today, "12-03 14:05" on another day. Countdowns and masked
// numbers are the core's words and are shown as given.

import Foundation

public enum TimeText {
    /// Where the grids are.
    public static let china = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3_600) ?? .current

    public static func short(_ at: Date, timeZone: TimeZone = china, now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = calendar.isDate(at, inSameDayAs: now) ? "HH:mm" : "MM-dd HH:mm"
        return formatter.string(from: at)
    }
}
