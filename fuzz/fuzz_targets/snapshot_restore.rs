//! Snapshot restore: arbitrary text, and real snapshots edited node by node, through all
//! three restores; a restored machine is resumed, redirected, timed out and cancelled, and
//! its snapshot must restore and re-encode to the same text (see `obauth_fuzz::snapshot`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: obauth_fuzz::maybe_write_seeds("snapshot_restore"), |data: &[u8]| {
    obauth_fuzz::snapshot::fuzz(data);
});
