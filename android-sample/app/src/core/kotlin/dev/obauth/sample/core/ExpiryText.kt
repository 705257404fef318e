// Token expiry as the success screen says it ("in 59 min"). Pure, so the JVM tests pin it.
package dev.obauth.sample.core

import java.time.Duration
import java.time.Instant

object ExpiryText {
    /** How long until [expires], coarsely: seconds are noise to a user. */
    fun describe(expires: Instant, now: Instant = Instant.now()): String {
        val left = Duration.between(now, expires)
        return when {
            left.isNegative || left.isZero -> "expired"
            left < Duration.ofMinutes(1) -> "in less than a minute"
            left < Duration.ofHours(2) -> "in ${left.toMinutes()} min"
            left < Duration.ofDays(2) -> "in ${left.toHours()} h"
            else -> "in ${left.toDays()} days"
        }
    }
}
