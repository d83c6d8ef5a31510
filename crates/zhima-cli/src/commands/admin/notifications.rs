//! `zhima admin notifications list|redeliver`: the notification outbox (PRODUCT §12, §14).

use serde_json::Value;

use super::clock::print;
use super::AdminClient;
use crate::Failure;

/// `zhima admin notifications …`.
#[derive(clap::Subcommand)]
pub enum NotificationsCommand {
    /// List notifications, newest first.
    List {
        /// Only this status: PENDING, DELIVERED or FAILED.
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// Only this agreement's.
        #[arg(long, value_name = "AGREEMENT_NO")]
        agreement: Option<String>,
        /// Only this app's.
        #[arg(long, value_name = "APP_ID")]
        app: Option<String>,
        /// Page number, from 1.
        #[arg(long, value_name = "N")]
        page_no: Option<u32>,
        /// Items per page.
        #[arg(long, value_name = "N")]
        page_size: Option<u32>,
    },
    /// Deliver a notification again now (same notify_id), e.g. one that is FAILED.
    Redeliver {
        /// The notification's notify_id.
        #[arg(value_name = "NOTIFY_ID")]
        notify_id: String,
    },
}

pub(super) async fn run(client: &AdminClient, cmd: NotificationsCommand) -> Result<(), Failure> {
    match cmd {
        NotificationsCommand::List {
            status,
            agreement,
            app,
            page_no,
            page_size,
        } => {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in [
                ("status", status),
                ("agreement", agreement),
                ("app", app),
                ("page_no", page_no.map(|n| n.to_string())),
                ("page_size", page_size.map(|n| n.to_string())),
            ] {
                if let Some(v) = v {
                    query.append_pair(k, &v);
                }
            }
            let query = query.finish();
            let path = if query.is_empty() {
                "notifications".to_owned()
            } else {
                format!("notifications?{query}")
            };
            let listed = client.get(&path).await?;
            print(client, &listed, list_text);
        }
        NotificationsCommand::Redeliver { notify_id } => {
            if notify_id.is_empty() || !notify_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Failure::Usage(format!(
                    "{notify_id:?} is not a notify_id (letters and digits)"
                )));
            }
            let n = client
                .post(
                    &format!("notifications/{notify_id}/redeliver"),
                    &Value::Null,
                )
                .await?;
            print(client, &n, |n| {
                format!(
                    "{} queued for redelivery ({}, {})\n",
                    s(n, "notify_id"),
                    s(n, "notify_type"),
                    s(n, "status")
                )
            });
        }
    }
    Ok(())
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("-")
}

fn list_text(v: &Value) -> String {
    let rows = v["notifications"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "no notifications\n".to_owned();
    }
    let mut out = format!(
        "{:<32}  {:<22}  {:<9}  {:>8}  {:<22}  {}\n",
        "NOTIFY_ID", "TYPE", "STATUS", "ATTEMPTS", "AGREEMENT", "LAST ERROR"
    );
    for n in &rows {
        out.push_str(&format!(
            "{:<32}  {:<22}  {:<9}  {:>8}  {:<22}  {}\n",
            s(n, "notify_id"),
            s(n, "notify_type"),
            s(n, "status"),
            n["attempts"].as_i64().unwrap_or(0),
            s(n, "agreement_no"),
            s(n, "last_error"),
        ));
    }
    out
}
