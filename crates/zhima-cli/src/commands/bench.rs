//! `zhima bench`: how close the server runs to its one unavoidable RSA signature (PRODUCT §7–8).
//!
//! 1. **Signing ceiling**: RSA-2048 SHA256withRSA signatures per second on every core, and the
//!    CPU cost of one (µs). Every answer the server gives carries one such signature, so no
//!    server can beat this ceiling; the interesting numbers are ratios to it.
//! 2. **Load**: starts `zhima serve` on a fresh data directory (or targets `--url`), pre-signs
//!    every request before the clock starts (so the generator spends ~no CPU on RSA), then runs
//!    a closed loop at `--concurrency` for each scenario: warm-up requests first, then the
//!    measured ones. Each write has its own `out_biz_no`, so every measured sync is a durable
//!    commit.
//! 3. **Report**: throughput, p50/p90/p99 latency, server CPU per request (from
//!    `/proc/PID/stat`, utime + stime) next to the cost of one signature, server RSS, and the
//!    two ratios the targets are written in: CPU per request ÷ one signature, and throughput ÷
//!    the signing ceiling measured in the same run. `--json` prints the same as JSON.

use std::io::{BufRead as _, BufReader, IsTerminal as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use zhima_proto::keys::PrivateKey;
use zhima_proto::SignType;
use zhima_server::bootstrap::demo;

use crate::Failure;

mod presign;
mod procfs;
mod wire;

use self::presign::presign;
use self::procfs::{clock_ticks_per_sec, cpu_ticks, rss_kib, thread_cpu_time};
use self::wire::{socket_addr, Answer, Conn, Pool, RawRequest};

/// Arguments of `zhima bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Target a running server instead of starting one (its data directory must be the demo
    /// sandbox named by --data-dir, for the keys and ids).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// With --url: the server's process id, for CPU and RSS figures.
    #[arg(long, value_name = "PID", requires = "url")]
    server_pid: Option<u32>,
    /// The demo sandbox's data directory (with --url); without --url a fresh one is made.
    #[arg(long, value_name = "DIR", default_value = "./zhima-data")]
    data_dir: PathBuf,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Measured requests per scenario.
    #[arg(long, default_value_t = 8000)]
    requests: usize,
    /// Unmeasured requests sent first in each scenario.
    #[arg(long, default_value_t = 1000)]
    warmup: usize,
    /// Scenarios to run (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    scenario: Vec<Scenario>,
    /// Start the server with --unsafe-no-fsync (to measure what durability costs).
    #[arg(long, conflicts_with = "url")]
    unsafe_no_fsync: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// After each closed loop, offer FACTOR × its throughput in an open loop (--requests more
    /// requests, each sent on schedule whatever happened to the others) and report how many
    /// were accepted or refused with the overload answer, and the accepted ones' latency.
    #[arg(long, value_name = "FACTOR")]
    overload: Option<f64>,
}

/// What one scenario sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// v1 `zhima.data.state.data.sync`, each request a new instance.
    V1StateSync,
    /// v1 `zhima.credit.pe.zmgo.cumulation.sync`, ORDER_PAID AMOUNT.
    V1CumulationSync,
    /// v3 `POST /v3/zhima/credit/pe/zmgo/cumulation/sync`.
    V3CumulationSync,
    /// v1 `zhima.merchant.zmgo.cumulate.query` (a read).
    V1CumulateQuery,
}

impl Scenario {
    const ALL: [Scenario; 4] = [
        Scenario::V1StateSync,
        Scenario::V1CumulationSync,
        Scenario::V3CumulationSync,
        Scenario::V1CumulateQuery,
    ];
}

/// The signing ceiling of this machine.
#[derive(Serialize)]
struct Ceiling {
    threads: usize,
    signatures_per_sec: f64,
    /// CPU microseconds per signature (thread CPU time, not wall time).
    sign_cpu_us: f64,
}

