//! `zhima replay FILE.jsonl`: re-send recorded syncs through the SDK with bounded concurrency
//! and the SDK's retry strategy (a retry resends the same content, so the same `out_biz_no`,
//! which the platform deduplicates), then print a summary and optionally a JSONL report of
//! the failures.
//!
//! One line per request:
//!
//! ```text
//! {"api":"v1","method":"zhima.data.state.data.sync","biz_content":{…}}
//! {"api":"v3","path":"/v3/zhima/credit/pe/zmgo/cumulation/sync","body":{…}}
//! ```
//!
//! `biz_content`/`body` may be a JSON object (sent as the exact text recorded) or a string
//! holding the JSON text; `api` may be left out when `method` or `path` says it; v3 takes an
//! optional `http_method` (default POST with a body, GET without).
//!
//! **Idempotent replays.** The platform answers a repeated sync exactly like the original (by
//! design: PRODUCT §4, §5), so a replay cannot be told from a response. A success is counted as
//! an idempotent replay when a request with the same idempotency key (target, `out_biz_no` or
//! `out_request_no`, and `partner_id`/`service_id`) already succeeded earlier in the same run,
//! i.e. the file re-sends a line. Exit code: 0 when every line succeeded, 1 otherwise, 2 for
//! bad usage or configuration.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use zhima_client::{ApiError, Error, Method, ZhimaClient};

use crate::commands::call::{self, ConnArgs, Target};
use crate::commands::keys::{read_input, write_output};
use crate::Failure;

/// Arguments of `zhima replay`.
#[derive(clap::Args)]
pub struct Args {
    /// JSONL file of recorded syncs (`-` for stdin).
    file: PathBuf,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Attempts per request; retries resend the same content (same out_biz_no).
    #[arg(long, default_value_t = 3)]
    attempts: u32,
    /// Write one JSON line per failed request to this file (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    conn: ConnArgs,
}

/// One recorded line as written in the file.
#[derive(Deserialize)]
struct Recorded {
    api: Option<String>,
    method: Option<String>,
    path: Option<String>,
    http_method: Option<String>,
    body: Option<Box<RawValue>>,
    biz_content: Option<Box<RawValue>>,
}

/// A line ready to send.
struct Job {
    line: usize,
    target: Target,
    content: Option<String>,
    /// Idempotency key, when the content carries one.
    key: Option<String>,
    out_biz_no: Option<String>,
}

/// One failed line, as written to `--report`.
#[derive(Serialize)]
struct FailureRecord {
    line: usize,
    target: Option<String>,
    out_biz_no: Option<String>,
    outcome: String,
    /// v1 `code` or v3 error `code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// v1 `sub_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_code: Option<String>,
    /// v3 HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    message: String,
}

