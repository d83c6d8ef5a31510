//! `zhima serve`: run the platform (PRODUCT §8, §10).
//!
//! Without `--config`, the data directory is bootstrapped into a demo sandbox (keys, demo app,
//! template, agreement, state machine) and its generated `zhima.toml` is used. Logs go to
//! stderr (`RUST_LOG`, default `info`); stdout gets `listening on http://HOST:PORT` once the
//! socket is bound, then how to call the server. SIGTERM/SIGINT stop accepting, let in-flight
//! requests finish (≤ 10 s), flush storage and exit 0.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use zhima_server::bootstrap::admin_token::{self, AdminTokenStatus};
use zhima_server::bootstrap::{self, demo};
use zhima_server::config::Config;
use zhima_server::http::Server;
use zhima_server::storage::{redact_url, PgOptions, SqliteEngine, SqliteOptions, Storage};
use zhima_server::Error;

use crate::Failure;

mod memory;

/// Arguments of `zhima serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Configuration file (zhima.toml). Without it, a demo sandbox is created in the data
    /// directory on first start and reused afterwards.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port [default: the config's, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Data directory holding the SQLite database [default: the config's, else ./zhima-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Skip fsync on commit. For benchmarks only: a crash may lose acknowledged writes.
    /// SQLite only.
    #[arg(long)]
    unsafe_no_fsync: bool,
    /// Keep every record in PostgreSQL instead of SQLite (postgres://USER@HOST:PORT/DB), so
    /// several processes behind a load balancer serve as one platform [default: the config's
    /// `[server] database_url`].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    zhima_server::logging::init_stderr("info");
    // Before the runtime's threads exist, so that they share the capped arenas.
    memory::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(args))
}

/// Which configuration is in force, and whether it is the generated demo sandbox.
struct Loaded {
    config: Config,
    /// Zero-config mode: the data directory holds the demo keys.
    demo_dir: Option<PathBuf>,
}

async fn serve(args: Args) -> Result<(), Failure> {
    let Loaded {
        mut config,
        demo_dir,
    } = load(&args)?;
    if let Some(dir) = &args.data_dir {
        config.server.data_dir = dir.clone();
    }
    if let Some(url) = &args.database_url {
        config.server.database_url = Some(url.clone());
    }
    let storage = open_storage(&config, !args.unsafe_no_fsync).await?;
    let admin = ensure_admin_token(&config, &storage).await?;
    if args.unsafe_no_fsync {
        tracing::warn!(
            "--unsafe-no-fsync: commits are not fsynced; a crash may lose acknowledged writes"
        );
    }
    let listen = args.listen.unwrap_or(config.server.listen);
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::Other(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Other(format!("listener address: {e}")))?;
    print_banner(addr, &config, demo_dir.as_deref(), &admin);
    let served = Server::from_config(&config, storage.clone())
        .serve(listener, shutdown_signal())
        .await;
    // Flush even when serving failed: whatever was acknowledged must be on disk.
    let flushed = storage.flush().await;
    served.map_err(|e| Failure::Other(format!("server error: {e}")))?;
    flushed.map_err(|e| Failure::Other(format!("flushing storage: {e}")))?;
    tracing::info!("stopped cleanly");
    Ok(())
}

fn load(args: &Args) -> Result<Loaded, Failure> {
    match &args.config {
        Some(path) => Ok(Loaded {
            config: Config::load(path).map_err(failure)?,
            demo_dir: None,
        }),
        None => {
            let dir = args
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("./zhima-data"));
            let config = bootstrap::bootstrap_default(&dir).map_err(failure)?;
            Ok(Loaded {
                config,
                demo_dir: Some(dir),
            })
        }
    }
}

/// Opens PostgreSQL (`database_url`) or SQLite in the data directory, and upserts what the
/// configuration declares (idempotent, so processes starting together on one database agree).
async fn open_storage(config: &Config, fsync: bool) -> Result<Arc<Storage>, Failure> {
    let storage = match &config.server.database_url {
        Some(url) => open_postgres(url).await?,
        None => open_sqlite(config, fsync).await?,
    };
    storage
        .apply_records(&config.records)
        .await
        .map_err(failure)?;
    Ok(storage)
}

/// An unreachable database at start is a usage error (exit 2) naming the URL, password hidden.
async fn open_postgres(url: &str) -> Result<Arc<Storage>, Failure> {
    let shown = redact_url(url);
    tracing::info!(database_url = %shown, "storage: PostgreSQL");
    match Storage::open_postgres(&PgOptions::new(url)).await {
        Ok(storage) => Ok(Arc::new(storage)),
        Err(Error::Unavailable(msg) | Error::Config(msg)) => Err(Failure::Usage(msg)),
        Err(other) => Err(Failure::Other(format!("PostgreSQL at {shown}: {other}"))),
    }
}

async fn open_sqlite(config: &Config, fsync: bool) -> Result<Arc<Storage>, Failure> {
    let mut options = SqliteOptions::in_dir(&config.server.data_dir);
    options.fsync = fsync;
    let engine = tokio::task::spawn_blocking(move || SqliteEngine::open(&options))
        .await
        .map_err(|e| Failure::Other(format!("opening storage: {e}")))?
        .map_err(failure)?;
    Ok(Arc::new(Storage::start(engine).await.map_err(failure)?))
}

