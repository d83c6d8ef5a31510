//! `zhima`: run the platform, manage keys, call and debug the Alipay / Zhima APIs.
//!
//! One file per subcommand under `commands/`; this file only parses arguments and maps
//! outcomes to exit codes (0 ok, 2 bad usage or config, 1 other failures).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

#[derive(Parser)]
#[command(
    name = "zhima",
    version,
    about = "Zhima Credit data-sync platform, SDK tools and sandbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform (zero config: ./zhima-data/, demo app, keys and data generated).
    Serve(commands::serve::Args),
    /// Generate, inspect and convert RSA keys.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// Send a signed v1 method or v3 request and verify the response.
    Call(commands::call::Args),
    /// Explain why a request's signature fails.
    Doctor(commands::doctor::Args),
    /// Re-send recorded syncs from a JSONL file.
    Replay(commands::replay::Args),
    /// Measure throughput and server CPU per request against the RSA signing ceiling.
    Bench(commands::bench::Args),
    /// The admin API: the sandbox clock (bearer admin token from --token-file).
    Admin(commands::admin::Args),
    /// Print the OpenAPI 3.1 description of the v3 routes (what `zhima serve` serves at
    /// /v3/openapi.json; `zhima openapi > docs/openapi.json` regenerates the shipped copy).
    Openapi,
}

/// A failure with the exit code it deserves.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or configuration: exit 2.
    Usage(String),
    /// Anything else: exit 1.
    Other(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Other(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Keys(cmd) => commands::keys::run(cmd),
        Command::Call(args) => commands::call::run(args),
        Command::Doctor(args) => commands::doctor::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Admin(args) => commands::admin::run(args),
        Command::Openapi => {
            print!("{}", zhima_server::http::openapi::json());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("zhima: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Other(msg)) => {
            eprintln!("zhima: {msg}");
            ExitCode::from(1)
        }
    }
}