/// One scenario's results.
#[derive(Serialize)]
struct ScenarioReport {
    scenario: Scenario,
    /// Measured requests sent (after the warm-up).
    requests: usize,
    /// Signed overload answers among them (the server's queue for a slot ran out).
    refused: usize,
    /// Anything else that was not a success.
    failures: usize,
    seconds: f64,
    /// Successful requests per second; the latencies and the CPU figures are theirs too.
    per_sec: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    /// Server CPU per request (µs), when the server's pid is known.
    server_cpu_us: Option<f64>,
    /// `server_cpu_us` ÷ the CPU cost of one signature.
    cpu_per_signature: Option<f64>,
    /// `per_sec` ÷ the signing ceiling on all cores.
    of_ceiling: f64,
    /// The open-loop phase (`--overload`).
    overload: Option<OverloadReport>,
}

/// An open loop past the sustainable rate.
#[derive(Serialize)]
struct OverloadReport {
    factor: f64,
    offered_per_sec: f64,
    requests: usize,
    accepted: usize,
    /// Signed overload answers (v1 `20000`, v3 503).
    refused: usize,
    /// Anything else: transport errors, other refusals.
    failures: usize,
    accepted_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// How late the generator sent its requests (p99): near zero when it kept up.
    start_lag_p99_ms: f64,
}

#[derive(Serialize)]
struct Report {
    concurrency: u16,
    durable: bool,
    ceiling: Ceiling,
    scenarios: Vec<ScenarioReport>,
    /// Server resident memory right after the load (KiB).
    server_rss_kib: Option<u64>,
    /// Server resident memory after [`IDLE_AFTER_LOAD`] without requests (KiB): what it keeps.
    server_idle_rss_kib: Option<u64>,
    /// The server's peak resident memory so far (`VmHWM`, KiB): its footprint under load.
    server_peak_rss_kib: Option<u64>,
}

/// How long the server is left idle before its resident memory is read again (its memory
/// trimming runs after one quiet second).
const IDLE_AFTER_LOAD: Duration = Duration::from_secs(4);

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start the async runtime: {e}")))?;
    let ceiling = signing_ceiling()?;
    let (server, data_dir) = match &args.url {
        Some(url) => (
            Target {
                base: url.trim_end_matches('/').to_owned(),
                pid: args.server_pid,
                child: None,
                _dir: None,
            },
            args.data_dir.clone(),
        ),
        None => {
            let dir = tempfile::tempdir()
                .map_err(|e| Failure::Other(format!("temporary data directory: {e}")))?;
            let path = dir.path().to_owned();
            (start_server(dir, args.unsafe_no_fsync)?, path)
        }
    };
    let key_path = data_dir.join(demo::APP_PRIVATE_KEY);
    let key_text = std::fs::read_to_string(&key_path).map_err(|e| {
        Failure::Usage(format!(
            "{}: {e} (--data-dir must be the demo sandbox's data directory)",
            key_path.display()
        ))
    })?;
    let key = PrivateKey::from_text(&key_text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", key_path.display())))?;
    let scenarios = if args.scenario.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenario.clone()
    };
    let mut reports = Vec::new();
    for (i, &scenario) in scenarios.iter().enumerate() {
        let total = args.warmup + args.requests * if args.overload.is_some() { 2 } else { 1 };
        let requests = presign(
            &key,
            scenario,
            total,
            &format!("B{i}{}", std::process::id()),
        )?;
        let host = server.base.trim_start_matches("http://");
        let mut requests: Vec<RawRequest> =
            requests.iter().map(|p| RawRequest::new(host, p)).collect();
        let open_loop = requests.split_off(args.warmup + args.requests);
        let mut report = runtime.block_on(load(&server, scenario, requests, &args, &ceiling))?;
        if let Some(factor) = args.overload {
            let rate = report.per_sec * factor;
            report.overload = Some(runtime.block_on(overload(&server, open_loop, factor, rate))?);
        }
        reports.push(report);
    }
    let server_rss_kib = server.pid.and_then(|pid| rss_kib(pid, "VmRSS:"));
    let server_idle_rss_kib = server.pid.and_then(|pid| {
        std::thread::sleep(IDLE_AFTER_LOAD);
        rss_kib(pid, "VmRSS:")
    });
    let report = Report {
        concurrency: args.concurrency,
        durable: !args.unsafe_no_fsync,
        ceiling,
        scenarios: reports,
        server_rss_kib,
        server_idle_rss_kib,
        // The kernel's high-water mark lags behind its per-thread RSS counters: never report
        // a peak below a reading.
        server_peak_rss_kib: server
            .pid
            .and_then(|pid| rss_kib(pid, "VmHWM:"))
            .map(|hwm| hwm.max(server_rss_kib.unwrap_or(0))),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        );
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Signs on every core for a fixed time and counts.
fn signing_ceiling() -> Result<Ceiling, Failure> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let key = PrivateKey::generate().map_err(|e| Failure::Other(format!("key: {e}")))?;
    let message = [7u8; 512];
    let window = Duration::from_secs(2);
    // Each thread counts its signatures and the CPU time it spent on them: the cost of one
    // signature is CPU time (right even when other processes share the cores), the ceiling
    // is wall-clock throughput.
    let results: Vec<(u64, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let key = &key;
                s.spawn(move || {
                    let start = Instant::now();
                    let cpu_start = thread_cpu_time();
                    let mut n = 0u64;
                    while start.elapsed() < window {
                        key.sign(SignType::Rsa2, &message).expect("sign");
                        n += 1;
                    }
                    (n, thread_cpu_time().saturating_sub(cpu_start))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, Duration::ZERO)))
            .collect()
    });
    let total: u64 = results.iter().map(|(n, _)| n).sum();
    let cpu: Duration = results.iter().map(|(_, c)| *c).sum();
    let per_sec = total as f64 / window.as_secs_f64();
    Ok(Ceiling {
        threads,
        signatures_per_sec: per_sec,
        sign_cpu_us: cpu.as_secs_f64() * 1e6 / total.max(1) as f64,
    })
}

