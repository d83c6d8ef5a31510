//! [`ClientBuilder`]: who we are (app id, app key, certificates), whom we trust (platform key
//! or certificate), where we talk to ([`Endpoint`]), and how (timeouts, retries, wire layout).
//! [`ClientBuilder::build`] checks all of it and resolves it into the shared
//! [`Config`] of a [`ZhimaClient`].

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use zhima_proto::aes::AesKey;
use zhima_proto::cert;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::sign::Signer;
use zhima_proto::v1::SdkLayout;
use zhima_proto::SignType;

use crate::client::ZhimaClient;
use crate::clock::{Clock, NonceSource, Sources};
use crate::config::{CertMode, Config, Credentials};
use crate::content::JsonStyle;
use crate::error::{Error, Result};
use crate::transport::{RequestStrategy, ReqwestTransport, Transport};

/// What signs requests, with the public half of its key.
type AppSigner = (Box<dyn Signer>, PublicKey);

/// The signer of an app private key in memory, with its public half.
fn key_signer(key: PrivateKey) -> AppSigner {
    let public = key.public_key();
    (Box::new(key), public)
}

/// Default connect timeout (the Java SDK's 3 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default total timeout per attempt: connect, send, and read the whole body (the Java SDK's
/// 15 s read timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Default window around now within which a v3 response's `alipay-timestamp` must lie: the
/// zhima server's default request clock skew (±15 min). A client clock further off than this
/// has its own requests refused anyway.
pub const DEFAULT_RESPONSE_MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Where the platform is: the v1 gateway URL and the v3 base URL.
///
/// ```
/// use zhima_client::Endpoint;
///
/// let prod = Endpoint::production();
/// assert_eq!(prod.gateway_url(), "https://openapi.alipay.com/gateway.do");
/// assert_eq!(prod.v3_base_url(), "https://openapi.alipay.com");
/// let local = Endpoint::local("http://127.0.0.1:8080/");
/// assert_eq!(local.gateway_url(), "http://127.0.0.1:8080/gateway.do");
/// assert_eq!(local.v3_base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    gateway_url: String,
    v3_base_url: String,
}

impl Endpoint {
    /// Alipay production: `https://openapi.alipay.com/gateway.do` and `https://openapi.alipay.com`.
    pub fn production() -> Self {
        Self::custom(
            "https://openapi.alipay.com/gateway.do",
            "https://openapi.alipay.com",
        )
    }

    /// Alipay's sandbox (沙箱环境), `https://openapi-sandbox.dl.alipaydev.com` for both protocols
    /// (the older `openapi.alipaydev.com` host found in the Python SDK was retired by Alipay).
    pub fn sandbox() -> Self {
        Self::custom(
            "https://openapi-sandbox.dl.alipaydev.com/gateway.do",
            "https://openapi-sandbox.dl.alipaydev.com",
        )
    }

    /// A zhima server (`zhima serve`) at `base`, e.g. `http://127.0.0.1:8080`: v1 at
    /// `<base>/gateway.do`, v3 under `<base>`.
    pub fn local(base: impl AsRef<str>) -> Self {
        let base = base.as_ref().trim_end_matches('/');
        Self::custom(format!("{base}/gateway.do"), base)
    }

    /// Any pair of URLs.
    pub fn custom(gateway_url: impl Into<String>, v3_base_url: impl Into<String>) -> Self {
        Self {
            gateway_url: gateway_url.into(),
            v3_base_url: v3_base_url.into().trim_end_matches('/').to_string(),
        }
    }

    /// The v1 gateway URL.
    pub fn gateway_url(&self) -> &str {
        &self.gateway_url
    }

    /// The v3 base URL (no trailing `/`).
    pub fn v3_base_url(&self) -> &str {
        &self.v3_base_url
    }

