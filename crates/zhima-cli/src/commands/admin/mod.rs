//! `zhima admin …`: the admin API (PRODUCT §14) from the command line. Every subcommand takes
//! `--url` (the server, default `zhima serve`'s `http://127.0.0.1:8080`), `--token-file` (the
//! admin token `zhima serve` wrote, default `./zhima-data/admin.token`) and `--json` (print the
//! API's JSON answer instead of a summary).

mod clock;
mod notifications;
mod resources;
mod table;
mod view_link;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use zhima_server::bootstrap::admin_token::read_token_file;

use crate::Failure;

/// `zhima admin`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    conn: Conn,
    #[command(subcommand)]
    command: AdminCommand,
}

/// Where the admin API is and how to authenticate.
#[derive(clap::Args)]
struct Conn {
    /// Base URL of the server.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080"
    )]
    url: String,
    /// File holding the admin token (`zhima serve` prints where it wrote it).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "./zhima-data/admin.token"
    )]
    token_file: PathBuf,
    /// Print the API's JSON answer.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum AdminCommand {
    /// The sandbox clock: business time = real time + an offset you advance.
    #[command(subcommand)]
    Clock(clock::ClockCommand),
    /// A signed link to a consumer page: an agreement's Zhima GO card, or (--instance) a
    /// state-sync instance's page.
    ViewLink(view_link::ViewLinkArgs),
    /// Apps: list, show, create, enable, disable, rotate-key.
    #[command(subcommand)]
    Apps(resources::AppsCommand),
    /// App auth tokens: list (by prefix), create (value shown once), revoke.
    #[command(subcommand)]
    Tokens(resources::TokensCommand),
    /// Zhima GO templates: list, show, create, update.
    #[command(subcommand)]
    Templates(resources::TemplatesCommand),
    /// Agreements: list with filters, show one with its ledger.
    #[command(subcommand)]
    Agreements(resources::AgreementsCommand),
    /// Alipay trades the sandbox knows: list, add.
    #[command(subcommand)]
    Trades(resources::TradesCommand),
    /// Users' Zhima GO admittance: list, admit, refuse.
    #[command(subcommand)]
    Admittance(resources::AdmittanceCommand),
    /// State machines (state-sync services): list, show, put.
    #[command(subcommand)]
    Machines(resources::MachinesCommand),
    /// Search cumulation events (by out_biz_no, agreement, user, time).
    Events(resources::EventsArgs),
    /// State-sync instances: list, show one with its history.
    #[command(subcommand)]
    Instances(resources::InstancesCommand),
    /// The audit log, filtered by app, API, outcome and time.
    Audit(resources::AuditArgs),
    /// Notifications to merchants: list the outbox, redeliver one.
    #[command(subcommand)]
    Notifications(notifications::NotificationsCommand),
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let client = AdminClient::new(&args.conn)?;
        match args.command {
            AdminCommand::Clock(cmd) => clock::run(&client, cmd).await,
            AdminCommand::ViewLink(args) => view_link::run(&client, args).await,
            AdminCommand::Apps(cmd) => resources::apps(&client, cmd).await,
            AdminCommand::Tokens(cmd) => resources::tokens(&client, cmd).await,
            AdminCommand::Templates(cmd) => resources::templates(&client, cmd).await,
            AdminCommand::Agreements(cmd) => resources::agreements(&client, cmd).await,
            AdminCommand::Trades(cmd) => resources::trades(&client, cmd).await,
            AdminCommand::Admittance(cmd) => resources::admittance(&client, cmd).await,
            AdminCommand::Machines(cmd) => resources::machines(&client, cmd).await,
            AdminCommand::Events(args) => resources::events(&client, args).await,
            AdminCommand::Instances(cmd) => resources::instances(&client, cmd).await,
            AdminCommand::Audit(args) => resources::audit(&client, args).await,
            AdminCommand::Notifications(cmd) => notifications::run(&client, cmd).await,
        }
    })
}

/// An authenticated admin API client.
pub(crate) struct AdminClient {
    http: reqwest::Client,
    base: String,
    token: String,
    pub(crate) json: bool,
}

impl AdminClient {
    fn new(conn: &Conn) -> Result<AdminClient, Failure> {
        let token = load_token(&conn.token_file)?;
        let base = conn.url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Failure::Usage(format!(
                "--url {base:?} must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Failure::Other(format!("HTTP client: {e}")))?;
        Ok(AdminClient {
            http,
            base,
            token,
            json: conn.json,
        })
    }

    /// `GET /admin/api/v1/<path>`.
    pub(crate) async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.send(self.http.get(self.url(path))).await
    }

    /// `POST /admin/api/v1/<path>` with a JSON body.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        let request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(request).await
    }

    /// `PUT /admin/api/v1/<path>` with a JSON body.
    pub(crate) async fn put(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        let request = self
            .http
            .put(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(request).await
    }

    /// `DELETE /admin/api/v1/<path>`.
    pub(crate) async fn delete(&self, path: &str) -> Result<Value, Failure> {
        self.send(self.http.delete(self.url(path))).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/api/v1/{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, Failure> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Other(format!("reading the answer from {}: {e}", self.base)))?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        if status.is_success() {
            return body.ok_or_else(|| {
                Failure::Other(format!(
                    "{} answered {status} with a body that is not JSON",
                    self.base
                ))
            });
        }
        let message = body
            .as_ref()
            .and_then(|b| b["error"]["message"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| text.chars().take(200).collect());
        Err(match status.as_u16() {
            401 => Failure::Usage(format!(
                "the server refused the admin token ({message}); check --token-file (the file `zhima serve` printed)"
            )),
            400 => Failure::Usage(message),
            // A missing object (e.g. an unknown agreement), not a missing route.
            404 if !message.starts_with("no admin API route") => Failure::Other(message),
            404 => Failure::Other(format!(
                "{} has no such admin API route ({message}); is it a zhima server of this version?",
                self.base
            )),
            _ => Failure::Other(format!("{} answered {status}: {message}", self.base)),
        })
    }

    fn transport_error(&self, e: reqwest::Error) -> Failure {
        if e.is_connect() {
            Failure::Other(format!(
                "cannot connect to {} (is `zhima serve` running there? --url sets the address)",
                self.base
            ))
        } else if e.is_timeout() {
            Failure::Other(format!("{} did not answer in time", self.base))
        } else {
            Failure::Other(format!("request to {} failed: {e}", self.base))
        }
    }
}

fn load_token(path: &Path) -> Result<String, Failure> {
    match read_token_file(path) {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(Failure::Usage(format!(
            "no admin token file at {}: `zhima serve` writes one into its data directory on first start (pass --token-file)",
            path.display()
        ))),
        Err(e) => Err(Failure::Usage(e.to_string())),
    }
}