/// The admin token (PRODUCT §14): `[server] admin_token_file`, else `<data_dir>/admin.token`;
/// generated on first start. Only where it is gets logged, never the token.
async fn ensure_admin_token(
    config: &Config,
    storage: &Storage,
) -> Result<AdminTokenStatus, Failure> {
    let configured = config.server.admin_token_file.clone();
    let path = configured
        .clone()
        .unwrap_or_else(|| config.server.data_dir.join(admin_token::ADMIN_TOKEN_FILE));
    let status = admin_token::ensure_admin_token(storage, &path, configured.is_some())
        .await
        .map_err(failure)?;
    match &status {
        AdminTokenStatus::Generated(p) => {
            tracing::info!(file = %p.display(), "admin token generated")
        }
        AdminTokenStatus::InFile(p) => tracing::info!(file = %p.display(), "admin token"),
        AdminTokenStatus::Elsewhere(p) => tracing::warn!(
            file = %p.display(),
            "the database already has an admin token but this file does not hold it: \
             another process sharing the database generated it (copy that process's admin.token \
             here), or set [server] admin_token_file to a file with a token of your choice"
        ),
    }
    Ok(status)
}

/// Configuration problems are usage errors (exit 2); anything else exits 1.
fn failure(e: Error) -> Failure {
    match e {
        Error::Config(msg) => Failure::Usage(msg),
        other => Failure::Other(other.to_string()),
    }
}

/// Completes on SIGINT or (Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

/// The `listening on` line, then what a user needs to make a first call.
fn print_banner(
    addr: SocketAddr,
    config: &Config,
    demo_dir: Option<&Path>,
    admin: &AdminTokenStatus,
) {
    let base = format!("http://{addr}");
    let mut out = format!("listening on {base}\n\n");
    out.push_str(&format!(
        "  base URL      {base}   (v1 gateway: {base}/gateway.do)\n"
    ));
    out.push_str(&format!("  config        {}\n", config.source.display()));
    for app in &config.records.apps {
        let mode = if app.app_cert_sn.is_some() {
            ", cert mode"
        } else {
            ""
        };
        out.push_str(&format!(
            "  app_id        {} (partner {}{mode})\n",
            app.app_id, app.partner_id
        ));
    }
    match demo_dir {
        Some(dir) => out.push_str(&demo_instructions(&base, dir)),
        None => out.push_str(&format!(
            "  platform key  {} (give the SDKs its public key)\n",
            config.platform.private_key_file.display()
        )),
    }
    let note = match admin {
        AdminTokenStatus::Elsewhere(_) => " (not here yet: see the log)",
        _ => "",
    };
    out.push_str(&format!(
        "  admin token   {}{note}   (zhima admin --token-file …)\n",
        admin.path().display()
    ));
    print!("{out}");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
}

fn demo_instructions(base: &str, dir: &Path) -> String {
    let path = |rel: &str| dir.join(rel).display().to_string();
    let (app_key, platform_key) = (path(demo::APP_PRIVATE_KEY), path(demo::PLATFORM_PUBLIC_KEY));
    let biz = format!(
        r#"{{"user_id":"{user}","out_biz_no":"demo-0001","out_principal_id":"movie-1","biz_state_code":"CONTRACT_STATE_WATCH_MOVIE_BUY","category_code":"WATCH_MOVIE","service_id":"{service}","biz_data":"{{\"orderNo\":\"o-1\"}}"}}"#,
        user = demo::USER_ID,
        service = demo::SERVICE_ID
    );
    let cumulation = format!(
        r#"{{"agreement_no":"{agreement}","user_id":"{user}","partner_id":"{partner}","out_biz_no":"demo-0002","biz_action":"ORDER_PAID","biz_time":"2024-05-20 10:00:00","cumulate_data_type":"TASK","task_type_data":{{"name":"打车1次"}},"request_from":"ExternalMerchantSource"}}"#,
        agreement = demo::AGREEMENT_NO,
        user = demo::USER_ID,
        partner = demo::PARTNER_ID
    );
    let common = format!(
        "--url {base} --app-id {} --key {app_key} --platform-key {platform_key}",
        demo::APP_ID
    );
    format!(
        "  app key       {app_key}   (PKCS#1; Java SDKs: {})\n  platform key  {platform_key}   (the SDKs' \"alipay public key\")\n\n\
         try a v1 state sync:\n  zhima call {common} zhima.data.state.data.sync '{biz}'\n\
         or a v3 cumulation sync:\n  zhima call {common} POST /v3/zhima/credit/pe/zmgo/cumulation/sync '{cumulation}'\n\
         (v3 requests carry an RSA signature over the exact request in their Authorization header, which\n \
         `zhima call` computes; a hand-written curl line cannot.)\n",
        path(demo::APP_PRIVATE_KEY_PKCS8)
    )
}