    fn validate(&self) -> Result<()> {
        for (what, url) in [
            ("gateway URL", &self.gateway_url),
            ("v3 base URL", &self.v3_base_url),
        ] {
            let parsed =
                Url::parse(url).map_err(|e| Error::Config(format!("{what} {url:?}: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(Error::Config(format!("{what} {url:?} is not http(s)")));
            }
            if parsed.query().is_some() || parsed.fragment().is_some() {
                return Err(Error::Config(format!(
                    "{what} {url:?} must not have a query or fragment"
                )));
            }
        }
        Ok(())
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::production()
    }
}

/// What the builder was told about the platform's identity.
enum PlatformTrust {
    Key(std::result::Result<PublicKey, String>),
    Certs {
        app_cert: String,
        root_bundle: String,
        platform_cert: String,
    },
}

/// Builds a [`ZhimaClient`]. Inputs are checked in [`ClientBuilder::build`], which names the
/// first problem found.
///
/// ```
/// use std::time::Duration;
/// use zhima_client::{Endpoint, RequestStrategy, ZhimaClient};
/// use zhima_client::proto::keys::PrivateKey;
///
/// # fn main() -> Result<(), zhima_client::Error> {
/// # let app_key = PrivateKey::generate().unwrap().to_pkcs1_pem();
/// # let platform_public_key = PrivateKey::generate().unwrap().public_key().to_spki_base64();
/// let client = ZhimaClient::builder()
///     .app_id("2021000000000001")
///     .app_private_key(&app_key)                // PKCS#1 or PKCS#8, PEM or bare base64
///     .platform_public_key(&platform_public_key) // SPKI, PEM or bare base64
///     .endpoint(Endpoint::local("http://127.0.0.1:8080"))
///     .timeout(Duration::from_secs(5))
///     .strategy(RequestStrategy::retry(3))
///     .build()?;
/// assert_eq!(client.app_id(), "2021000000000001");
/// # Ok(())
/// # }
/// ```
pub struct ClientBuilder {
    app_id: Option<String>,
    app_key: Option<std::result::Result<AppSigner, String>>,
    platform: Option<PlatformTrust>,
    aes: Option<std::result::Result<AesKey, String>>,
    encrypt_requests: Option<bool>,
    app_auth_token: Option<String>,
    endpoint: Endpoint,
    connect_timeout: Duration,
    timeout: Duration,
    strategy: RequestStrategy,
    layout: SdkLayout,
    v1_json: Option<JsonStyle>,
    sign_type: SignType,
    sources: Sources,
    response_max_skew: Option<Duration>,
    transport: Option<Box<dyn Transport>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("app_id", &self.app_id)
            .field("endpoint", &self.endpoint)
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            app_id: None,
            app_key: None,
            platform: None,
            aes: None,
            encrypt_requests: None,
            app_auth_token: None,
            endpoint: Endpoint::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            strategy: RequestStrategy::default(),
            layout: SdkLayout::default(),
            v1_json: None,
            sign_type: SignType::Rsa2,
            sources: Sources::default(),
            response_max_skew: Some(DEFAULT_RESPONSE_MAX_SKEW),
            transport: None,
        }
    }
}

impl ZhimaClient {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// A builder with the defaults: production endpoint, RSA2, Python wire layout, 3 s
    /// connect / 15 s total timeout, [`RequestStrategy::Once`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The `app_id` (required).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The app private key as text: PKCS#1 or PKCS#8, PEM or bare base64 (required).
    pub fn app_private_key(mut self, text: impl AsRef<str>) -> Self {
        self.app_key = Some(
            PrivateKey::from_text(text.as_ref())
                .map(key_signer)
                .map_err(|e| format!("app private key: {e}")),
        );
        self
    }

    /// The app private key, already loaded.
    pub fn app_key(mut self, key: PrivateKey) -> Self {
        self.app_key = Some(Ok(key_signer(key)));
        self
    }

    /// Signs requests with `signer` instead of an app private key in memory (an HSM, a cloud
    /// KMS, a signing service). `app_public_key` is the public half of its key: the same
    /// checks as for a private key run against it (not the platform key, certified by the app
    /// certificate in cert mode).
    ///
    /// ```
    /// use zhima_client::proto::keys::PrivateKey;
    /// use zhima_client::proto::sign::Signer;
    /// use zhima_client::{SignType, ZhimaClient};
    ///
    /// /// Stands for a key held in a KMS.
    /// struct Remote(PrivateKey);
    ///
    /// impl Signer for Remote {
    ///     fn sign(&self, t: SignType, message: &[u8]) -> zhima_client::proto::error::Result<String> {
    ///         self.0.sign(t, message) // a KMS call in real life
    ///     }
    /// }
    ///
    /// let key = PrivateKey::generate().unwrap();
    /// let public = key.public_key();
    /// let client = ZhimaClient::builder()
    ///     .app_id("2021000000000001")
    ///     .signer(Remote(key), public)
    ///     .platform_key(PrivateKey::generate().unwrap().public_key())
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn signer(mut self, signer: impl Signer + 'static, app_public_key: PublicKey) -> Self {
        self.app_key = Some(Ok((Box::new(signer), app_public_key)));
        self
    }

