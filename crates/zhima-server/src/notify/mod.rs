//! The notification delivery worker (PRODUCT §12): a tokio task per `zhima serve` process
//! that claims due outbox rows (`storage/outbox.rs`), posts each as Alipay's asynchronous
//! notify — a form signed with the platform key ([`zhima_proto::v1::sign_notify`]) — and
//! records the attempt; the domain's [`notify::after_attempt`] decides the retry schedule.
//!
//! It stays out of request handling's way: it runs on its own task, holds no transaction
//! while it posts, claims a batch in one write job and records the batch's attempts in one
//! more (not one per notification), and signs on [`signer`]'s threads of the lowest CPU
//! priority — so while requests keep every core busy, deliveries wait in the outbox (and go
//! out once there is CPU to spare) instead of taking CPU from requests. It wakes on
//! [`Storage::outbox_woken`] (a lifecycle change, a clock advance, a redeliver in this
//! process) and polls every [`NotifySettings::poll_every`] for the rest (other processes'
//! changes, retries coming due in real time).
//!
//! Outbound safety: http/https only; a request's `notify_url` only towards allowed hosts
//! ([`targets`]), otherwise `FAILED` "host not allowed" without any connection; a timeout; no
//! redirects followed; at most [`NotifySettings::max_response_bytes`] of the answer read.

mod signer;
pub mod targets;

use std::sync::Arc;
use std::time::{Duration, Instant};

use zhima_proto::keys::PrivateKey;
use zhima_proto::time::format_alipay_datetime;
use zhima_proto::v1::{sign_notify, GatewayParams, VERSION};

use crate::domain::entities::Time;
use crate::domain::notify::{self, AttemptOutcome, NotifyStatus, StoredNotification};
use crate::error::{Error, Result};
use crate::metrics::NotifyMetrics;
use crate::storage::{AttemptRecord, Storage};

use self::signer::Signer;
use self::targets::{check_target, AllowedHosts};

/// How long the worker waits after a wake-up before claiming (batches bursts).
const COALESCE: Duration = Duration::from_millis(20);
/// The same after a claim that found nothing claimable in a non-empty outbox.
const BLOCKED_COALESCE: Duration = Duration::from_millis(250);

/// How long a claim's lease outlasts the attempt timeout: the time a notification may wait
/// to be signed (CPU busy with requests) plus a margin for recording. A notification not yet
/// signed by then is given back unattempted, so a live claimer always records first.
const LEASE_SLACK: Duration = Duration::from_secs(5);
/// Of [`LEASE_SLACK`], the part signing may take.
const SIGN_BUDGET: Duration = Duration::from_secs(4);

/// Attempts that end within this of each other are recorded in one write job.
const RECORD_GATHER: Duration = Duration::from_millis(20);

/// The body a merchant answers when it took the notification.
pub const SUCCESS_BODY: &str = "success";

/// Tunables of the worker.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// Whether this process delivers at all (tests of the outbox alone turn it off).
    pub enabled: bool,
    /// How long one attempt may take, connect to last byte (`[server] notify_timeout_secs`).
    pub timeout: Duration,
    /// Hosts a request's `notify_url` may name besides loopback and the apps' hosts.
    pub allowed_hosts: Vec<String>,
    /// Poll period when nothing wakes the worker.
    pub poll_every: Duration,
    /// Most bytes of an answer read (a longer answer is a failed attempt).
    pub max_response_bytes: usize,
    /// Rows claimed (and posted concurrently) at once: the worker's bound on concurrency.
    pub batch: i64,
    /// Threads that sign notifications, at the lowest CPU priority.
    pub sign_threads: usize,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            enabled: true,
            timeout: Duration::from_secs(crate::config::DEFAULT_NOTIFY_TIMEOUT_SECS),
            allowed_hosts: Vec::new(),
            poll_every: Duration::from_millis(500),
            max_response_bytes: 16 * 1024,
            batch: 64,
            // One per four cores: a signature costs about what answering a request does, so
            // this keeps up with requests unless they saturate the machine.
            sign_threads: std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(4)),
        }
    }
}

impl NotifySettings {
    /// The claim lease: longer than any attempt, so a live claimer always records first.
    fn lease(&self) -> Duration {
        self.timeout + LEASE_SLACK
    }
}

/// One process's delivery worker.
pub struct Worker {
    storage: Arc<Storage>,
    /// Shared, not cloned per attempt: a clone re-parses the key (as costly as a signature).
    key: Arc<PrivateKey>,
    settings: NotifySettings,
    metrics: NotifyMetrics,
    client: reqwest::Client,
    signer: Arc<Signer>,
}

/// How one claimed row's turn ended.
enum Finished {
    /// Posted (or refused): to be recorded.
    Attempted(AttemptRecord),
    /// Not signed within [`SIGN_BUDGET`]: given back unattempted.
    Deferred(String),
}

