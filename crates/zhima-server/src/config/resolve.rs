//! Resolving a parsed file into a [`Config`]: paths relative to the file, key and certificate
//! files read and parsed, cross references checked (an agreement's template exists, a token's
//! app is declared, no id twice), state machines compiled. Every error names the file and line.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use toml::Spanned;
use zhima_proto::cert;
use zhima_proto::keys::PrivateKey;

use super::file::{
    AgreementSection, AppSection, FileConfig, PlatformSection, ServerSection, TemplateSection,
};
use super::{
    CertRef, Config, PlatformConfig, RateLimit, ServerConfig, DEFAULT_AUDIT_RETENTION_DAYS,
    DEFAULT_CLOCK_SKEW_SECS, DEFAULT_HEADER_READ_TIMEOUT_SECS, DEFAULT_LISTEN,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_QUEUE_WAIT_MS,
    DEFAULT_NOTIFY_TIMEOUT_SECS,
};
use crate::domain::entities::{Agreement, App, AppAuthToken, Records, Template, Trade};
use crate::domain::preorder::ZmgoUser;
use crate::domain::records::{self, FieldError};
use crate::domain::state_sync::{ServiceConfig, StateMachines};
use crate::error::{Error, Result};

/// Reads a file the configuration names (the disk; memory in the fuzz target).
type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