    /// Sends requests through `transport` instead of the default [`ReqwestTransport`] (then
    /// [`ClientBuilder::connect_timeout`] and [`ClientBuilder::timeout`] are the transport's
    /// business).
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Box::new(transport));
        self
    }

    /// Key mode: the platform (Alipay) public key, SPKI PEM or bare base64, or a certificate.
    pub fn platform_public_key(mut self, text: impl AsRef<str>) -> Self {
        let key =
            PublicKey::from_text(text.as_ref()).map_err(|e| format!("platform public key: {e}"));
        self.platform = Some(PlatformTrust::Key(key));
        self
    }

    /// Key mode: the platform public key, already loaded.
    pub fn platform_key(mut self, key: PublicKey) -> Self {
        self.platform = Some(PlatformTrust::Key(Ok(key)));
        self
    }

    /// Certificate mode: the app public-key certificate (its SN is sent as `app_cert_sn`), the
    /// Alipay root bundle (its SN list is sent as `alipay_root_cert_sn`) and the platform
    /// public-key certificate (its key verifies responses, which must name its SN), all PEM.
    pub fn certificates(
        mut self,
        app_cert_pem: impl Into<String>,
        alipay_root_cert_pem: impl Into<String>,
        alipay_cert_pem: impl Into<String>,
    ) -> Self {
        self.platform = Some(PlatformTrust::Certs {
            app_cert: app_cert_pem.into(),
            root_bundle: alipay_root_cert_pem.into(),
            platform_cert: alipay_cert_pem.into(),
        });
        self
    }

    /// The AES content-encryption key (`encrypt_key`, base64). Requests are then encrypted
    /// unless [`ClientBuilder::encrypt_requests`] says otherwise; encrypted responses are
    /// decrypted with it either way.
    pub fn aes_key(mut self, base64: impl AsRef<str>) -> Self {
        self.aes = Some(AesKey::from_base64(base64.as_ref()).map_err(|e| format!("AES key: {e}")));
        self
    }

    /// Whether to encrypt request content (default: yes when an AES key is set).
    pub fn encrypt_requests(mut self, encrypt: bool) -> Self {
        self.encrypt_requests = Some(encrypt);
        self
    }

    /// Acts for a merchant with an app auth token (`app_auth_token` / `alipay-app-auth-token`).
    pub fn app_auth_token(mut self, token: impl Into<String>) -> Self {
        self.app_auth_token = Some(token.into());
        self
    }

    /// Where to send requests (default [`Endpoint::production`]).
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Connect timeout (default 3 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Total timeout of one attempt, from sending to the last body byte (default 15 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry strategy (default [`RequestStrategy::Once`]).
    pub fn strategy(mut self, strategy: RequestStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Which official SDK's v1 wire layout to reproduce (default Python). It also picks how v1
    /// models are written, unless [`ClientBuilder::v1_json_style`] is set: sorted keys for
    /// Python, declaration order for Node.
    pub fn sdk_layout(mut self, layout: SdkLayout) -> Self {
        self.layout = layout;
        self
    }

    /// How v1 models are written as `biz_content` (overrides the layout's choice). v3 models
    /// are always written in declaration order, as the Node and Java SDKs do.
    pub fn v1_json_style(mut self, style: JsonStyle) -> Self {
        self.v1_json = Some(style);
        self
    }

    /// The v1 `sign_type` (default `RSA2`; v3 is always SHA256withRSA).
    pub fn sign_type(mut self, sign_type: SignType) -> Self {
        self.sign_type = sign_type;
        self
    }

    /// The clock used for timestamps (default the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.sources.clock = Box::new(clock);
        self
    }

    /// The source of v3 nonces (default random UUIDs).
    pub fn nonce_source(mut self, nonce: impl NonceSource) -> Self {
        self.sources.nonce = Box::new(nonce);
        self
    }

    /// How far (either way) a v3 response's signed `alipay-timestamp` may be from the
    /// client's clock (default [`DEFAULT_RESPONSE_MAX_SKEW`]); `None` turns the check off.
    ///
    /// The v3 response signature does not cover the request, so without this check an old
    /// signed response replayed by a man in the middle would verify. The official SDKs do not
    /// check it; v1 responses carry no timestamp and cannot be checked.
    pub fn response_max_skew(mut self, window: Option<Duration>) -> Self {
        self.response_max_skew = window;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<ZhimaClient> {
        let app_id = self
            .app_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::Config("app_id is required".into()))?;
        let (signer, app_public) = self
            .app_key
            .ok_or_else(|| Error::Config("the app private key is required".into()))?
            .map_err(Error::Config)?;
        let (platform_key, cert) = match self.platform {
            None => {
                return Err(Error::Config(
                    "a platform public key (key mode) or certificates (cert mode) are required"
                        .into(),
                ))
            }
            Some(PlatformTrust::Key(key)) => (key.map_err(Error::Config)?, None),
            Some(PlatformTrust::Certs {
                app_cert,
                root_bundle,
                platform_cert,
            }) => {
                let (key, mode) =
                    load_cert_mode(&app_public, &app_cert, &root_bundle, &platform_cert)?;
                (key, Some(mode))
            }
        };
        if app_public.spki_der() == platform_key.spki_der() {
            // The Java SDK refuses this too: it would accept responses forged with the app key.
            return Err(Error::Config(
                "the platform public key is the app's own public key; use the Alipay public key"
                    .into(),
            ));
        }
        let aes = self.aes.transpose().map_err(Error::Config)?;
        let encrypt_requests = self.encrypt_requests.unwrap_or(aes.is_some());
        if encrypt_requests && aes.is_none() {
            return Err(Error::Config("encrypt_requests needs an AES key".into()));
        }
        self.endpoint.validate()?;
        let gateway_url =
            Url::parse(&self.endpoint.gateway_url).map_err(|e| Error::Config(e.to_string()))?;
        let transport = match self.transport {
            Some(transport) => transport,
            None => {
                let http = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.timeout)
                    // A redirected signed request is never what the caller meant.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("zhima-client-rust/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
                Box::new(ReqwestTransport::new(http))
            }
        };
        let v1_json = self.v1_json.unwrap_or(match self.layout {
            SdkLayout::Python => JsonStyle::SortedKeys,
            SdkLayout::Node => JsonStyle::Declared,
        });
        let config = Config {
            creds: Credentials {
                app_id,
                signer,
                app_public,
                platform_key,
                cert,
                aes,
                encrypt_requests,
                app_auth_token: self.app_auth_token.filter(|t| !t.is_empty()),
            },
            gateway_url,
            v3_base_url: self.endpoint.v3_base_url,
            layout: self.layout,
            v1_json,
            sign_type: self.sign_type,
            sources: self.sources,
            transport,
            response_max_skew: self.response_max_skew,
        };
        Ok(ZhimaClient::from_parts(
            std::sync::Arc::new(config),
            self.strategy,
        ))
    }
}