impl Worker {
    /// A worker signing with the platform `key`.
    pub fn new(
        storage: Arc<Storage>,
        key: PrivateKey,
        settings: NotifySettings,
        metrics: NotifyMetrics,
    ) -> Result<Worker> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .no_proxy()
            .user_agent(concat!("zhima-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::internal(format!("notification HTTP client: {e}")))?;
        let signer = Arc::new(Signer::start(settings.sign_threads)?);
        Ok(Worker {
            storage,
            key: Arc::new(key),
            settings,
            metrics,
            client,
            signer,
        })
    }

    /// Runs until the task is aborted; failures are logged and retried on the next poll.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut backlog_at = Instant::now() - Duration::from_secs(60);
            let mut backlog = 0;
            loop {
                let claimed = match self.run_once().await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::warn!(error = %e, "notification delivery failed; retrying");
                        0
                    }
                };
                if backlog_at.elapsed() >= Duration::from_secs(1) {
                    backlog_at = Instant::now();
                    match self.storage.notification_backlog().await {
                        Ok(n) => {
                            backlog = n;
                            self.metrics.set_backlog(n);
                        }
                        Err(e) => tracing::debug!(error = %e, "notification backlog unreadable"),
                    }
                }
                if claimed < self.settings.batch as usize {
                    // Pending rows but none claimable (their agreements wait for a retry):
                    // each claim walks them all, so claim less often while that lasts.
                    let pause = if claimed == 0 && backlog > 0 {
                        BLOCKED_COALESCE
                    } else {
                        COALESCE
                    };
                    tokio::select! {
                        _ = self.storage.outbox_woken() => {
                            // Let a burst of changes commit first: one claim takes them all,
                            // instead of one claim transaction per request under load.
                            tokio::time::sleep(pause).await;
                        }
                        _ = tokio::time::sleep(self.settings.poll_every) => {}
                    }
                }
            }
        })
    }

    /// Claims one batch of due notifications and delivers them concurrently (at most one per
    /// agreement, so order per agreement holds); how many it claimed.
    pub async fn run_once(&self) -> Result<usize> {
        let due = self.storage.clock().await?.business_time;
        // Measured before the claim, so the signing deadline falls inside the lease.
        let sign_by = Instant::now() + SIGN_BUDGET;
        let claim = self
            .storage
            .claim_notifications(due, self.settings.lease(), self.settings.batch)
            .await?;
        if claim.rows.is_empty() {
            return Ok(0);
        }
        let n = claim.rows.len();
        let allowed = if claim.rows.iter().any(|c| c.row.url_from_request) {
            Some(AllowedHosts::new(&self.storage, &self.settings.allowed_hosts).await?)
        } else {
            None
        };
        let mut set = tokio::task::JoinSet::new();
        for c in claim.rows {
            set.spawn(self.attempt(c, allowed.clone(), sign_by));
        }
        // Record what has finished in one write job: everything of a fast batch at once, and
        // a slow receiver's attempt does not hold back the others' records for long.
        let (mut attempts, mut deferred) = (Vec::new(), Vec::new());
        loop {
            let next = if attempts.is_empty() && deferred.is_empty() {
                set.join_next().await
            } else {
                match tokio::time::timeout(RECORD_GATHER, set.join_next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        self.record(&mut attempts, &mut deferred, claim.lease_until_ms)
                            .await;
                        continue;
                    }
                }
            };
            match next {
                None => break,
                Some(Ok(Ok(Finished::Attempted(a)))) => attempts.push(a),
                Some(Ok(Ok(Finished::Deferred(id)))) => deferred.push(id),
                // Left to its lease, as after a crash.
                Some(Ok(Err(e))) => tracing::warn!(error = %e, "a notification attempt failed"),
                // A panicked attempt: the others are still recorded.
                Some(Err(e)) => tracing::error!(error = %e, "a notification attempt panicked"),
            }
        }
        self.record(&mut attempts, &mut deferred, claim.lease_until_ms)
            .await;
        Ok(n)
    }

    async fn record(
        &self,
        attempts: &mut Vec<AttemptRecord>,
        deferred: &mut Vec<String>,
        lease_until_ms: i64,
    ) {
        if !deferred.is_empty() {
            tracing::debug!(
                deferred = deferred.len(),
                "notifications not signed in time (CPU busy); given back"
            );
        }
        let (attempts, deferred) = (std::mem::take(attempts), std::mem::take(deferred));
        if let Err(e) = self
            .storage
            .record_attempts(attempts, deferred, lease_until_ms)
            .await
        {
            // The rows stay leased until the lease ends, then are attempted again.
            tracing::warn!(error = %e, "recording notification attempts failed");
        }
    }

    /// One attempt of `c` as a `'static` future: sign (on the low-priority signer), post;
    /// what to record.
    fn attempt(
        &self,
        c: StoredNotification,
        allowed: Option<AllowedHosts>,
        sign_by: Instant,
    ) -> impl std::future::Future<Output = Result<Finished>> + Send + 'static {
        let storage = self.storage.clone();
        let key = self.key.clone();
        let client = self.client.clone();
        let metrics = self.metrics.clone();
        let signer = self.signer.clone();
        let (timeout, max_response_bytes) =
            (self.settings.timeout, self.settings.max_response_bytes);
        async move {
            let outcome =
                match check_target(&c.row.notify_url, c.row.url_from_request, allowed.as_ref()) {
                    Err(refusal) => AttemptOutcome::Refused(refusal),
                    Ok(url) => {
                        let signing = storage.clone();
                        let (c_back, body) = signer
                            .run(move || {
                                // Too late to post inside the lease: give it back unsigned.
                                if Instant::now() > sign_by {
                                    return (c, None);
                                }
                                let body = form_body(&c, &key, &signing.business_now());
                                (c, Some(body))
                            })
                            .await?;
                        let c = c_back;
                        match body {
                            Some(body) if Instant::now() <= sign_by => {
                                let outcome =
                                    post(&client, url, body?, timeout, max_response_bytes).await;
                                return Ok(finish(c, outcome, &storage, &metrics));
                            }
                            _ => return Ok(Finished::Deferred(c.row.notify_id)),
                        }
                    }
                };
            Ok(finish(c, outcome, &storage, &metrics))
        }
    }
}

