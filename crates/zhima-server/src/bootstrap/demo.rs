//! The demo sandbox's fixed names: the key files the bootstrap writes (relative to the data
//! directory) and the ids declared in `demo.toml`. The CLI and tests use them to talk to a
//! bootstrapped sandbox; a test checks they agree with `demo.toml`.

/// Platform private key (PKCS#1 PEM): signs every response.
pub const PLATFORM_PRIVATE_KEY: &str = "keys/platform_private.pem";
/// Platform public key (SPKI PEM): the SDKs' `alipay_public_key`.
pub const PLATFORM_PUBLIC_KEY: &str = "keys/platform_public.pem";
/// Demo app private key, PKCS#1 PEM (Python/Node SDKs).
pub const APP_PRIVATE_KEY: &str = "keys/app_private.pem";
/// Demo app private key, PKCS#8 PEM (Java SDKs take its base64 body).
pub const APP_PRIVATE_KEY_PKCS8: &str = "keys/app_private_pkcs8.pem";
/// Demo app public key (SPKI PEM), registered with the platform.
pub const APP_PUBLIC_KEY: &str = "keys/app_public.pem";
/// The demo app.
pub const APP_ID: &str = "2021000000000001";
/// The demo merchant PID.
pub const PARTNER_ID: &str = "2088621805983504";
/// The demo user.
pub const USER_ID: &str = "2088602002015001";
/// The demo agreement (decoupled template `ZMGO_T1`).
pub const AGREEMENT_NO: &str = "20195108518085620000";
/// The demo agreement under the bound template `ZMGO_T2`.
pub const BOUND_AGREEMENT_NO: &str = "20195108518085620001";
/// The demo state-sync service.
pub const SERVICE_ID: &str = "2019080700000000000001800100";
