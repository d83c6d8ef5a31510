//! The new-user path (PRODUCT §8, §10): in an empty directory, `zhima serve` with no config
//! creates `./zhima-data/`, starts, and the calls it prints succeed when pasted into a shell —
//! also after a restart, which must reuse the generated sandbox instead of making a new one.

mod support;

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use support::*;

/// The command lines the banner offers (`zhima call …`, `curl …`, `cargo run … -- call …`),
/// with `\` continuations joined and a leading `$ ` prompt dropped.
fn printed_commands(lines: &[String]) -> Vec<String> {
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in lines {
        let part = line.trim();
        match part.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(part);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    logical
        .into_iter()
        .map(|l| l.trim_start_matches("$ ").trim().to_string())
        .filter(|l| {
            ["zhima ", "curl ", "cargo run"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect()
}

/// Waits until the banner has printed at least one command and then stopped growing.
fn wait_for_commands(server: &Server) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = 0;
    loop {
        let lines = server.stdout_lines();
        let commands = printed_commands(&lines);
        if !commands.is_empty() && lines.len() == seen {
            return commands;
        }
        seen = lines.len();
        assert!(
            Instant::now() < deadline,
            "`zhima serve` printed no ready-to-paste call (PRODUCT §8) within 20 s:\n{}",
            server.stdout_text()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Runs a printed command line as a shell would, from `cwd`; the `zhima` it names is the
/// binary under test. Returns (success, stdout, stderr).
async fn run_printed(line: &str, cwd: &Path) -> (bool, String, String) {
    let words = shell_words::split(line)
        .unwrap_or_else(|e| panic!("the printed command is not valid shell ({e}): {line}"));
    let (program, args): (std::path::PathBuf, &[String]) = match words.first().map(String::as_str) {
        Some("zhima") => (zhima_bin(), &words[1..]),
        Some("cargo") => {
            let sep = words
                .iter()
                .position(|w| w == "--")
                .unwrap_or_else(|| panic!("`cargo run` line without `--`: {line}"));
            (zhima_bin(), &words[sep + 1..])
        }
        Some(other) => (other.into(), &words[1..]),
        None => panic!("empty command line"),
    };
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(args).current_dir(cwd).kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("the printed command did not finish within 60 s: {line}"))
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} from the printed line {line}: {e}",
                program.display()
            )
        });
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    // curl exits 0 on any HTTP answer: success is the v1 code in the body.
    let ok = out.status.success() && (words[0] != "curl" || stdout.contains("\"10000\""));
    (ok, stdout, stderr)
}

async fn assert_printed_calls_succeed(server: &Server, cwd: &Path, what: &str) {
    for line in wait_for_commands(server) {
        let (ok, stdout, stderr) = run_printed(&line, cwd).await;
        eprintln!("{what}: ran {line}");
        assert!(
            ok,
            "{what}: the printed call failed:\n  {line}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- server stderr ---\n{}",
            server.stderr_text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_config_serve_starts_and_the_call_it_prints_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = [
        OsStr::new("serve"),
        OsStr::new("--listen"),
        OsStr::new("127.0.0.1:0"),
    ];
    let mut server = Server::spawn(&args, dir.path());
    let health = reqwest::get(format!("{}/healthz", server.base_url))
        .await
        .expect("GET /healthz");
    assert_eq!(
        health.status(),
        200,
        "/healthz answers 200 once `listening on` is printed (PRODUCT §10)"
    );

    let data = dir.path().join("zhima-data");
    let config = data.join("zhima.toml");
    assert!(
        config.is_file(),
        "zero-config serve writes the config it generated to ./zhima-data/zhima.toml (PRODUCT §9)"
    );
    let config_text = std::fs::read_to_string(&config).expect("read generated zhima.toml");

    assert_printed_calls_succeed(&server, dir.path(), "first start").await;
    // Pasting the same call again is a replay of the same out_biz_no: still a success.
    assert_printed_calls_succeed(&server, dir.path(), "the same calls again").await;

    // A restart reuses the sandbox (same config and keys), so the printed calls still work.
    server.kill();
    let server = Server::spawn(&args, dir.path());
    assert_eq!(
        std::fs::read_to_string(&config).expect("zhima.toml"),
        config_text,
        "a restart must not regenerate the sandbox"
    );
    assert_printed_calls_succeed(&server, dir.path(), "after a restart").await;
}
