//! The configuration file (PRODUCT §9) and the zero-config bootstrap (PRODUCT §8 `zhima serve`).
//!
//! [`Config::load`] parses the TOML strictly (`deny_unknown_fields` everywhere: an unknown key
//! is an error naming the key and its line), resolves paths relative to the file, reads every
//! key and certificate file, converts yuan to [`Fen`] and UTC+8 wall times to instants, checks
//! cross references (an agreement's template exists, …) and compiles the state machines. What
//! comes out is a [`Config`] with nothing left to parse: any problem is an [`Error::Config`]
//! at startup (exit code 2), never a surprise at request time.
//!
//! [`bootstrap_default`] creates a working sandbox in a data directory on first start (keys,
//! demo app, template, agreement, state machine) and writes the `zhima.toml` it used, so users
//! learn the format from it; later starts load that file.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};
use toml::Spanned;
use zhima_proto::cert;
use zhima_proto::keys::{PrivateKey, PublicKey};
use zhima_proto::money::Fen;
use zhima_proto::time::parse_alipay_datetime;
use zhima_proto::SignType;

use crate::domain::entities::{
    Agreement, AgreementStatus, App, AppAuthToken, Records, Template, TemplateMode, Time, Trade,
};
use crate::domain::state_sync::{ServiceConfig, StateMachines};
use crate::error::{Error, Result};

/// Name of the file the bootstrap writes into the data directory.
pub const DEFAULT_CONFIG_FILE: &str = "zhima.toml";
/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default timestamp tolerance (PRODUCT §3: ±15 min).
pub const DEFAULT_CLOCK_SKEW_SECS: u64 = 900;

/// A fully resolved configuration: keys loaded, amounts in fen, times as instants.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this came from.
    pub source: PathBuf,
    /// `[server]`.
    pub server: ServerConfig,
    /// `[platform]`.
    pub platform: PlatformConfig,
    /// Everything the server upserts into storage on start.
    pub records: Records,
}

/// `[server]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Listen address (`--listen` overrides).
    pub listen: SocketAddr,
    /// Directory holding the SQLite database (absolute or relative to the working directory).
    pub data_dir: PathBuf,
    /// PostgreSQL URL; SQLite in `data_dir` when absent.
    pub database_url: Option<String>,
    /// Allowed clock difference for request timestamps and `biz_time`.
    pub clock_skew: chrono::Duration,
    /// File holding the admin bearer token, if the admin API is enabled.
    pub admin_token_file: Option<PathBuf>,
}

/// `[platform]`, resolved: the response-signing key and, in cert mode, its certificates.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Where the private key came from.
    pub private_key_file: PathBuf,
    /// The key that signs every response.
    pub private_key: PrivateKey,
    /// Cert mode: the platform certificate's file and SN (`alipay_cert_sn` / `alipay-sn`).
    pub cert: Option<CertRef>,
    /// Cert mode: the root bundle's file and SN list (`alipay_root_cert_sn`).
    pub root_cert: Option<CertRef>,
}

/// A certificate file and the SN Alipay computes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRef {
    /// The file.
    pub file: PathBuf,
    /// Its SN (for a root bundle: the `_`-joined SNs).
    pub sn: String,
}

