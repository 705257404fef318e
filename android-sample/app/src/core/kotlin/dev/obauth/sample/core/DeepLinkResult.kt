// What became of an App Link the app was opened with. The core decides (`handleRedirect`);
// this names the outcomes the Activity may want to tell the user about.
package dev.obauth.sample.core

import dev.obauth.detail
import dev.obauth.ffi.RedirectOutcome

sealed class DeepLinkResult {
    /** The login took it (a code, or the bank's error); the state stream shows what follows. */
    object Handled : DeepLinkResult() {
        override fun toString() = "Handled"
    }

    /** Not a redirect of the login in progress: the app handles the link as it normally would. */
    object NotOurs : DeepLinkResult() {
        override fun toString() = "NotOurs"
    }

    /** A redirect, but no login is in progress or saved (e.g. opened twice, or after sign-out). */
    object NoLoginInProgress : DeepLinkResult() {
        override fun toString() = "NoLoginInProgress"
    }

    /** Ours but changes nothing (a duplicate, or the login already ended): nothing to show. */
    data class Ignored(val reason: String) : DeepLinkResult()

    /** Ours but refused (forged, malformed, no code); the login keeps waiting for a valid one. */
    data class Rejected(val detail: String) : DeepLinkResult()

    companion object {
        fun of(outcome: RedirectOutcome): DeepLinkResult = when (outcome) {
            RedirectOutcome.NotForThisFlow -> NotOurs
            RedirectOutcome.CodeAccepted, is RedirectOutcome.ProviderError -> Handled
            is RedirectOutcome.Ignored -> Ignored(outcome.reason.name)
            is RedirectOutcome.Rejected -> Rejected(outcome.error.detail)
        }
    }
}
