//! The supervised-login machine driven by a script (see `obauth_fuzz::script` and
//! `obauth_fuzz::supervised`): arbitrary status codes, headers and bodies as the answers to
//! initialize, status and exchange in every phase, arbitrary redirects (only hints: a code is
//! exchanged only once a status answer reports it), timers, wall-clock and monotonic time
//! moving apart, cancel, restore and resume, partner and relay mode, with the machine's
//! invariants checked after every step.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: obauth_fuzz::maybe_write_seeds("supervised_responses"), |data: &[u8]| {
    obauth_fuzz::supervised::run(data);
});