// ------------------------------------------------------------------------------------------
// File format (serde). Every table denies unknown keys; references carry spans for errors.
// ------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    server: ServerSection,
    platform: PlatformSection,
    #[serde(default)]
    apps: Vec<AppSection>,
    #[serde(default)]
    app_auth_tokens: Vec<TokenSection>,
    #[serde(default)]
    zmgo: ZmgoSection,
    #[serde(default)]
    state_sync: StateSyncSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    #[serde(default, deserialize_with = "opt_from_str")]
    listen: Option<SocketAddr>,
    data_dir: Option<String>,
    database_url: Option<String>,
    clock_skew_secs: Option<u32>,
    admin_token_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformSection {
    private_key_file: Spanned<String>,
    cert_file: Option<Spanned<String>>,
    root_cert_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppSection {
    app_id: Spanned<String>,
    partner_id: String,
    public_key_file: Option<Spanned<String>>,
    app_cert_file: Option<Spanned<String>>,
    encrypt_key: Option<String>,
    #[serde(default = "default_sign_types", deserialize_with = "vec_from_str")]
    sign_types: Vec<SignType>,
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSection {
    token: String,
    app_id: Spanned<String>,
    partner_id: String,
    #[serde(deserialize_with = "alipay_time")]
    expires_at: Time,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ZmgoSection {
    #[serde(default)]
    templates: Vec<TemplateSection>,
    #[serde(default)]
    agreements: Vec<AgreementSection>,
    #[serde(default)]
    trades: Vec<TradeSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateSection {
    template_no: Spanned<String>,
    mode: TemplateMode,
    obligation_times: Option<u32>,
    obligation_amount: Option<Fen>,
    period_days: Option<u32>,
    #[serde(default)]
    settle_check: bool,
    #[serde(default)]
    settle_tolerance: Fen,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgreementSection {
    agreement_no: Spanned<String>,
    template_no: Spanned<String>,
    user_id: Option<String>,
    open_id: Option<String>,
    partner_id: String,
    #[serde(default = "valid_status", deserialize_with = "from_str")]
    status: AgreementStatus,
    #[serde(deserialize_with = "alipay_time")]
    start_time: Time,
    #[serde(deserialize_with = "alipay_time")]
    end_time: Time,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TradeSection {
    trade_no: Spanned<String>,
    buyer_user_id: String,
    seller_partner_id: String,
    amount: Fen,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StateSyncSection {
    #[serde(default)]
    services: Vec<Spanned<ServiceConfig>>,
}

fn default_sign_types() -> Vec<SignType> {
    vec![SignType::Rsa2, SignType::Rsa]
}

fn yes() -> bool {
    true
}

fn valid_status() -> AgreementStatus {
    AgreementStatus::Valid
}

/// Deserializes any `FromStr` type from a TOML string, so the error carries the value's span.
fn from_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

fn opt_from_str<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    Option::<String>::deserialize(d)?
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .transpose()
}

fn vec_from_str<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}

fn alipay_time<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
    let s = String::deserialize(d)?;
    parse_alipay_datetime(&s).map_err(serde::de::Error::custom)
}

// ------------------------------------------------------------------------------------------
// Loading and resolving
// ------------------------------------------------------------------------------------------

/// Error context: the file and its text, to turn byte spans into line numbers.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
    base_dir: PathBuf,
}

impl Source<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// A config error pointing at the line of `span`.
    fn err_at<T>(&self, spanned: &Spanned<T>, msg: impl fmt::Display) -> Error {
        Error::Config(format!(
            "{} line {}: {msg}",
            self.path.display(),
            self.line_of(spanned.span().start)
        ))
    }

    fn resolve(&self, rel: &str) -> PathBuf {
        self.base_dir.join(rel)
    }

    /// Reads a file named in the config; the error names the key, line and resolved path.
    fn read(&self, key: &str, rel: &Spanned<String>) -> Result<(PathBuf, String)> {
        let path = self.resolve(rel.get_ref());
        let text = std::fs::read_to_string(&path)
            .map_err(|e| self.err_at(rel, format!("{key}: cannot read {}: {e}", path.display())))?;
        Ok((path, text))
    }
}

impl Config {
    /// Loads and resolves a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        Config::from_toml(path, &text)
    }

    /// Resolves configuration text as if it were the file at `path` (relative paths in it are
    /// relative to `path`'s directory).
    pub fn from_toml(path: &Path, text: &str) -> Result<Config> {
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let src = Source {
            path,
            text,
            base_dir,
        };
        let file: FileConfig = toml::from_str(text).map_err(|e| parse_error(&src, &e))?;
        Ok(Config {
            source: path.to_path_buf(),
            server: resolve_server(&src, &file.server),
            platform: resolve_platform(&src, &file.platform)?,
            records: resolve_records(&src, &file)?,
        })
    }
}

/// `zhima.toml line 12: unknown field `colour`, expected one of …`.
fn parse_error(src: &Source<'_>, e: &toml::de::Error) -> Error {
    let at = e
        .span()
        .map(|s| format!(" line {}", src.line_of(s.start)))
        .unwrap_or_default();
    Error::Config(format!(
        "{}{at}: {}",
        src.path.display(),
        e.message().trim_end()
    ))
}

fn resolve_server(src: &Source<'_>, s: &ServerSection) -> ServerConfig {
    let default_listen: SocketAddr = DEFAULT_LISTEN
        .parse()
        .expect("default listen address parses");
    ServerConfig {
        listen: s.listen.unwrap_or(default_listen),
        data_dir: src.resolve(s.data_dir.as_deref().unwrap_or("./zhima-data")),
        database_url: s.database_url.clone(),
        clock_skew: chrono::Duration::seconds(
            s.clock_skew_secs
                .map_or(DEFAULT_CLOCK_SKEW_SECS as i64, i64::from),
        ),
        admin_token_file: s
            .admin_token_file
            .as_ref()
            .map(|f| src.resolve(f.get_ref())),
    }
}

fn resolve_platform(src: &Source<'_>, p: &PlatformSection) -> Result<PlatformConfig> {
    let (private_key_file, text) = src.read("private_key_file", &p.private_key_file)?;
    let private_key = PrivateKey::from_text(&text).map_err(|e| {
        src.err_at(
            &p.private_key_file,
            format!("private_key_file {}: {e}", private_key_file.display()),
        )
    })?;
    let cert = p
        .cert_file
        .as_ref()
        .map(|f| load_cert(src, "cert_file", f, cert::cert_sn))
        .transpose()?;
    let root_cert = p
        .root_cert_file
        .as_ref()
        .map(|f| load_cert(src, "root_cert_file", f, cert::root_cert_sn))
        .transpose()?;
    Ok(PlatformConfig {
        private_key_file,
        private_key,
        cert,
        root_cert,
    })
}

fn load_cert(
    src: &Source<'_>,
    key: &str,
    rel: &Spanned<String>,
    sn_of: fn(&str) -> zhima_proto::error::Result<String>,
) -> Result<CertRef> {
    let (file, text) = src.read(key, rel)?;
    let sn = sn_of(&text).map_err(|e| src.err_at(rel, format!("{key} {}: {e}", file.display())))?;
    Ok(CertRef { file, sn })
}

fn resolve_records(src: &Source<'_>, file: &FileConfig) -> Result<Records> {
    let apps = file
        .apps
        .iter()
        .map(|a| resolve_app(src, a))
        .collect::<Result<Vec<_>>>()?;
    unique(src, file.apps.iter().map(|a| &a.app_id), "app_id")?;
    let app_ids: HashSet<&str> = apps.iter().map(|a| a.app_id.as_str()).collect();

    let mut app_auth_tokens = Vec::new();
    for t in &file.app_auth_tokens {
        if !app_ids.contains(t.app_id.get_ref().as_str()) {
            return Err(src.err_at(
                &t.app_id,
                format!("app_id {} is not declared in [[apps]]", t.app_id.get_ref()),
            ));
        }
        app_auth_tokens.push(AppAuthToken {
            token: t.token.clone(),
            app_id: t.app_id.get_ref().clone(),
            partner_id: t.partner_id.clone(),
            expires_at: t.expires_at,
        });
    }

    let templates: Vec<Template> = file.zmgo.templates.iter().map(resolve_template).collect();
    unique(
        src,
        file.zmgo.templates.iter().map(|t| &t.template_no),
        "template_no",
    )?;
    let template_nos: HashSet<&str> = templates.iter().map(|t| t.template_no.as_str()).collect();

    let agreements = file
        .zmgo
        .agreements
        .iter()
        .map(|a| resolve_agreement(src, a, &template_nos))
        .collect::<Result<Vec<_>>>()?;
    unique(
        src,
        file.zmgo.agreements.iter().map(|a| &a.agreement_no),
        "agreement_no",
    )?;

    let trades = file
        .zmgo
        .trades
        .iter()
        .map(|t| Trade {
            trade_no: t.trade_no.get_ref().clone(),
            buyer_user_id: t.buyer_user_id.clone(),
            seller_partner_id: t.seller_partner_id.clone(),
            amount: t.amount,
        })
        .collect();
    unique(
        src,
        file.zmgo.trades.iter().map(|t| &t.trade_no),
        "trade_no",
    )?;

    let state_services = resolve_services(src, &file.state_sync.services, &app_ids)?;
    Ok(Records {
        apps,
        app_auth_tokens,
        templates,
        agreements,
        trades,
        state_services,
    })
}

/// Rejects a second declaration of the same id, naming the line of the duplicate.
fn unique<'a>(
    src: &Source<'_>,
    ids: impl Iterator<Item = &'a Spanned<String>>,
    what: &str,
) -> Result<()> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.get_ref().as_str()) {
            return Err(src.err_at(id, format!("{what} {} is declared twice", id.get_ref())));
        }
    }
    Ok(())
}

