//! `zhima admin view-link AGREEMENT_NO [--ttl 1h]` and `zhima admin view-link --instance
//! SERVICE/CATEGORY/PRINCIPAL --user-id U [--ttl 1h]`: a signed link to a consumer page
//! (PRODUCT §13): the Zhima GO card of an agreement, or a state-sync instance's page; printed
//! as the URL (`--json`: the API's answer).

use serde_json::{json, Value};
use zhima_server::domain::view_token::parse_ttl;

use super::clock::print;
use super::AdminClient;
use crate::Failure;

/// `zhima admin view-link …`.
#[derive(clap::Args)]
pub struct ViewLinkArgs {
    /// The agreement whose card the link opens.
    #[arg(
        value_name = "AGREEMENT_NO",
        required_unless_present = "instance",
        conflicts_with = "instance"
    )]
    agreement_no: Option<String>,
    /// A state-sync instance instead: SERVICE_ID/CATEGORY_CODE/OUT_PRINCIPAL_ID (the
    /// principal is everything after the second `/`).
    #[arg(long, value_name = "SERVICE/CATEGORY/PRINCIPAL", requires = "user_id")]
    instance: Option<String>,
    /// The instance's user (2088…), with --instance.
    #[arg(long, value_name = "USER_ID", requires = "instance")]
    user_id: Option<String>,
    /// How long the link works: 30m, 1h, 7d (1 minute to 30 days).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    ttl: String,
}

pub(super) async fn run(client: &AdminClient, args: ViewLinkArgs) -> Result<(), Failure> {
    // Checked here too, so a typo is reported without a round trip.
    parse_ttl(&args.ttl).map_err(|e| Failure::Usage(format!("--ttl {e}")))?;
    let body = match (&args.agreement_no, &args.instance) {
        (Some(agreement_no), _) => json!({ "agreement_no": agreement_no, "ttl": args.ttl }),
        (None, Some(instance)) => json!({
            "instance": instance_body(instance, args.user_id.as_deref().unwrap_or_default())?,
            "ttl": args.ttl,
        }),
        (None, None) => {
            return Err(Failure::Usage(
                "name an AGREEMENT_NO or --instance SERVICE/CATEGORY/PRINCIPAL".into(),
            ))
        }
    };
    let link = client.post("view-links", &body).await?;
    print(client, &link, |l| {
        format!("{}\n", l["url"].as_str().unwrap_or("?"))
    });
    Ok(())
}

/// `SERVICE/CATEGORY/PRINCIPAL` + user → the API's `instance` object.
fn instance_body(instance: &str, user_id: &str) -> Result<Value, Failure> {
    let mut parts = instance.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(service), Some(category), Some(principal))
            if !service.is_empty() && !category.is_empty() && !principal.is_empty() =>
        {
            Ok(json!({
                "service_id": service,
                "category_code": category,
                "out_principal_id": principal,
                "user_id": user_id,
            }))
        }
        _ => Err(Failure::Usage(format!(
            "--instance {instance:?}: expected SERVICE_ID/CATEGORY_CODE/OUT_PRINCIPAL_ID"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::instance_body;

    #[test]
    fn the_principal_is_everything_after_the_second_slash() {
        let v = instance_body("S1/WATCH_MOVIE/order/7", "2088000000000001").unwrap();
        assert_eq!(v["service_id"], "S1");
        assert_eq!(v["category_code"], "WATCH_MOVIE");
        assert_eq!(v["out_principal_id"], "order/7");
        assert_eq!(v["user_id"], "2088000000000001");
        for bad in ["S1/WATCH_MOVIE", "S1//p", "/C/p", "S1/C/"] {
            assert!(instance_body(bad, "u").is_err(), "{bad}");
        }
    }
}