/// Counts and logs an attempt's outcome; what to record.
fn finish(
    c: StoredNotification,
    outcome: AttemptOutcome,
    storage: &Storage,
    metrics: &NotifyMetrics,
) -> Finished {
    let at = storage.business_now();
    let update = notify::after_attempt(c.attempts, &outcome, &at);
    let label = match &outcome {
        AttemptOutcome::Success => "success",
        AttemptOutcome::Retry(_) => "retry",
        AttemptOutcome::Refused(_) => "refused",
    };
    metrics.attempt(label, update.status == NotifyStatus::Failed);
    match &outcome {
        AttemptOutcome::Success => tracing::info!(
            notify_id = %c.row.notify_id, notify_type = %c.row.notify_type,
            agreement_no = %c.row.agreement_no, attempt = c.attempts + 1,
            "notification delivered"
        ),
        AttemptOutcome::Retry(e) | AttemptOutcome::Refused(e) => tracing::warn!(
            notify_id = %c.row.notify_id, notify_type = %c.row.notify_type,
            agreement_no = %c.row.agreement_no, attempt = c.attempts + 1,
            status = update.status.as_str(), error = %e,
            "notification attempt failed"
        ),
    }
    Finished::Attempted(AttemptRecord {
        notify_id: c.row.notify_id,
        attempts_before: c.attempts,
        outcome,
        at,
    })
}

/// The signed form: `notify_id`, `notify_time` (business time, UTC+8), `notify_type`,
/// `app_id`, `charset`, `version`, `sign_type`, `sign`, `biz_content`.
pub fn form_params(c: &StoredNotification, key: &PrivateKey, now: &Time) -> Result<GatewayParams> {
    let mut params = GatewayParams::from_pairs([
        ("notify_id", c.row.notify_id.as_str()),
        ("notify_type", c.row.notify_type.as_str()),
        ("app_id", c.row.app_id.as_str()),
        ("charset", "utf-8"),
        ("version", VERSION),
        ("sign_type", "RSA2"),
        ("biz_content", c.row.biz_content.as_str()),
    ]);
    params.insert("notify_time", format_alipay_datetime(now));
    let sign = sign_notify(&params, key)
        .map_err(|e| Error::internal(format!("signing notification: {e}")))?;
    params.insert("sign", sign);
    Ok(params)
}

fn form_body(c: &StoredNotification, key: &PrivateKey, now: &Time) -> Result<String> {
    let params = form_params(c, key, now)?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter() {
        form.append_pair(k, v);
    }
    Ok(form.finish())
}

/// One POST: `success` (after a 2xx) is delivered; anything else is a retry.
async fn post(
    client: &reqwest::Client,
    url: url::Url,
    body: String,
    timeout: Duration,
    max_response_bytes: usize,
) -> AttemptOutcome {
    let sent = client
        .post(url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return AttemptOutcome::Retry(format!("no answer within {} s", timeout.as_secs_f64()))
        }
        Err(e) if e.is_connect() => {
            return AttemptOutcome::Retry(format!("cannot connect: {}", error_chain(&e)))
        }
        Err(e) => return AttemptOutcome::Retry(format!("request failed: {}", error_chain(&e))),
    };
    let status = response.status();
    if status.is_redirection() {
        return AttemptOutcome::Retry(format!(
            "HTTP {} (redirects are not followed)",
            status.as_u16()
        ));
    }
    let mut answer = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if answer.len() + chunk.len() > max_response_bytes {
                    return AttemptOutcome::Retry(format!(
                        "answer longer than {} bytes",
                        max_response_bytes
                    ));
                }
                answer.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => {
                return AttemptOutcome::Retry(format!(
                    "no complete answer within {} s",
                    timeout.as_secs_f64()
                ))
            }
            Err(e) => {
                return AttemptOutcome::Retry(format!("reading the answer: {}", error_chain(&e)))
            }
        }
    }
    let text = String::from_utf8_lossy(&answer);
    if status.is_success() && text.trim() == SUCCESS_BODY {
        return AttemptOutcome::Success;
    }
    let shown: String = text.chars().take(64).collect();
    AttemptOutcome::Retry(format!(
        "HTTP {} answered {shown:?}, not \"success\"",
        status.as_u16()
    ))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
