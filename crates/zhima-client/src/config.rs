//! The resolved, immutable configuration a [`ZhimaClient`](crate::ZhimaClient) shares between
//! its clones: credentials, URLs, wire choices, time sources and the transport (by default
//! reqwest's connection pool).
//! [`ClientBuilder::build`](crate::ClientBuilder::build) checks the inputs and makes one.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use zhima_proto::aes::AesKey;
use zhima_proto::keys::PublicKey;
use zhima_proto::sign::Signer;
use zhima_proto::v1::SdkLayout;
use zhima_proto::SignType;

use crate::clock::Sources;
use crate::content::JsonStyle;
use crate::transport::Transport;

/// Certificate mode (公钥证书模式) facts derived from the three certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertMode {
    /// `app_cert_sn`: SN of the app certificate.
    pub(crate) app_cert_sn: String,
    /// `alipay_root_cert_sn`: SN list of the root bundle.
    pub(crate) root_cert_sn: String,
    /// The SN responses must name (`alipay_cert_sn` / `alipay-sn`).
    pub(crate) platform_cert_sn: String,
}

/// Everything the client signs, encrypts and verifies with.
pub(crate) struct Credentials {
    pub(crate) app_id: String,
    /// Signs requests: the app private key, or a custom [`Signer`].
    pub(crate) signer: Box<dyn Signer>,
    /// The public half of the signer's key (for the configuration checks and `Debug`).
    pub(crate) app_public: PublicKey,
    pub(crate) platform_key: PublicKey,
    pub(crate) cert: Option<CertMode>,
    pub(crate) aes: Option<AesKey>,
    pub(crate) encrypt_requests: bool,
    pub(crate) app_auth_token: Option<String>,
}

impl fmt::Debug for Credentials {
    // Keys print as fingerprints (their own Debug; the app key as its public half), the auth
    // token not at all.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("app_id", &self.app_id)
            .field("app_key", &self.app_public)
            .field("platform_key", &self.platform_key)
            .field("cert", &self.cert)
            .field("aes", &self.aes)
            .field("encrypt_requests", &self.encrypt_requests)
            .field(
                "app_auth_token",
                &self.app_auth_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The immutable, shared part of a client.
pub(crate) struct Config {
    pub(crate) creds: Credentials,
    pub(crate) gateway_url: Url,
    pub(crate) v3_base_url: String,
    pub(crate) layout: SdkLayout,
    pub(crate) v1_json: JsonStyle,
    pub(crate) sign_type: SignType,
    pub(crate) sources: Sources,
    pub(crate) transport: Box<dyn Transport>,
    /// How far a v3 response's `alipay-timestamp` may be from now (`None`: unchecked).
    pub(crate) response_max_skew: Option<Duration>,
}