/// Error context: the file and its text, to turn byte spans into line numbers.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
    base_dir: PathBuf,
    read_file: ReadFile<'a>,
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
        let text = (self.read_file)(&path)
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
        Config::from_toml_reading(path, text, &|p| std::fs::read_to_string(p))
    }

    /// [`Config::from_toml`] with the key and certificate files it names read by `read_file`
    /// instead of from the disk: the fuzz target's entry (every parse and check runs, no
    /// filesystem), not API.
    #[doc(hidden)]
    pub fn from_toml_reading(
        path: &Path,
        text: &str,
        read_file: &dyn Fn(&Path) -> std::io::Result<String>,
    ) -> Result<Config> {
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let src = Source {
            path,
            text,
            base_dir,
            read_file,
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
        header_read_timeout: std::time::Duration::from_secs(
            s.header_read_timeout_secs
                .map_or(DEFAULT_HEADER_READ_TIMEOUT_SECS, |n| u64::from(n.get())),
        ),
        max_connections: s
            .max_connections
            .map_or(DEFAULT_MAX_CONNECTIONS, |n| n.get() as usize),
        max_in_flight: s
            .max_in_flight
            .map_or(DEFAULT_MAX_IN_FLIGHT, |n| n.get() as usize),
        max_queue_wait: std::time::Duration::from_millis(
            s.max_queue_wait_ms
                .map_or(DEFAULT_MAX_QUEUE_WAIT_MS, u64::from),
        ),
        // 0 (or absent) is off; the burst defaults to one second's worth.
        app_rate_limit: s
            .app_rate_limit_per_sec
            .filter(|&n| n > 0)
            .map(|per_sec| RateLimit {
                per_sec,
                burst: s.app_rate_limit_burst.map_or(per_sec, |b| b.get()),
            }),
        admin_token_file: s
            .admin_token_file
            .as_ref()
            .map(|f| src.resolve(f.get_ref())),
        audit_retention_days: s
            .audit_retention_days
            .unwrap_or(DEFAULT_AUDIT_RETENTION_DAYS),
        notify_allowed_hosts: s
            .notify_allowed_hosts
            .iter()
            .flatten()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect(),
        notify_timeout: std::time::Duration::from_secs(
            s.notify_timeout_secs
                .map_or(DEFAULT_NOTIFY_TIMEOUT_SECS, |n| u64::from(n.get())),
        ),
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
        let token = AppAuthToken {
            token: t.token.clone(),
            app_id: t.app_id.get_ref().clone(),
            partner_id: t.partner_id.clone(),
            expires_at: t.expires_at,
        };
        records::check_app_auth_token(&token, &app_ids)
            .map_err(|e| src.err_at(&t.app_id, declared(e, "[[apps]]")))?;
        app_auth_tokens.push(token);
    }

    let templates: Vec<Template> = file.zmgo.templates.iter().map(resolve_template).collect();
    for (t, section) in templates.iter().zip(&file.zmgo.templates) {
        records::check_template(t).map_err(|e| src.err_at(&section.template_no, e))?;
    }
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
        .map(|a| resolve_agreement(src, a, &template_nos, &app_ids))
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

    let zmgo_users = file
        .zmgo
        .users
        .iter()
        .map(|u| ZmgoUser {
            user_id: u.user_id.get_ref().clone(),
            admitted: u.admitted,
        })
        .collect();
    unique(src, file.zmgo.users.iter().map(|u| &u.user_id), "user_id")?;

    let state_services = resolve_services(src, &file.state_sync.services, &app_ids)?;
    Ok(Records {
        zmgo_users,
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

/// A rule's failure as the file says it: a missing reference is "not declared in `section`".
fn declared(e: FieldError, section: &str) -> String {
    match e.message.strip_suffix(" does not exist") {
        Some(what) => format!("{}: {what} is not declared in {section}", e.field),
        None => e.to_string(),
    }
}

fn resolve_app(src: &Source<'_>, a: &AppSection) -> Result<App> {
    records::check_app_id(a.app_id.get_ref()).map_err(|e| src.err_at(&a.app_id, e))?;
    let (public_key, app_cert_sn) = match (&a.public_key_file, &a.app_cert_file) {
        (Some(f), None) => {
            let (path, text) = src.read("public_key_file", f)?;
            let pem = records::public_key_pem("public_key_file", &text).map_err(|e| {
                src.err_at(
                    f,
                    format!("public_key_file {}: {}", path.display(), e.message),
                )
            })?;
            (pem, None)
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
            (key.to_spki_pem(), Some(info.sn))
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
    let app = App {
        notify_url: a.notify_url.as_ref().map(|u| u.get_ref().clone()),
        app_id: a.app_id.get_ref().clone(),
        partner_id: a.partner_id.clone(),
        public_key_pem: public_key,
        app_cert_sn,
        encrypt_key: a.encrypt_key.clone(),
        sign_types: a.sign_types.clone(),
        enabled: a.enabled,
    };
    records::check_app(&app).map_err(|e| match (&a.notify_url, e.field) {
        (Some(u), "notify_url") => src.err_at(u, format!("app {}: {e}", a.app_id.get_ref())),
        _ => src.err_at(&a.app_id, e),
    })?;
    Ok(app)
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
    app_ids: &HashSet<&str>,
) -> Result<Agreement> {
    if let Some(app) = &a.app_id {
        if !app_ids.contains(app.get_ref().as_str()) {
            return Err(src.err_at(
                app,
                format!("app_id {} is not declared in [[apps]]", app.get_ref()),
            ));
        }
    }
    let agreement = Agreement {
        agreement_no: a.agreement_no.get_ref().clone(),
        template_no: a.template_no.get_ref().clone(),
        user_id: a.user_id.clone(),
        open_id: a.open_id.clone(),
        partner_id: a.partner_id.clone(),
        status: a.status,
        start_time: a.start_time,
        end_time: a.end_time,
        quit: None,
        app_id: a.app_id.as_ref().map(|id| id.get_ref().clone()),
    };
    records::check_agreement(&agreement, template_nos).map_err(|e| {
        let at = if e.field == "template_no" {
            &a.template_no
        } else {
            &a.agreement_no
        };
        src.err_at(at, declared(e, "[[zmgo.templates]]"))
    })?;
    Ok(agreement)
}

fn resolve_services(
    src: &Source<'_>,
    services: &[Spanned<ServiceConfig>],
    app_ids: &HashSet<&str>,
) -> Result<Vec<ServiceConfig>> {
    for svc in services {
        // One by one so the error points at the offending service.
        records::check_service(svc.get_ref(), app_ids).map_err(|e| {
            let msg = match e.field {
                "categories" => e.message,
                _ => declared(e, "[[apps]]"),
            };
            src.err_at(svc, format!("service {}: {msg}", svc.get_ref().service_id))
        })?;
    }
    let plain: Vec<ServiceConfig> = services.iter().map(|s| s.get_ref().clone()).collect();
    StateMachines::compile(&plain)
        .map_err(|e| Error::Config(format!("{}: {e}", src.path.display())))?;
    Ok(plain)
}