/// The server under load.
struct Target {
    base: String,
    pid: Option<u32>,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `zhima serve` (this very binary) on a fresh demo sandbox and a free port.
fn start_server(dir: tempfile::TempDir, unsafe_no_fsync: bool) -> Result<Target, Failure> {
    let exe = std::env::current_exe().map_err(|e| Failure::Other(format!("own path: {e}")))?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if unsafe_no_fsync {
        cmd.arg("--unsafe-no-fsync");
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Failure::Other(format!("cannot start zhima serve: {e}")))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    break rest.split_whitespace().next().unwrap_or("").to_owned();
                }
            }
            _ => {
                let _ = child.kill();
                return Err(Failure::Other("zhima serve exited before listening".into()));
            }
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Target {
        base,
        pid: Some(child.id()),
        child: Some(child),
        _dir: Some(dir),
    })
}

/// When the first measured request was taken, and the server's CPU ticks then (if known).
type MeasuredStart = (Instant, Option<u64>);

/// Closed-loop load: `concurrency` workers, each on its own connection, take the next
/// pre-signed request until none is left.
async fn load(
    server: &Target,
    scenario: Scenario,
    requests: Vec<RawRequest>,
    args: &Args,
    ceiling: &Ceiling,
) -> Result<ScenarioReport, Failure> {
    let addr = socket_addr(&server.base).map_err(Failure::Usage)?;
    let requests = Arc::new(requests);
    let total = requests.len();
    let warmup = args.warmup.min(total);
    let bar = progress_bar(total as u64, &format!("{scenario:?}"));
    let next = Arc::new(AtomicUsize::new(0));
    // Marks when the first measured request is taken, and the server CPU at that moment.
    let measured_start: Arc<Mutex<Option<MeasuredStart>>> = Arc::new(Mutex::new(None));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (requests, next, bar) = (requests.clone(), next.clone(), bar.clone());
        let (pid, measured_start) = (server.pid, measured_start.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut refused, mut failures) = (0usize, 0usize);
            let mut conn: Option<Conn> = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests.len() {
                    return (latencies, refused, failures);
                }
                if i == warmup {
                    *measured_start.lock().unwrap() =
                        Some((Instant::now(), pid.and_then(cpu_ticks)));
                }
                let started = Instant::now();
                let got = Got::of(&send(&mut conn, addr, &requests[i]).await);
                if i >= warmup {
                    match got {
                        Got::Accepted => latencies.push(started.elapsed()),
                        Got::Refused => refused += 1,
                        Got::Failed => failures += 1,
                    }
                }
                bar.inc(1);
            }
        }));
    }
    let mut latencies = Vec::new();
    let (mut refused, mut failures) = (0, 0);
    for w in workers {
        let (l, r, f) = w
            .await
            .map_err(|e| Failure::Other(format!("worker: {e}")))?;
        latencies.extend(l);
        refused += r;
        failures += f;
    }
    let end = Instant::now();
    let end_ticks = server.pid.and_then(cpu_ticks);
    bar.finish_and_clear();
    let (start, start_ticks) = measured_start.lock().unwrap().unwrap_or((end, end_ticks));
    let seconds = (end - start).as_secs_f64().max(1e-9);
    // Refusals are cheap: counted in, they would flatter both throughput and CPU.
    let succeeded = latencies.len();
    latencies.sort();
    let server_cpu_us = match (start_ticks, end_ticks) {
        (Some(a), Some(b)) if succeeded > 0 => {
            Some((b - a) as f64 * 1e6 / clock_ticks_per_sec() / succeeded as f64)
        }
        _ => None,
    };
    let per_sec = succeeded as f64 / seconds;
    Ok(ScenarioReport {
        scenario,
        requests: succeeded + refused + failures,
        refused,
        failures,
        seconds,
        per_sec,
        p50_ms: percentile_ms(&latencies, 0.50),
        p90_ms: percentile_ms(&latencies, 0.90),
        p99_ms: percentile_ms(&latencies, 0.99),
        server_cpu_us,
        cpu_per_signature: server_cpu_us.map(|c| c / ceiling.sign_cpu_us),
        of_ceiling: per_sec / ceiling.signatures_per_sec,
        overload: None,
    })
}