/// Loads the three certificates of cert mode and checks that the app certificate certifies
/// the app key (the classic mistake is swapping the app and platform certificates).
fn load_cert_mode(
    app_public: &PublicKey,
    app_cert: &str,
    root_bundle: &str,
    platform_cert: &str,
) -> Result<(PublicKey, CertMode)> {
    fn cfg(what: &'static str) -> impl Fn(zhima_proto::Error) -> Error {
        move |e| Error::Config(format!("{what}: {e}"))
    }
    let app = cert::load_certificate(app_cert).map_err(cfg("app certificate"))?;
    let app_cert_key = app
        .public_key
        .ok_or_else(|| Error::Config("app certificate does not hold an RSA key".into()))?;
    if app_public.spki_der() != app_cert_key.spki_der() {
        return Err(Error::Config(
            "the app certificate is not the certificate of the app private key".into(),
        ));
    }
    let root_cert_sn =
        cert::root_cert_sn(root_bundle).map_err(cfg("Alipay root certificate bundle"))?;
    let platform =
        cert::load_certificate(platform_cert).map_err(cfg("Alipay public-key certificate"))?;
    let platform_key = platform.public_key.ok_or_else(|| {
        Error::Config("Alipay public-key certificate does not hold an RSA key".into())
    })?;
    Ok((
        platform_key,
        CertMode {
            app_cert_sn: app.sn,
            root_cert_sn,
            platform_cert_sn: platform.sn,
        },
    ))
}
