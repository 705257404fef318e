//! Benchmark: the cold path an app pays once per launch — library load, runtime start, first
//! client, first request — p50 over repeated process starts.
//!
//! Run with `cargo run -p obauth-e2e --release --bin bench_cold [LIB] [RUNS]`, LIB being the
//! shipped library to load (default `target/size/out/ffi.so`, the stripped-before-copy
//! release-mobile build of `bindings/scripts/measure-size.sh`; `-` skips the load), RUNS 30 by
//! default. A sandbox runs in a child process; each run is a fresh process that measures, in order:
//!
//! - **load**: `dlopen(LIB, RTLD_NOW)` — mapping, relocations and initialisers of the library
//!   an app loads (JNA's `Native.load`, the dynamic loader at an iOS app's launch);
//! - **runtime**: `obauth::host::runtime()` — ObAuth's I/O thread and tokio runtime, started
//!   lazily by the first call that needs them;
//! - **client**: `Client::with_runtime` — configuration checks and the HTTP client (the TLS
//!   configuration with the platform verifier's trust store is built here);
//! - **first request**: a supervised login from `start()` to AwaitingUser — the initialize
//!   request on a new (loopback, plain HTTP) connection and the state delivered.
//!
//! The load is of the FFI library; the rest runs in the benchmark's own statically linked copy
//! of the core (the same code, without the foreign-language layer on top).

use std::ffi::CString;
use std::process::Command;
use std::time::{Duration, Instant};

use obauth::{Client, ClientConfig, LoginState, SupervisedLoginParams};
use obauth_e2e::REDIRECT_URL;
use obauth_e2e::bench::{
    SANDBOX_CHILD, percentile, printed_numbers, serve_sandbox_child, spawn_sandbox,
};

const RUN_CHILD: &str = "--run-child";
const PHASES: [&str; 5] = ["load", "runtime", "client", "first request", "total"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(SANDBOX_CHILD) => serve_sandbox_child(&args[1..]),
        Some(RUN_CHILD) => run_once(&args[1], &args[2]),
        _ => {
            let lib = args
                .first()
                .cloned()
                .unwrap_or_else(|| "target/size/out/ffi.so".into());
            let runs = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(30);
            orchestrate(&lib, runs);
        }
    }
}

fn orchestrate(lib: &str, runs: usize) {
    let exe = std::env::current_exe().expect("the benchmark knows its executable");
    let sandbox = spawn_sandbox(Duration::from_secs(120));
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); PHASES.len() + 1];
    for _ in 0..runs {
        let started = Instant::now();
        let out = Command::new(&exe)
            .args([RUN_CHILD, lib, &sandbox.base_url])
            .output()
            .expect("the measured process runs");
        let process = started.elapsed().as_secs_f64() * 1000.0;
        let (line, values) = printed_numbers(&out.stdout);
        assert!(
            out.status.success() && values.len() == PHASES.len(),
            "{line}"
        );
        for (i, v) in values.into_iter().enumerate() {
            samples[i].push(v);
        }
        samples[PHASES.len()].push(process);
    }
    println!("{runs} process starts, library {lib}\n");
    println!("| phase | p50 | p90 | max |");
    println!("|---|---|---|---|");
    for (i, name) in PHASES
        .iter()
        .chain(["whole process (exec to exit)"].iter())
        .enumerate()
    {
        let s = &mut samples[i];
        let max = s.iter().copied().fold(0.0, f64::max);
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
            percentile(s, 50.0),
            percentile(s, 90.0),
            max
        );
    }
}

/// One cold start; prints the phases in milliseconds.
fn run_once(lib: &str, base_url: &str) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let t0 = Instant::now();
    if lib != "-" {
        let path = CString::new(lib).expect("a path without NUL");
        // SAFETY: dlopen with a valid C string; the handle is never closed (as in an app).
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!handle.is_null(), "cannot load {lib}");
    }
    let load = t0.elapsed();
    let t1 = Instant::now();
    let runtime = obauth::host::runtime();
    let started_runtime = t1.elapsed();
    let t2 = Instant::now();
    let config = ClientConfig::new(base_url, "sandbox-client-id", "sandbox-client-secret");
    let client = Client::with_runtime(config, runtime).expect("a valid client configuration");
    let built = t2.elapsed();
    let t3 = Instant::now();
    let login = client
        .supervised_login(SupervisedLoginParams::new("cold-start-user", REDIRECT_URL))
        .expect("valid login parameters");
    login.start();
    while !matches!(login.state(), LoginState::AwaitingUser { .. }) {
        assert!(t3.elapsed() < Duration::from_secs(30), "no AwaitingUser");
        std::thread::sleep(Duration::from_micros(200));
    }
    let first = t3.elapsed();
    login.cancel();
    println!(
        "{:.3} {:.3} {:.3} {:.3} {:.3}",
        ms(load),
        ms(started_runtime),
        ms(built),
        ms(first),
        ms(t0.elapsed())
    );
}