fn resolve_app(src: &Source<'_>, a: &AppSection) -> Result<App> {
    if a.app_id.get_ref().is_empty() || a.app_id.get_ref().chars().count() > 32 {
        return Err(src.err_at(&a.app_id, "app_id must be 1 to 32 characters"));
    }
    let (public_key, app_cert_sn) = match (&a.public_key_file, &a.app_cert_file) {
        (Some(f), None) => {
            let (path, text) = src.read("public_key_file", f)?;
            let key = PublicKey::from_text(&text)
                .map_err(|e| src.err_at(f, format!("public_key_file {}: {e}", path.display())))?;
            (key, None)
        }
        (None, Some(f)) => {
            let (path, text) = src.read("app_cert_file", f)?;
            let info = cert::load_certificate(&text)
                .map_err(|e| src.err_at(f, format!("app_cert_file {}: {e}", path.display())))?;
            let key = info.public_key.ok_or_else(|| {
                src.err_at(
                    f,
                    format!(
                        "app_cert_file {}: the certificate has no RSA key",
                        path.display()
                    ),
                )
            })?;
            (key, Some(info.sn))
        }
        _ => {
            return Err(src.err_at(
                &a.app_id,
                format!(
                    "app {}: set exactly one of public_key_file and app_cert_file",
                    a.app_id.get_ref()
                ),
            ))
        }
    };
    if a.sign_types.is_empty() {
        return Err(src.err_at(&a.app_id, "sign_types must list RSA2 and/or RSA"));
    }
    Ok(App {
        app_id: a.app_id.get_ref().clone(),
        partner_id: a.partner_id.clone(),
        public_key_pem: public_key.to_spki_pem(),
        app_cert_sn,
        encrypt_key: a.encrypt_key.clone(),
        sign_types: a.sign_types.clone(),
        enabled: a.enabled,
    })
}

