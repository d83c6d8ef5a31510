//! `zhima bench` end to end, tiny: it starts its own server, every scenario's requests are
//! accepted (a pre-signing or payload bug shows up as failures), and the report carries the
//! figures the performance targets are written in.

use std::process::Command;

use serde_json::Value;

#[test]
fn bench_reports_every_scenario_with_cpu_and_ratios() {
    let out = Command::new(env!("CARGO_BIN_EXE_zhima"))
        .args([
            "bench",
            "--requests",
            "60",
            "--warmup",
            "10",
            "--concurrency",
            "4",
            "--json",
        ])
        .output()
        .expect("zhima bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert!(report["ceiling"]["signatures_per_sec"].as_f64().unwrap() > 0.0);
    assert!(report["ceiling"]["sign_cpu_us"].as_f64().unwrap() > 0.0);
    assert!(report["server_rss_kib"].as_u64().unwrap() > 0);
    assert!(report["server_idle_rss_kib"].as_u64().unwrap() > 0);
    assert!(report["server_peak_rss_kib"].as_u64().unwrap() > 0);
    let scenarios = report["scenarios"].as_array().unwrap();
    let names: Vec<&str> = scenarios
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "v1-state-sync",
            "v1-cumulation-sync",
            "v3-cumulation-sync",
            "v1-cumulate-query"
        ]
    );
    for s in scenarios {
        assert_eq!(s["requests"], 60, "{s}");
        assert_eq!(s["failures"], 0, "{s}");
        assert_eq!(s["refused"], 0, "4 callers never find the slots taken: {s}");
        assert!(s["per_sec"].as_f64().unwrap() > 0.0, "{s}");
        assert!(
            s["p99_ms"].as_f64().unwrap() >= s["p50_ms"].as_f64().unwrap(),
            "{s}"
        );
        assert!(s["server_cpu_us"].as_f64().is_some(), "{s}");
        assert!(s["cpu_per_signature"].as_f64().is_some(), "{s}");
    }
}
