//! Headless Chromium for page tests: [`Browser`] runs `browser/harness.mjs` (playwright-core
//! driving Debian's `/usr/bin/chromium`) and sends it sessions, one JSON line each. A session
//! fails on any console error, page error, dialog, failed request or unexpected HTTP error
//! status (see the harness's header); [`Browser::run`] panics then, naming them.
//!
//! Self-contained (serde_json and std only) so other test crates can include it with
//! `#[path = "…/support/browser.rs"] mod browser;` — the operator console's tests too.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::OnceLock;

use serde_json::{json, Value};

/// The workspace root.
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where screenshots go: `target/browser-artifacts/` (beside the test binaries' tmp dir).
pub fn artifacts_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map(|t| t.join("browser-artifacts"))
        .unwrap_or_else(|| tmp.join("browser-artifacts"))
}

/// Runs `scripts/browser.sh` once per test binary (chromium, CJK fonts, playwright-core);
/// FAILS (never skips) with its message.
pub fn ensure_browser() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let script = workspace().join("scripts/browser.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}): the browser tests need Chromium and playwright-core.\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(msg) = ready {
        panic!("{msg}");
    }
}

/// One browser process for the life of a test.
pub struct Browser {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Browser {
    /// Installs what is missing, then starts Chromium.
    pub fn launch() -> Browser {
        ensure_browser();
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).expect("create the artifacts directory");
        let mut child = Command::new("node")
            .arg(workspace().join("browser/harness.mjs"))
            .current_dir(workspace().join("browser"))
            .env("ZHIMA_BROWSER_ARTIFACTS", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node browser/harness.mjs: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Browser {
            child,
            stdin,
            stdout,
        }
    }

    /// Runs one session (`{"name", "width", "steps"}`) and returns its step results; panics
    /// with the harness's errors when it is not clean.
    #[track_caller]
    pub fn run(&mut self, session: Value) -> Vec<Value> {
        let out = self.try_run(&session);
        if out["ok"] != true {
            panic!(
                "browser session {} failed:\n  {}\nsession: {session}\nsteps so far: {}",
                session["name"],
                out["errors"]
                    .as_array()
                    .map(|e| e
                        .iter()
                        .map(|x| x.as_str().unwrap_or("?").to_owned())
                        .collect::<Vec<_>>()
                        .join("\n  "))
                    .unwrap_or_default(),
                out["steps"]
            );
        }
        out["steps"].as_array().cloned().unwrap_or_default()
    }

    /// Runs one session and returns the harness's whole answer (`ok`, `errors`, `steps`).
    pub fn try_run(&mut self, session: &Value) -> Value {
        writeln!(self.stdin, "{session}").expect("write to the browser harness");
        self.stdin.flush().expect("flush the browser harness");
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .expect("read from the browser harness");
        assert!(n > 0, "the browser harness exited (see its stderr above)");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the browser harness answered {line:?}: {e}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The texts of step `i` under `key` (an `extract` step's answer).
#[track_caller]
pub fn texts(steps: &[Value], i: usize, key: &str) -> Vec<String> {
    steps[i]["texts"][key]
        .as_array()
        .unwrap_or_else(|| panic!("step {i} has no texts for {key}: {}", steps[i]))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `{"goto": url, "status": status}`.
pub fn goto(url: &str, status: u16) -> Value {
    json!({"goto": url, "status": status})
}

/// `{"extract": {key: css, …}}`.
pub fn extract(pairs: &[(&str, &str)]) -> Value {
    let map: serde_json::Map<String, Value> = pairs
        .iter()
        .map(|(k, css)| (k.to_string(), json!(css)))
        .collect();
    json!({ "extract": map })
}

/// Full-page screenshots `name-375.png` and `name-1280.png`.
pub fn screenshots(name: &str) -> Value {
    json!({"screenshot": name, "widths": [375, 1280]})
}
