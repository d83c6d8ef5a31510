//! Shared by the keys/doctor/call/replay tests: throwaway keys on disk and running the real binary.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use zhima_proto::keys::PrivateKey;

/// "Now" for every test: one minute after the requests' timestamp.
pub const NOW: &str = "2024-05-20 10:01:00";
/// The v1 timestamp of the requests.
pub const TIMESTAMP: &str = "2024-05-20 10:00:00";
/// [`TIMESTAMP`] as v3 epoch milliseconds.
pub const TIMESTAMP_MS: &str = "1716170400000";

/// An app key pair and a platform key pair, written like `zhima serve` writes them.
pub struct Keys {
    pub dir: tempfile::TempDir,
    pub app: PrivateKey,
    pub platform: PrivateKey,
}

impl Keys {
    pub fn new() -> Self {
        let keys = Keys {
            dir: tempfile::tempdir().unwrap(),
            app: PrivateKey::generate().unwrap(),
            platform: PrivateKey::generate().unwrap(),
        };
        keys.write("app_private.pem", &keys.app.to_pkcs1_pem());
        keys.write("app_public.pem", &keys.app.public_key().to_spki_pem());
        keys.write("platform_private.pem", &keys.platform.to_pkcs1_pem());
        keys.write(
            "platform_public.pem",
            &keys.platform.public_key().to_spki_pem(),
        );
        keys
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `--app-private-key … --app-public-key … --platform-public-key …`, the usual slots.
    pub fn args(&self) -> Vec<String> {
        self.slot_args("app_private.pem", "app_public.pem", "platform_public.pem")
    }

    pub fn slot_args(
        &self,
        app_private: &str,
        app_public: &str,
        platform_public: &str,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, name) in [
            ("--app-private-key", app_private),
            ("--app-public-key", app_public),
            ("--platform-public-key", platform_public),
        ] {
            if !name.is_empty() {
                out.push(flag.to_string());
                out.push(self.path(name).display().to_string());
            }
        }
        out
    }
}

/// Runs `zhima` with `args`; returns (exit code, stdout, stderr).
pub fn zhima<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zhima"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().expect("exited normally"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs `zhima doctor … --json --now NOW`; returns (exit code, report).
pub fn doctor(args: &[String]) -> (i32, Value) {
    let mut all: Vec<String> = vec!["doctor".into(), "--json".into(), "--now".into(), NOW.into()];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = zhima(&all);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("doctor printed no JSON ({e}); exit {code}\nstdout: {stdout}\nstderr: {stderr}")
    });
    (code, report)
}

/// The finding codes of a report, in order.
pub fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// The error codes of a report.
pub fn errors(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts that the diagnosis is exactly `code` (the only error) and the exit code is 1.
pub fn assert_diagnosis(exit: i32, report: &Value, code: &str) {
    assert_eq!(errors(report), vec![code.to_string()], "report: {report:#}");
    assert_eq!(exit, 1, "an error finding exits 1");
    assert_eq!(report["ok"], false);
    let finding = &report["findings"][0];
    assert!(!finding["explanation"].as_str().unwrap().is_empty());
    assert!(!finding["fix"].as_str().unwrap().is_empty());
}

/// The explanation of a report's first finding.
pub fn first_explanation(report: &Value) -> &str {
    report["findings"][0]["explanation"].as_str().unwrap()
}

/// The spec's golden vectors directory (`../shared/spec/vectors` beside the repository).
pub fn vectors_dir() -> PathBuf {
    std::env::var_os("ZHIMA_SPEC_DIR")
        .map(|d| PathBuf::from(d).join("vectors"))
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/vectors")
        })
}

/// A real `zhima serve --listen 127.0.0.1:0 --data-dir <tmp>` (zero-config demo sandbox),
/// killed when dropped.
pub struct Serve {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`, read from the `listening on` line.
    pub base_url: String,
    /// The data directory (zhima.toml, keys/).
    pub dir: tempfile::TempDir,
}

impl Serve {
    pub fn start() -> Serve {
        Serve::start_in(tempfile::tempdir().unwrap())
    }

    /// Serves from `dir` (a data directory a previous `Serve` left behind, or a new one).
    pub fn start_in(dir: tempfile::TempDir) -> Serve {
        use std::io::BufRead as _;
        let mut child = Command::new(env!("CARGO_BIN_EXE_zhima"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Keep draining stdout after the first line so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        // A cold start generates three RSA keys on a busy 2-core machine.
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(base_url) => Serve {
                child,
                base_url,
                dir,
            },
            Err(_) => {
                let _ = child.kill();
                panic!("zhima serve printed no `listening on` line within 60 s");
            }
        }
    }

    pub fn key(&self, rel: &str) -> String {
        self.dir.path().join(rel).display().to_string()
    }

    /// `--from-data-dir DIR --base-url URL`.
    pub fn conn_args(&self) -> Vec<String> {
        vec![
            "--from-data-dir".into(),
            self.dir.path().display().to_string(),
            "--base-url".into(),
            self.base_url.clone(),
        ]
    }
}

impl Serve {
    /// Kills the server and hands back its data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A state-sync biz_content for the demo sandbox's "promise" state machine.
pub fn state_sync(out_biz_no: &str, state: &str) -> String {
    serde_json::json!({
        "user_id": "2088602002015001",
        "out_biz_no": out_biz_no,
        "out_principal_id": format!("movie-{out_biz_no}"),
        "biz_state_code": state,
        "category_code": "WATCH_MOVIE",
        "service_id": "2019080700000000000001800100",
        "biz_data": "{\"orderNo\":\"o-1\"}",
    })
    .to_string()
}

/// A v3 cumulation-sync body for the demo agreement (decoupled template, TASK).
pub fn cumulation_sync(out_biz_no: &str) -> String {
    serde_json::json!({
        "agreement_no": "20195108518085620000",
        "user_id": "2088602002015001",
        "partner_id": "2088621805983504",
        "out_biz_no": out_biz_no,
        "biz_action": "ORDER_PAID",
        "biz_time": "2024-05-20 10:00:00",
        "cumulate_data_type": "TASK",
        "task_type_data": {"name": "打车1次"},
        "request_from": "ExternalMerchantSource",
    })
    .to_string()
}