/// The outcome counts.
#[derive(Default, Serialize)]
struct Summary {
    lines: usize,
    sent: usize,
    succeeded: usize,
    idempotent_replays: usize,
    business_errors: BTreeMap<String, usize>,
    transport_errors: usize,
    signature_failures: usize,
    other_errors: BTreeMap<String, usize>,
    invalid_lines: usize,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let text = read_input(&args.file)?;
    let client = args.conn.client(call::strategy(args.attempts))?;
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    let mut jobs = Vec::new();
    for (i, raw) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        summary.lines += 1;
        match parse_line(i + 1, raw) {
            Ok(job) => jobs.push(job),
            Err(message) => {
                summary.invalid_lines += 1;
                failures.push(FailureRecord {
                    line: i + 1,
                    target: None,
                    out_biz_no: None,
                    outcome: "invalid_line".into(),
                    code: None,
                    sub_code: None,
                    http_status: None,
                    message,
                });
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(send_all(
        &client,
        jobs,
        args.concurrency.into(),
        &mut summary,
        &mut failures,
    ));
    failures.sort_by_key(|f| f.line);
    if let Some(path) = &args.report {
        let mut out = String::new();
        for f in &failures {
            out.push_str(&serde_json::to_string(f)?);
            out.push('\n');
        }
        write_output(path, &out, false, true)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&args.file.display().to_string(), &summary);
    }
    match failures.len() {
        0 => Ok(()),
        n => Err(Failure::Other(format!(
            "{n} of {} lines failed",
            summary.lines
        ))),
    }
}

fn parse_line(line: usize, raw: &str) -> Result<Job, String> {
    let rec: Recorded =
        serde_json::from_str(raw).map_err(|e| format!("not a recorded sync: {e}"))?;
    let content_raw = match (&rec.body, &rec.biz_content) {
        (Some(_), Some(_)) => return Err("both body and biz_content".into()),
        (Some(c), None) | (None, Some(c)) => Some(c.get()),
        (None, None) => None,
    };
    // A JSON string holds the content text; anything else is the content itself.
    let content = content_raw
        .map(|c| {
            if c.starts_with('"') {
                let text: String = serde_json::from_str(c).map_err(|e| e.to_string())?;
                // Held as a string, the content escaped the line's own JSON check.
                serde_json::from_str::<serde::de::IgnoredAny>(&text)
                    .map_err(|e| format!("the content string is not valid JSON: {e}"))?;
                Ok::<_, String>(text)
            } else {
                Ok(c.to_string())
            }
        })
        .transpose()?;
    let api = rec
        .api
        .as_deref()
        .unwrap_or(if rec.path.is_some() { "v3" } else { "v1" });
    let target = match api {
        "v1" => Target::V1 {
            method: rec.method.ok_or("a v1 line needs \"method\"")?,
        },
        "v3" => {
            let path = rec.path.ok_or("a v3 line needs \"path\"")?;
            if !path.starts_with('/') {
                return Err(format!("v3 path {path:?} must start with /"));
            }
            let verb = rec
                .http_method
                .or(rec.method)
                .unwrap_or_else(|| if content.is_some() { "POST" } else { "GET" }.into());
            let method = Method::from_bytes(verb.to_ascii_uppercase().as_bytes())
                .map_err(|e| e.to_string())?;
            Target::V3 { method, path }
        }
        other => return Err(format!("api {other:?} is neither v1 nor v3")),
    };
    let (key, out_biz_no) = idempotency_key(&target, content.as_deref());
    Ok(Job {
        line,
        target,
        content,
        key,
        out_biz_no,
    })
}

fn target_name(target: &Target) -> String {
    match target {
        Target::V1 { method } => method.clone(),
        Target::V3 { method, path } => format!("{method} {path}"),
    }
}

/// The key the platform deduplicates on, as far as the content shows it.
fn idempotency_key(target: &Target, content: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(value) = content.and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
    else {
        return (None, None);
    };
    let field = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let Some(out_biz_no) = field("out_biz_no").or_else(|| field("out_request_no")) else {
        return (None, None);
    };
    let scope = field("partner_id")
        .or_else(|| field("service_id"))
        .unwrap_or_default();
    (
        Some(format!("{}|{scope}|{out_biz_no}", target_name(target))),
        Some(out_biz_no),
    )
}

async fn send_all(
    client: &ZhimaClient,
    jobs: Vec<Job>,
    concurrency: usize,
    summary: &mut Summary,
    failures: &mut Vec<FailureRecord>,
) {
    let progress = progress_bar(jobs.len() as u64);
    let permits = Arc::new(Semaphore::new(concurrency));
    let succeeded_keys = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for job in jobs {
        let (client, permits, keys) = (
            client.clone(),
            Arc::clone(&permits),
            Arc::clone(&succeeded_keys),
        );
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let result = call::send(&client, &job.target, job.content.as_deref()).await;
            // A success for a key that already succeeded in this run is a replay.
            let replay = match (&result, &job.key) {
                (Ok(_), Some(key)) => !keys
                    .lock()
                    .expect("no panics while held")
                    .insert(key.clone()),
                _ => false,
            };
            (job, result.map(|_| replay))
        });
    }
    summary.sent = tasks.len();
    while let Some(joined) = tasks.join_next().await {
        let (job, result) = joined.expect("replay tasks do not panic");
        progress.inc(1);
        match result {
            Ok(replay) => {
                summary.succeeded += 1;
                summary.idempotent_replays += usize::from(replay);
            }
            Err(e) => failures.push(record_failure(&job, &e, summary)),
        }
    }
    progress.finish_and_clear();
}