fn resolve_template(t: &TemplateSection) -> Template {
    Template {
        template_no: t.template_no.get_ref().clone(),
        mode: t.mode,
        obligation_times: t.obligation_times.map(i64::from),
        obligation_amount: t.obligation_amount,
        period_days: t.period_days.map(i64::from),
        settle_check: t.settle_check,
        settle_tolerance: t.settle_tolerance,
    }
}

fn resolve_agreement(
    src: &Source<'_>,
    a: &AgreementSection,
    template_nos: &HashSet<&str>,
) -> Result<Agreement> {
    if !template_nos.contains(a.template_no.get_ref().as_str()) {
        return Err(src.err_at(
            &a.template_no,
            format!(
                "template_no {} is not declared in [[zmgo.templates]]",
                a.template_no.get_ref()
            ),
        ));
    }
    if a.user_id.is_none() && a.open_id.is_none() {
        return Err(src.err_at(&a.agreement_no, "an agreement needs user_id and/or open_id"));
    }
    if a.end_time < a.start_time {
        return Err(src.err_at(&a.agreement_no, "end_time is before start_time"));
    }
    Ok(Agreement {
        agreement_no: a.agreement_no.get_ref().clone(),
        template_no: a.template_no.get_ref().clone(),
        user_id: a.user_id.clone(),
        open_id: a.open_id.clone(),
        partner_id: a.partner_id.clone(),
        status: a.status,
        start_time: a.start_time,
        end_time: a.end_time,
    })
}

