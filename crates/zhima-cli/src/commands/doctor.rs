//! `zhima doctor` (being written).

use crate::Failure;

/// Arguments of `zhima doctor`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> Result<(), Failure> {
    Err(Failure::Other("zhima doctor is not built yet".into()))
}
