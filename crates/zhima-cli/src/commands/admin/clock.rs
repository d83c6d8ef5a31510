//! `zhima admin clock show|advance <DURATION>`: the sandbox clock (PRODUCT §11).

use serde_json::{json, Value};
use zhima_server::domain::clock::Advance;

use super::AdminClient;
use crate::Failure;

/// `zhima admin clock …`.
#[derive(clap::Subcommand)]
pub enum ClockCommand {
    /// Show the offset, business time and real time (UTC+8).
    Show,
    /// Move business time forward by a duration: 30d, 12h, 15m, 90s. Agreements whose end
    /// passes expire (Y → P) right away.
    Advance {
        /// How far: a positive whole number and s, m, h or d.
        #[arg(value_name = "DURATION")]
        by: String,
    },
}

pub(super) async fn run(client: &AdminClient, cmd: ClockCommand) -> Result<(), Failure> {
    match cmd {
        ClockCommand::Show => {
            let clock = client.get("clock").await?;
            print(client, &clock, |c| show_text(c, None));
        }
        ClockCommand::Advance { by } => {
            // Checked here too, so a typo is reported without a round trip.
            Advance::parse(&by).map_err(|e| Failure::Usage(format!("{by}: {e}")))?;
            let clock = client.post("clock/advance", &json!({ "by": by })).await?;
            print(client, &clock, |c| show_text(c, Some(&by)));
        }
    }
    Ok(())
}

pub(super) fn print(client: &AdminClient, value: &Value, human: impl Fn(&Value) -> String) {
    if client.json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        );
    } else {
        print!("{}", human(value));
    }
}

fn show_text(c: &Value, advanced_by: Option<&str>) -> String {
    let s = |k: &str| c[k].as_str().unwrap_or("?").to_owned();
    let offset_ms = c["offset_ms"].as_i64().unwrap_or(0);
    let mut out = String::new();
    if let Some(by) = advanced_by {
        out.push_str(&format!("advanced by {by}\n"));
    }
    out.push_str(&format!(
        "business time  {} (UTC+8)\nreal time      {} (UTC+8)\noffset         {} ({offset_ms} ms)\n",
        s("business_time"),
        s("real_time"),
        human_offset(offset_ms)
    ));
    if let Some(n) = c["expired"].as_u64() {
        out.push_str(&format!("expired        {n} agreement(s)\n"));
        for a in c["expired_agreements"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  {}  Y -> P  withhold_plan_no {}\n",
                a["agreement_no"].as_str().unwrap_or("?"),
                a["withhold_plan_no"].as_str().unwrap_or("?")
            ));
        }
    }
    out
}

/// `31d 2h 5m 3s` (zero parts left out; `0s` for none).
fn human_offset(ms: i64) -> String {
    let secs = ms / 1000;
    let parts = [
        (secs / 86_400, "d"),
        (secs % 86_400 / 3600, "h"),
        (secs % 3600 / 60, "m"),
        (secs % 60, "s"),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if text.is_empty() {
        "0s".to_owned()
    } else {
        text.join(" ")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn offsets_read_as_durations() {
        assert_eq!(super::human_offset(0), "0s");
        assert_eq!(super::human_offset(31 * 86_400_000 + 90_000), "31d 1m 30s");
    }
}