fn record_failure(job: &Job, e: &Error, summary: &mut Summary) -> FailureRecord {
    let mut record = FailureRecord {
        line: job.line,
        target: Some(target_name(&job.target)),
        out_biz_no: job.out_biz_no.clone(),
        outcome: String::new(),
        code: None,
        sub_code: None,
        http_status: None,
        message: e.to_string(),
    };
    record.outcome = match e {
        Error::Api(refusal) => {
            *summary
                .business_errors
                .entry(refusal.code().to_string())
                .or_default() += 1;
            match refusal {
                ApiError::V1(v1) => {
                    (record.code, record.sub_code) = (Some(v1.code.clone()), v1.sub_code.clone())
                }
                ApiError::V3(v3) => {
                    (record.code, record.http_status) = (Some(v3.code.clone()), Some(v3.status))
                }
                _ => record.code = Some(refusal.code().to_string()),
            }
            "business_error"
        }
        Error::Timeout(_) | Error::Transport(_) => {
            summary.transport_errors += 1;
            "transport_error"
        }
        Error::Signature(_) => {
            summary.signature_failures += 1;
            "signature_failure"
        }
        other => {
            *summary
                .other_errors
                .entry(other.outcome().to_string())
                .or_default() += 1;
            other.outcome()
        }
    }
    .to_string();
    record
}

/// A progress bar on stderr, hidden when stderr is not a terminal (CI logs, pipes).
fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

fn print_summary(file: &str, s: &Summary) {
    let mut out = std::io::stdout().lock();
    let mut row = |label: &str, n: usize| writeln!(out, "  {label:<40} {n:>8}");
    let _ = writeln!(std::io::stdout(), "replay of {file}: {} lines", s.lines);
    let _ = row("sent", s.sent);
    let _ = row("succeeded", s.succeeded);
    let _ = row("  of which idempotent replays", s.idempotent_replays);
    let _ = row("business errors", s.business_errors.values().sum());
    for (code, n) in &s.business_errors {
        let _ = row(&format!("  {code}"), *n);
    }
    let _ = row("transport errors", s.transport_errors);
    let _ = row("signature failures", s.signature_failures);
    for (kind, n) in &s.other_errors {
        let _ = row(&format!("other: {kind}"), *n);
    }
    let _ = row("invalid lines (not sent)", s.invalid_lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_in_every_documented_form() {
        let j = parse_line(
            1,
            r#"{"api":"v1","method":"a.b","biz_content":{"out_biz_no":"X", "service_id":"S"}}"#,
        )
        .unwrap();
        assert_eq!(
            j.target,
            Target::V1 {
                method: "a.b".into()
            }
        );
        assert_eq!(
            j.content.as_deref(),
            Some(r#"{"out_biz_no":"X", "service_id":"S"}"#),
            "recorded text kept"
        );
        assert_eq!(j.key.as_deref(), Some("a.b|S|X"));
        let j = parse_line(2, r#"{"path":"/v3/x","body":"{\"out_biz_no\":\"Y\"}"}"#).unwrap();
        assert_eq!(
            j.target,
            Target::V3 {
                method: Method::POST,
                path: "/v3/x".into()
            }
        );
        assert_eq!(j.content.as_deref(), Some(r#"{"out_biz_no":"Y"}"#));
        assert_eq!(j.out_biz_no.as_deref(), Some("Y"));
        let j = parse_line(3, r#"{"api":"v3","method":"get","path":"/v3/q?a=1"}"#).unwrap();
        assert_eq!(
            j.target,
            Target::V3 {
                method: Method::GET,
                path: "/v3/q?a=1".into()
            }
        );
        assert!(j.key.is_none());
        for bad in [
            "not json",
            r#"{"api":"v2","method":"a"}"#,
            r#"{"api":"v1"}"#,
            r#"{"api":"v3","path":"v3/x"}"#,
            r#"{"method":"a","body":{},"biz_content":{}}"#,
        ] {
            assert!(parse_line(1, bad).is_err(), "{bad}");
        }
    }
}
