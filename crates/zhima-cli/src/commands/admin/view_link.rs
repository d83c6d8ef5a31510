//! `zhima admin view-link AGREEMENT_NO [--ttl 1h]`: a signed link to the consumer's Zhima GO
//! card (PRODUCT §13), printed as the URL (`--json`: the API's answer).

use serde_json::json;
use zhima_server::domain::view_token::parse_ttl;

use super::clock::print;
use super::AdminClient;
use crate::Failure;

/// `zhima admin view-link …`.
#[derive(clap::Args)]
pub struct ViewLinkArgs {
    /// The agreement whose card the link opens.
    #[arg(value_name = "AGREEMENT_NO")]
    agreement_no: String,
    /// How long the link works: 30m, 1h, 7d (1 minute to 30 days).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    ttl: String,
}

pub(super) async fn run(client: &AdminClient, args: ViewLinkArgs) -> Result<(), Failure> {
    // Checked here too, so a typo is reported without a round trip.
    parse_ttl(&args.ttl).map_err(|e| Failure::Usage(format!("--ttl {e}")))?;
    let link = client
        .post(
            "view-links",
            &json!({ "agreement_no": args.agreement_no, "ttl": args.ttl }),
        )
        .await?;
    print(client, &link, |l| {
        format!("{}\n", l["url"].as_str().unwrap_or("?"))
    });
    Ok(())
}
