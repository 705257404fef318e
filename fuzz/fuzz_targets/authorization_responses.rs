//! The authorization-code machine (Aiia connect and PKCE) driven by a script (see
//! `obauth_fuzz::script` and `obauth_fuzz::authorization`): token responses with ID tokens,
//! error bodies, forged and malformed redirects, timers, restore, with the machine's
//! invariants checked after every step.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: obauth_fuzz::maybe_write_seeds("authorization_responses"), |data: &[u8]| {
    obauth_fuzz::authorization::run(data);
});