/// Sends `req` on the worker's connection, (re)opening it when there is none; a connection
/// the server closes, or that failed, is dropped.
async fn send(
    conn: &mut Option<Conn>,
    addr: std::net::SocketAddr,
    req: &RawRequest,
) -> std::io::Result<Answer> {
    let answer = match conn {
        Some(c) => match c.send(req).await {
            // A kept-alive connection the server closed while idle: once more on a new one.
            Err(_) => conn.insert(Conn::open(addr).await?).send(req).await,
            answer => answer,
        },
        None => conn.insert(Conn::open(addr).await?).send(req).await,
    };
    if answer.as_ref().map_or(true, |a| a.closes) {
        *conn = None;
    }
    answer
}

/// What one request got.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Got {
    Accepted,
    /// The signed overload answer.
    Refused,
    Failed,
}

impl Got {
    fn of(answer: &std::io::Result<Answer>) -> Got {
        match answer {
            Ok(a) if a.is_refusal() => Got::Refused,
            Ok(a) if a.is_success() => Got::Accepted,
            _ => Got::Failed,
        }
    }
}

/// Open loop at `rate` requests per second: request `i` is due at `i / rate` s and is sent
/// then, whatever happened to the others. Latency counts from when a request was due, so a
/// generator that falls behind shows up in the figures (and in `start_lag_p99_ms`) instead of
/// hiding the wait.
async fn overload(
    server: &Target,
    requests: Vec<RawRequest>,
    factor: f64,
    rate: f64,
) -> Result<OverloadReport, Failure> {
    let pool = Arc::new(Pool::new(
        socket_addr(&server.base).map_err(Failure::Usage)?,
    ));
    let requests = Arc::new(requests);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(requests.len());
    for i in 0..requests.len() {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let (pool, requests) = (pool.clone(), requests.clone());
        tasks.push(tokio::spawn(async move {
            let lag = due.elapsed();
            let got = Got::of(&pool.send(&requests[i]).await);
            (got, due.elapsed(), lag)
        }));
    }
    let mut accepted = Vec::new();
    let mut lags = Vec::with_capacity(tasks.len());
    let (mut refused, mut failures) = (0, 0);
    for t in tasks {
        let (got, latency, lag) = t
            .await
            .map_err(|e| Failure::Other(format!("worker: {e}")))?;
        lags.push(lag);
        match got {
            Got::Accepted => accepted.push(latency),
            Got::Refused => refused += 1,
            Got::Failed => failures += 1,
        }
    }
    let seconds = start.elapsed().as_secs_f64().max(1e-9);
    accepted.sort();
    lags.sort();
    Ok(OverloadReport {
        factor,
        offered_per_sec: rate,
        requests: requests.len(),
        accepted: accepted.len(),
        refused,
        failures,
        accepted_per_sec: accepted.len() as f64 / seconds,
        p50_ms: percentile_ms(&accepted, 0.50),
        p99_ms: percentile_ms(&accepted, 0.99),
        max_ms: accepted.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        start_lag_p99_ms: percentile_ms(&lags, 0.99),
    })
}

