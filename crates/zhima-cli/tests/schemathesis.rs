//! Schemathesis (PyPI, pinned in `interop/schemathesis/requirements.txt`) against a live
//! `zhima serve`: it generates requests for every operation of `/v3/openapi.json` (valid and
//! invalid ones), `interop/schemathesis/hooks.py` signs each one as a merchant would, and the
//! checks below judge every answer. Fails with schemathesis's report on any failure, and fails
//! (never skips) when schemathesis cannot be installed.

mod serve_process;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serve_process::ServeProcess;

/// The checks, chosen explicitly. Left out, because they call legitimate business refusals
/// failures: `negative_data_rejection` (the gateway accepts a number where the official models
/// declare a string, as Alipay's does, and ignores unknown fields), `positive_data_acceptance`
/// (a schema-valid request names agreements, templates and preorders that do not exist, so it is
/// rightly refused), `use_after_free` / `ensure_resource_availability` (no resource is ever
/// deleted; "not found" answers are business codes), `missing_required_header` / `ignored_auth`
/// (every request is signed by the hook on purpose), `unsupported_method` and
/// `allow_header_conformance` (405 is answered in the signed v3 error form, without `Allow`).
const CHECKS: &[&str] = &[
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    // hooks.py: every answer carries a platform signature that verifies.
    "platform_signature",
];

/// Examples per operation in the fuzzing phase (the coverage phase adds its own deterministic
/// boundary cases); with the seed, every run sends the same requests. (The examples phase has
/// nothing to run: the description carries no examples.)
const MAX_EXAMPLES: &str = "100";
const SEED: &str = "20261203";

/// The whole run's budget: well beyond the usual run, so a slow machine does not fail it.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn zhima() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_zhima"))
}

/// Runs `interop/schemathesis/setup.sh` (idempotent) and returns the schemathesis binary.
fn install_schemathesis() -> PathBuf {
    let dir = workspace().join("interop/schemathesis");
    let script = dir.join("setup.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed ({}): schemathesis is required by this test (python3 >= 3.11 and PyPI).\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = dir.join(".venv/bin/schemathesis");
    assert!(bin.is_file(), "{} is missing after setup", bin.display());
    bin
}

#[test]
fn schemathesis_finds_no_server_error_schema_violation_or_unsigned_answer() {
    let schemathesis = install_schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::spawn(
        zhima(),
        &["--listen", "127.0.0.1:0"],
        dir.path(),
        Duration::from_secs(60),
    )
    .unwrap();
    let base = server.base_url().to_owned();
    let hooks = workspace().join("interop/schemathesis/hooks.py");
    // Output goes to a file: a pipe nobody reads while waiting could fill up and stall it.
    let log_path = dir.path().join("schemathesis.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let started = Instant::now();
    let mut child = Command::new(&schemathesis)
        .arg("run")
        .arg(format!("{base}/v3/openapi.json"))
        .args(["--url", &base])
        .args(["--checks", &CHECKS.join(",")])
        .args(["--phases", "coverage,fuzzing"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        // One worker: the 2 cores are shared with the server (and other tests).
        .args(["--workers", "1", "--request-timeout", "30", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .env("ZHIMA_DATA_DIR", dir.path().join("zhima-data"))
        // Hypothesis keeps its example database and schemathesis its reports in the cwd.
        .current_dir(dir.path())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", schemathesis.display()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let report = String::from_utf8_lossy(&std::fs::read(&log_path).unwrap()).into_owned();
    println!("{report}\n(schemathesis took {:?})", started.elapsed());
    assert!(
        started.elapsed() <= RUN_TIMEOUT,
        "schemathesis did not finish within {RUN_TIMEOUT:?}:\n{report}"
    );
    assert!(
        status.success(),
        "schemathesis reported failures ({status}):\n{report}\n--- zhima serve stderr ---\n{}",
        server.stderr()
    );
    // The run really tested every v3 operation (12 of them).
    assert!(
        report.contains("12 selected") || report.contains("12 total"),
        "schemathesis did not test the 12 v3 operations:\n{report}"
    );
    server.terminate(Duration::from_secs(15)).unwrap();
}
