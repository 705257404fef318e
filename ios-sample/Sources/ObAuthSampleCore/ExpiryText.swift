// Token expiry as the success screen says it ("in 59 min"). Pure, so the tests pin it.

import Foundation

public enum ExpiryText {
    /// How long until `expires`, coarsely (truncated): seconds are noise to a user.
    public static func describe(_ expires: Date, now: Date = Date()) -> String {
        let left = expires.timeIntervalSince(now)
        switch left {
        case ...0: return "expired"
        case ..<60: return "in less than a minute"
        case ..<7_200: return "in \(Int(left / 60)) min"
        case ..<172_800: return "in \(Int(left / 3_600)) h"
        default: return "in \(Int(left / 86_400)) days"
        }
    }
}
