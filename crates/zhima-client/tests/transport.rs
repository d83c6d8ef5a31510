//! A custom [`Transport`] and [`Signer`]: every signed request goes to the transport (no
//! network), requests are signed by the signer, the answer is verified as ever, and a
//! transport's own failure counts as a network failure (retried, `transport_error`).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use zhima_client::proto::keys::{PrivateKey, PublicKey};
use zhima_client::proto::v1::{self as pv1, GatewayParams};
use zhima_client::{
    BoxFuture, Endpoint, Error, HttpResponse, RequestStrategy, SignType, Signer, Transport,
    ZhimaClient,
};

const STATE_SYNC: &str = "zhima.data.state.data.sync";
const OK_NODE: &str = r#"{"code":"10000","msg":"Success","biz_result":"success"}"#;

/// Answers v1 calls in-process after checking the request signature with the app key;
/// fails the first `fail_first` exchanges with its own error.
struct InProcess {
    app_public: PublicKey,
    platform: PrivateKey,
    fail_first: usize,
    seen: Arc<AtomicUsize>,
    urls: Arc<Mutex<Vec<String>>>,
}

impl Transport for InProcess {
    fn send(&self, request: reqwest::Request) -> BoxFuture<'_, zhima_client::Result<HttpResponse>> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        self.urls.lock().unwrap().push(request.url().to_string());
        let outcome = if n < self.fail_first {
            Err(Error::TransportOther("link down".into()))
        } else {
            let body = request.body().and_then(|b| b.as_bytes()).unwrap_or(b"");
            let params = GatewayParams::parse(
                request.url().query().unwrap_or("").as_bytes(),
                body,
                Some("utf-8"),
            )
            .unwrap();
            pv1::verify_request(&params, &self.app_public).expect("signed by the app key");
            Ok(HttpResponse::new(
                200,
                v1_body(STATE_SYNC, OK_NODE, &self.platform, None),
            ))
        };
        Box::pin(async move { outcome })
    }
}

/// Signs with a key it holds, counting signatures (stands for an HSM or a KMS).
struct Counting {
    key: PrivateKey,
    signed: Arc<AtomicUsize>,
}

impl Signer for Counting {
    fn sign(&self, t: SignType, message: &[u8]) -> zhima_client::proto::error::Result<String> {
        self.signed.fetch_add(1, Ordering::SeqCst);
        self.key.sign(t, message)
    }
}

struct Setup {
    client: ZhimaClient,
    exchanges: Arc<AtomicUsize>,
    signatures: Arc<AtomicUsize>,
    urls: Arc<Mutex<Vec<String>>>,
}

fn setup(fail_first: usize, strategy: RequestStrategy) -> Setup {
    let k = keys();
    let app = PrivateKey::from_text(&k.app_pkcs1_pem).unwrap();
    let (exchanges, signatures) = (Arc::default(), Arc::<AtomicUsize>::default());
    let urls = Arc::default();
    let client = ZhimaClient::builder()
        .app_id(APP_ID)
        .signer(
            Counting {
                key: app.clone(),
                signed: Arc::clone(&signatures),
            },
            app.public_key(),
        )
        .platform_public_key(&k.platform_pub_b64)
        // Nothing listens there: only the transport can answer.
        .endpoint(Endpoint::local("http://zhima.invalid:9"))
        .strategy(strategy)
        .transport(InProcess {
            app_public: app.public_key(),
            platform: k.platform,
            fail_first,
            seen: Arc::clone(&exchanges),
            urls: Arc::clone(&urls),
        })
        .build()
        .unwrap();
    Setup {
        client,
        exchanges,
        signatures,
        urls,
    }
}

#[tokio::test]
async fn calls_go_through_the_transport_signed_by_the_signer() {
    let s = setup(0, RequestStrategy::Once);
    let reply = s
        .client
        .execute(STATE_SYNC, r#"{"out_biz_no":"T-1"}"#)
        .await
        .unwrap();
    assert_eq!(reply.node_json, OK_NODE);
    assert_eq!(s.exchanges.load(Ordering::SeqCst), 1);
    assert_eq!(s.signatures.load(Ordering::SeqCst), 1);
    assert!(s.urls.lock().unwrap()[0].starts_with("http://zhima.invalid:9/gateway.do?"));
}

#[tokio::test]
async fn a_transport_failure_is_retried_like_a_network_one() {
    let fast = RequestStrategy::Retry {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    };
    let s = setup(2, fast);
    let reply = s
        .client
        .execute(STATE_SYNC, r#"{"out_biz_no":"T-2"}"#)
        .await
        .unwrap();
    assert_eq!(reply.attempts, 3);
    // Each attempt is signed afresh.
    assert_eq!(s.signatures.load(Ordering::SeqCst), 3);

    let s = setup(1, RequestStrategy::Once);
    let err = s
        .client
        .execute(STATE_SYNC, r#"{"out_biz_no":"T-3"}"#)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TransportOther(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.outcome(), "transport_error");
    assert_eq!(err.to_string(), "transport: link down");
}

#[test]
fn a_signer_is_checked_like_a_private_key() {
    let k = keys();
    let platform_public = PublicKey::from_text(&k.platform_pub_b64).unwrap();
    // The signer's public key must not be the platform key (responses could be forged).
    let err = ZhimaClient::builder()
        .app_id(APP_ID)
        .signer(
            Counting {
                key: k.platform,
                signed: Arc::default(),
            },
            platform_public.clone(),
        )
        .platform_key(platform_public)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("app's own public key"), "{err}");

    // In cert mode the app certificate must certify the signer's key.
    let stranger = PrivateKey::generate().unwrap();
    let err = ZhimaClient::builder()
        .app_id(APP_ID)
        .signer(
            Counting {
                key: stranger.clone(),
                signed: Arc::default(),
            },
            stranger.public_key(),
        )
        .certificates(&k.app_cert, &k.root_bundle, &k.platform_cert)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("not the certificate of the app"),
        "{err}"
    );
}
