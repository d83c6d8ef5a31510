//! The notification delivery worker (PRODUCT §12): a tokio task per `zhima serve` process
//! that claims due outbox rows (`storage/outbox.rs`), posts each as Alipay's asynchronous
//! notify — a form signed with the platform key ([`zhima_proto::v1::sign_notify`]) — and
//! records the attempt; the domain's [`notify::after_attempt`] decides the retry schedule.
//!
//! It never blocks request handling: it runs on its own task, holds no transaction while it
//! posts, and its writes are ordinary group-commit jobs. It wakes on
//! [`Storage::outbox_woken`] (a lifecycle change, a clock advance, a redeliver in this
//! process) and polls every [`NotifySettings::poll_every`] for the rest (other processes'
//! changes, retries coming due in real time).
//!
//! Outbound safety: http/https only; a request's `notify_url` only towards allowed hosts
//! ([`targets`]), otherwise `FAILED` "host not allowed" without any connection; a timeout; no
//! redirects followed; at most [`NotifySettings::max_response_bytes`] of the answer read.

pub mod targets;

use std::sync::Arc;
use std::time::Duration;

use zhima_proto::keys::PrivateKey;
use zhima_proto::time::format_alipay_datetime;
use zhima_proto::v1::{sign_notify, GatewayParams, VERSION};

use crate::domain::entities::Time;
use crate::domain::notify::{self, AttemptOutcome, NotifyStatus, StoredNotification};
use crate::error::{Error, Result};
use crate::metrics::NotifyMetrics;
use crate::storage::Storage;

use self::targets::{check_target, AllowedHosts};

/// How long the worker waits after a wake-up before claiming (batches bursts).
const COALESCE: Duration = Duration::from_millis(20);

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
    /// Rows claimed (and posted concurrently) at once.
    pub batch: i64,
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
        }
    }
}

impl NotifySettings {
    /// The claim lease: longer than any attempt, so a live claimer always records first.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }
}

/// One process's delivery worker.
pub struct Worker {
    storage: Arc<Storage>,
    key: PrivateKey,
    settings: NotifySettings,
    metrics: NotifyMetrics,
    client: reqwest::Client,
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
        Ok(Worker {
            storage,
            key,
            settings,
            metrics,
            client,
        })
    }

    /// Runs until the task is aborted; failures are logged and retried on the next poll.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut backlog_at = std::time::Instant::now() - Duration::from_secs(60);
            loop {
                let claimed = match self.run_once().await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::warn!(error = %e, "notification delivery failed; retrying");
                        0
                    }
                };
                if backlog_at.elapsed() >= Duration::from_secs(1) {
                    backlog_at = std::time::Instant::now();
                    match self.storage.notification_backlog().await {
                        Ok(n) => self.metrics.set_backlog(n),
                        Err(e) => tracing::debug!(error = %e, "notification backlog unreadable"),
                    }
                }
                if claimed < self.settings.batch as usize {
                    tokio::select! {
                        _ = self.storage.outbox_woken() => {
                            // Let a burst of changes commit first: one claim takes them all,
                            // instead of one claim transaction per request under load.
                            tokio::time::sleep(COALESCE).await;
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
        let claimed = self
            .storage
            .claim_notifications(due, self.settings.lease(), self.settings.batch)
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let n = claimed.len();
        let allowed = if claimed.iter().any(|c| c.row.url_from_request) {
            Some(AllowedHosts::new(&self.storage, &self.settings.allowed_hosts).await?)
        } else {
            None
        };
        let mut set = tokio::task::JoinSet::new();
        for c in claimed {
            let outcome_of = self.attempt(c, allowed.clone());
            set.spawn(outcome_of);
        }
        while let Some(done) = set.join_next().await {
            if let Err(e) = done.map_err(|e| Error::internal(e.to_string()))? {
                tracing::warn!(error = %e, "recording a notification attempt failed");
            }
        }
        Ok(n)
    }

    /// One attempt of `c` as a `'static` future: post, then record.
    fn attempt(
        &self,
        c: StoredNotification,
        allowed: Option<AllowedHosts>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let storage = self.storage.clone();
        let key = self.key.clone();
        let client = self.client.clone();
        let metrics = self.metrics.clone();
        let settings = self.settings.clone();
        async move {
            let outcome =
                match check_target(&c.row.notify_url, c.row.url_from_request, allowed.as_ref()) {
                    Err(refusal) => AttemptOutcome::Refused(refusal),
                    Ok(url) => {
                        let now = storage.business_now();
                        match form_body(&c, &key, &now) {
                            Ok(body) => post(&client, url, body, &settings).await,
                            Err(e) => return Err(e),
                        }
                    }
                };
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
            storage
                .record_attempt(&c.row.notify_id, c.attempts, outcome, at)
                .await
                .map(|_| ())
        }
    }
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
    settings: &NotifySettings,
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
            return AttemptOutcome::Retry(format!(
                "no answer within {} s",
                settings.timeout.as_secs_f64()
            ))
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
                if answer.len() + chunk.len() > settings.max_response_bytes {
                    return AttemptOutcome::Retry(format!(
                        "answer longer than {} bytes",
                        settings.max_response_bytes
                    ));
                }
                answer.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => {
                return AttemptOutcome::Retry(format!(
                    "no complete answer within {} s",
                    settings.timeout.as_secs_f64()
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