/// The `p` quantile of sorted `durations`, in milliseconds (0 when empty).
fn percentile_ms(durations: &[Duration], p: f64) -> f64 {
    let last = durations.len().saturating_sub(1);
    durations
        .get(((durations.len() as f64 * p) as usize).min(last))
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn progress_bar(len: u64, label: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>20} [{bar:40}] {pos}/{len} {per_sec}")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_owned());
    bar
}

fn print_report(r: &Report) {
    println!(
        "signing ceiling: {:.0} RSA2 signatures/s on {} threads; one signature = {:.0} µs CPU",
        r.ceiling.signatures_per_sec, r.ceiling.threads, r.ceiling.sign_cpu_us
    );
    println!(
        "concurrency {}, {}",
        r.concurrency,
        if r.durable {
            "durable (fsync)"
        } else {
            "--unsafe-no-fsync"
        }
    );
    println!(
        "{:<20} {:>8} {:>7} {:>6} {:>9} {:>8} {:>8} {:>8} {:>11} {:>9} {:>10}",
        "scenario",
        "requests",
        "refused",
        "fail",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "cpu µs/req",
        "×1 sign",
        "of ceiling"
    );
    for s in &r.scenarios {
        println!(
            "{:<20} {:>8} {:>7} {:>6} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>11} {:>9} {:>10.2}",
            format!("{:?}", s.scenario),
            s.requests,
            s.refused,
            s.failures,
            s.per_sec,
            s.p50_ms,
            s.p90_ms,
            s.p99_ms,
            s.server_cpu_us.map_or("-".into(), |c| format!("{c:.0}")),
            s.cpu_per_signature
                .map_or("-".into(), |c| format!("{c:.2}")),
            s.of_ceiling
        );
    }
    for s in &r.scenarios {
        if let Some(o) = &s.overload {
            println!(
                "{:<20} overload ×{:.1}: offered {:.0} req/s, {} requests: {} accepted ({:.0}/s), {} refused (signed overload answer), {} failed; accepted p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (generator start lag p99 {:.1} ms)",
                format!("{:?}", s.scenario),
                o.factor,
                o.offered_per_sec,
                o.requests,
                o.accepted,
                o.accepted_per_sec,
                o.refused,
                o.failures,
                o.p50_ms,
                o.p99_ms,
                o.max_ms,
                o.start_lag_p99_ms
            );
        }
    }
    let mib = |kib: u64| kib as f64 / 1024.0;
    if let Some(rss) = r.server_rss_kib {
        println!("server RSS after the load: {:.1} MiB", mib(rss));
    }
    if let Some(rss) = r.server_idle_rss_kib {
        println!(
            "server RSS idle {} s after the load: {:.1} MiB",
            IDLE_AFTER_LOAD.as_secs(),
            mib(rss)
        );
    }
    if let Some(rss) = r.server_peak_rss_kib {
        println!("server peak RSS: {:.1} MiB", mib(rss));
    }
}

#[cfg(test)]
mod tests {
    use super::presign::presign_one;
    use super::*;

    #[test]
    fn proc_stat_fields_are_found_after_the_command_name() {
        let me = cpu_ticks(std::process::id());
        assert!(me.is_some());
        assert!(rss_kib(std::process::id(), "VmRSS:").is_some_and(|k| k > 0));
        assert!(rss_kib(std::process::id(), "VmHWM:").is_some_and(|k| k > 0));
    }

    #[test]
    fn presigned_requests_carry_their_signature() {
        let key = PrivateKey::generate().unwrap();
        for s in Scenario::ALL {
            let p = presign_one(&key, s, "x-1").unwrap();
            match s {
                Scenario::V3CumulationSync => {
                    assert!(p.authorization.unwrap().contains(",sign="))
                }
                _ => assert!(p.path_and_query.contains("sign=")),
            }
        }
    }
}