fn resolve_services(
    src: &Source<'_>,
    services: &[Spanned<ServiceConfig>],
    app_ids: &HashSet<&str>,
) -> Result<Vec<ServiceConfig>> {
    for svc in services {
        if let Some(unknown) = svc
            .get_ref()
            .app_ids
            .iter()
            .find(|id| !app_ids.contains(id.as_str()))
        {
            return Err(src.err_at(
                svc,
                format!(
                    "service {}: app_id {unknown} is not declared in [[apps]]",
                    svc.get_ref().service_id
                ),
            ));
        }
        // Compile one by one so the error points at the offending service.
        StateMachines::compile(std::slice::from_ref(svc.get_ref()))
            .map_err(|e| src.err_at(svc, e))?;
    }
    let plain: Vec<ServiceConfig> = services.iter().map(|s| s.get_ref().clone()).collect();
    StateMachines::compile(&plain)
        .map_err(|e| Error::Config(format!("{}: {e}", src.path.display())))?;
    Ok(plain)
}

// ------------------------------------------------------------------------------------------
// Zero-config bootstrap
// ------------------------------------------------------------------------------------------

/// Key files the bootstrap writes under `data_dir/keys/` (names relative to `data_dir`).
pub mod demo {
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
}

/// Loads `data_dir/zhima.toml`, creating a demo sandbox there first if it does not exist:
/// a platform key pair, a demo app key pair, and a config declaring the demo app, template,
/// agreement, trade and the "promise" state machine of PRODUCT §9.
///
/// The file is written last (via a temporary file and a rename), so an interrupted first start
/// simply starts over.
pub fn bootstrap_default(data_dir: &Path) -> Result<Config> {
    let config_path = data_dir.join(DEFAULT_CONFIG_FILE);
    if !config_path.exists() {
        write_demo_sandbox(data_dir, &config_path)?;
    }
    Config::load(&config_path)
}

fn write_demo_sandbox(data_dir: &Path, config_path: &Path) -> Result<()> {
    let io = |what: &Path, e: std::io::Error| {
        Error::Config(format!("cannot write {}: {e}", what.display()))
    };
    let keys_dir = data_dir.join("keys");
    std::fs::create_dir_all(&keys_dir).map_err(|e| io(&keys_dir, e))?;
    let gen =
        || PrivateKey::generate().map_err(|e| Error::internal(format!("key generation: {e}")));
    let platform = gen()?;
    let app = gen()?;
    let files: [(&str, String, bool); 5] = [
        (demo::PLATFORM_PRIVATE_KEY, platform.to_pkcs1_pem(), true),
        (
            demo::PLATFORM_PUBLIC_KEY,
            platform.public_key().to_spki_pem(),
            false,
        ),
        (demo::APP_PRIVATE_KEY, app.to_pkcs1_pem(), true),
        (demo::APP_PRIVATE_KEY_PKCS8, app.to_pkcs8_pem(), true),
        (demo::APP_PUBLIC_KEY, app.public_key().to_spki_pem(), false),
    ];
    for (rel, text, secret) in files {
        let path = data_dir.join(rel);
        write_file(&path, &text, secret).map_err(|e| io(&path, e))?;
    }
    let tmp = config_path.with_extension("toml.tmp");
    write_file(&tmp, DEMO_CONFIG, false).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, config_path).map_err(|e| io(config_path, e))
}

