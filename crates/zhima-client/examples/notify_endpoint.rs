//! A merchant's notification endpoint (PRODUCT §12) with axum: verify the form zhima POSTs
//! with the platform public key (fail-closed), act on it once per `notify_id`, and answer
//! `success` — anything else makes zhima retry (4m, 10m, 10m, 1h, 2h, 6h, 15h on its sandbox
//! clock) with the same `notify_id`.
//!
//! ```sh
//! cargo run -p zhima-client --example notify_endpoint   # listens on 127.0.0.1:8090
//! ```
//!
//! Then point the app at it in `zhima.toml` (`[[apps]] notify_url =
//! "http://127.0.0.1:8090/zhima/notify"`). Environment: `ZHIMA_NOTIFY_LISTEN`,
//! `ZHIMA_PLATFORM_PUBLIC_KEY` (default `zhima-data/keys/platform_public.pem`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use zhima_client::proto::keys::PublicKey;
use zhima_client::{verify_notify, NOTIFY_SUCCESS};

struct Merchant {
    platform_key: PublicKey,
    /// `notify_id`s already acted on (a real merchant keeps these in its database).
    seen: Mutex<HashSet<String>>,
}

async fn notify(State(m): State<Arc<Merchant>>, body: String) -> (StatusCode, &'static str) {
    let n = match verify_notify(&body, &m.platform_key) {
        Ok(n) => n,
        Err(e) => {
            // Not from zhima (or tampered with): refuse, and never act on it.
            eprintln!("refused a notification: {e}");
            return (StatusCode::BAD_REQUEST, "fail");
        }
    };
    let first_time = m
        .seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(n.notify_id.clone());
    if first_time {
        println!(
            "{} {} agreement {}: {}",
            n.notify_time,
            n.notify_type,
            n.biz_content["agreement_id"].as_str().unwrap_or("?"),
            n.biz_content
        );
    }
    (StatusCode::OK, NOTIFY_SUCCESS)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key_file = std::env::var("ZHIMA_PLATFORM_PUBLIC_KEY")
        .unwrap_or_else(|_| "zhima-data/keys/platform_public.pem".into());
    let platform_key = PublicKey::from_text(&std::fs::read_to_string(&key_file)?)?;
    let merchant = Arc::new(Merchant {
        platform_key,
        seen: Mutex::new(HashSet::new()),
    });
    let app = Router::new()
        .route("/zhima/notify", post(notify))
        .with_state(merchant);
    let listen = std::env::var("ZHIMA_NOTIFY_LISTEN").unwrap_or_else(|_| "127.0.0.1:8090".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("merchant notify endpoint on http://{listen}/zhima/notify");
    axum::serve(listener, app).await?;
    Ok(())
}