/// Writes a file; secrets are created owner-only (0600) on Unix.
fn write_file(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// The configuration the bootstrap writes (paths relative to the data directory).
const DEMO_CONFIG: &str = r#"# zhima sandbox configuration, generated on first start.
# Edit freely; unknown keys are rejected with their line number. Paths are relative to this
# file, times are UTC+8 wall time, amounts are yuan strings.

[server]
listen = "127.0.0.1:8080"          # --listen overrides
data_dir = "."                     # SQLite lives here unless database_url is set
# database_url = "postgres://user@127.0.0.1:5432/zhima"
clock_skew_secs = 900
# admin_token_file = "admin.token"

[platform]
private_key_file = "keys/platform_private.pem"   # PKCS#1 or PKCS#8, PEM or bare base64
# cert_file = "keys/platform_cert.pem"           # cert mode: platform cert (its SN goes in responses)
# root_cert_file = "keys/root_bundle.pem"        # cert mode: bundle whose SN list clients send
# SDKs verify responses with keys/platform_public.pem (their "alipay public key").

[[apps]]
app_id = "2021000000000001"
partner_id = "2088621805983504"
public_key_file = "keys/app_public.pem"          # SPKI, PEM or bare base64
# app_cert_file = "keys/app_cert.pem"            # cert mode instead of public_key_file
# encrypt_key = "aYA0GP8JEW+D7/UFaskCWA=="       # AES key, base64
sign_types = ["RSA2", "RSA"]
# The app signs with keys/app_private.pem (PKCS#1) or keys/app_private_pkcs8.pem (PKCS#8, Java).

[[app_auth_tokens]]
token = "202405BBtestAppAuthToken0000000000000001"
app_id = "2021000000000001"                      # the ISV app that may use it
partner_id = "2088621805983999"                  # the merchant it acts for
expires_at = "2030-01-01 00:00:00"

[[zmgo.templates]]
template_no = "ZMGO_T1"
mode = "DECOUPLED"                               # AMOUNT or TASK syncs
obligation_times = 5
obligation_amount = "100.00"
settle_check = true
settle_tolerance = "0.00"

[[zmgo.templates]]
template_no = "ZMGO_T2"
mode = "BOUND"                                   # AMOUNT_TASK syncs with trade_info
obligation_times = 3
settle_check = false

[[zmgo.agreements]]
agreement_no = "20195108518085620000"
template_no = "ZMGO_T1"
user_id = "2088602002015001"
# open_id = "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"
partner_id = "2088621805983504"
status = "Y"
start_time = "2024-01-01 00:00:00"
end_time = "2030-12-31 23:59:59"

[[zmgo.agreements]]
agreement_no = "20195108518085620001"
template_no = "ZMGO_T2"
user_id = "2088602002015001"
partner_id = "2088621805983504"
status = "Y"
start_time = "2024-01-01 00:00:00"
end_time = "2030-12-31 23:59:59"

[[zmgo.trades]]                                  # Alipay trades the sandbox knows (has_alipay_trade)
trade_no = "2020081722001435461000061785"
buyer_user_id = "2088602002015001"
seller_partner_id = "2088621805983504"
amount = "3.57"

# The "promise" (约定) product: a movie ticket is bought, then watched or refunded.
[[state_sync.services]]
service_id = "2019080700000000000001800100"
app_ids = ["2021000000000001"]                   # apps allowed to sync into it

[[state_sync.services.categories]]
code = "WATCH_MOVIE"

[[state_sync.services.categories.states]]
code = "CONTRACT_STATE_WATCH_MOVIE_BUY"
initial = true
next = ["CONTRACT_STATE_WATCH_MOVIE_WATCHED", "CONTRACT_STATE_WATCH_MOVIE_REFUND"]
biz_data_schema = '{"type":"object","required":["orderNo"],"properties":{"orderNo":{"type":"string"},"buyCnt":{"type":"integer","minimum":1}}}'

[[state_sync.services.categories.states]]
code = "CONTRACT_STATE_WATCH_MOVIE_WATCHED"
terminal = true

[[state_sync.services.categories.states]]
code = "CONTRACT_STATE_WATCH_MOVIE_REFUND"
terminal = true
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// A bootstrapped sandbox (keys on disk) and its config text.
    fn sandbox() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        bootstrap_default(dir.path()).unwrap();
        let path = dir.path().join(DEFAULT_CONFIG_FILE);
        (dir, path)
    }

    /// The demo config with `extra` inserted after the line containing `after`.
    fn with_line(after: &str, extra: &str) -> (String, usize) {
        let mut lines: Vec<&str> = DEMO_CONFIG.lines().collect();
        let at = lines.iter().position(|l| l.contains(after)).unwrap() + 1;
        lines.insert(at, extra);
        (lines.join("\n"), at + 1)
    }

    fn config_error(path: &Path, text: &str) -> String {
        match Config::from_toml(path, text) {
            Err(Error::Config(msg)) => msg,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    /// Asserts that `text` is refused with a message naming `line` and `token`.
    fn assert_refused_at(path: &Path, text: &str, line: usize, token: &str) {
        let msg = config_error(path, text);
        assert!(
            msg.contains(&format!("line {line}")) && msg.contains(token),
            "{msg}"
        );
    }

    /// The 1-based number of the first line of `text` containing `needle`.
    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn bootstrap_creates_a_working_sandbox_then_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = bootstrap_default(dir.path()).unwrap();
        for f in [
            demo::PLATFORM_PUBLIC_KEY,
            demo::APP_PRIVATE_KEY,
            demo::APP_PRIVATE_KEY_PKCS8,
        ] {
            assert!(dir.path().join(f).is_file(), "{f}");
        }
        let r = &first.records;
        assert_eq!(
            (
                r.apps.len(),
                r.templates.len(),
                r.agreements.len(),
                r.trades.len()
            ),
            (1, 2, 2, 1)
        );
        assert_eq!(r.apps[0].app_id, demo::APP_ID);
        assert_eq!(r.state_services[0].service_id, demo::SERVICE_ID);
        assert_eq!(first.server.data_dir, dir.path().join("."));
        assert_eq!(first.server.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(first.server.clock_skew, chrono::Duration::minutes(15));
        assert_eq!(r.templates[0].obligation_amount, Some(Fen(10_000)));

        // The app key pair on disk matches what the platform registered, in both PEM forms.
        let app_key = PrivateKey::from_text(
            &std::fs::read_to_string(dir.path().join(demo::APP_PRIVATE_KEY_PKCS8)).unwrap(),
        )
        .unwrap();
        assert_eq!(app_key.public_key().to_spki_pem(), r.apps[0].public_key_pem);
        let platform_public =
            std::fs::read_to_string(dir.path().join(demo::PLATFORM_PUBLIC_KEY)).unwrap();
        assert!(first
            .platform
            .private_key
            .matches(&PublicKey::from_text(&platform_public).unwrap()));

        // A second start loads the same sandbox instead of generating new keys.
        let second = bootstrap_default(dir.path()).unwrap();
        assert!(second
            .platform
            .private_key
            .matches(&first.platform.private_key.public_key()));
        assert_eq!(second.records, first.records);
    }

    #[test]
    fn times_are_utc_plus_8() {
        let (_dir, path) = sandbox();
        let c = Config::load(&path).unwrap();
        let expires = c.records.app_auth_tokens[0].expires_at;
        assert_eq!(
            expires.with_timezone(&chrono::Utc).to_rfc3339(),
            "2029-12-31T16:00:00+00:00"
        );
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let (_dir, path) = sandbox();
        let (text, line) = with_line("sign_types", "colour = \"red\"");
        assert_refused_at(&path, &text, line, "colour");
        let (text, line) = with_line("[server]", "lisen = \"0.0.0.0:1\"");
        assert_refused_at(&path, &text, line, "lisen");
    }

    #[test]
    fn bad_values_are_named_with_their_line() {
        let (_dir, path) = sandbox();
        let text = DEMO_CONFIG.replace(
            "obligation_amount = \"100.00\"",
            "obligation_amount = \"100.001\"",
        );
        assert_refused_at(&path, &text, line_of(&text, "100.001"), "100.001");

        let text = DEMO_CONFIG.replace(
            "expires_at = \"2030-01-01 00:00:00\"",
            "expires_at = \"2030-01-01T00:00\"",
        );
        assert!(config_error(&path, &text).contains("yyyy-MM-dd HH:mm:ss"));
        let text = DEMO_CONFIG.replace(
            "sign_types = [\"RSA2\", \"RSA\"]",
            "sign_types = [\"RSA3\"]",
        );
        assert!(config_error(&path, &text).contains("RSA3"));
        let text = DEMO_CONFIG.replace("listen = \"127.0.0.1:8080\"", "listen = \"localhost\"");
        assert!(config_error(&path, &text).contains("line 6"));
    }

    #[test]
    fn references_and_files_are_checked() {
        let (_dir, path) = sandbox();
        let text = DEMO_CONFIG.replacen(
            "template_no = \"ZMGO_T1\"\nuser_id",
            "template_no = \"NOPE\"\nuser_id",
            1,
        );
        assert_refused_at(&path, &text, line_of(&text, "\"NOPE\""), "NOPE");

        let text = DEMO_CONFIG.replace("keys/app_public.pem", "keys/missing.pem");
        let msg = config_error(&path, &text);
        assert!(
            msg.contains("public_key_file") && msg.contains("missing.pem"),
            "{msg}"
        );

        // A private key where a public key belongs is named as such.
        let text = DEMO_CONFIG.replace(
            "public_key_file = \"keys/app_public.pem\"",
            "public_key_file = \"keys/app_private.pem\"",
        );
        assert!(config_error(&path, &text).contains("public_key_file"));

        let text = DEMO_CONFIG.replace(
            "app_ids = [\"2021000000000001\"]",
            "app_ids = [\"2021000000000009\"]",
        );
        assert!(config_error(&path, &text).contains("2021000000000009"));
        let text = DEMO_CONFIG.replace("code = \"CONTRACT_STATE_WATCH_MOVIE_WATCHED\"\nterminal = true", "code = \"CONTRACT_STATE_WATCH_MOVIE_WATCHED\"\nterminal = true\nnext = [\"CONTRACT_STATE_WATCH_MOVIE_BUY\"]");
        assert!(config_error(&path, &text).contains("terminal"));
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let (dir, _) = sandbox();
        // The same config loaded from a subdirectory fails to find keys/ there …
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let msg = config_error(&sub.join("zhima.toml"), DEMO_CONFIG);
        assert!(
            msg.contains(&sub.join("keys/platform_private.pem").display().to_string()),
            "{msg}"
        );
        // … and finds them with a `../` prefix.
        let text = DEMO_CONFIG.replace("\"keys/", "\"../keys/");
        let c = Config::from_toml(&sub.join("zhima.toml"), &text).unwrap();
        assert_eq!(
            c.platform.private_key_file,
            sub.join("../keys/platform_private.pem")
        );
    }
}
