//! `zhima call` (being written).

use crate::Failure;

/// Arguments of `zhima call`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> Result<(), Failure> {
    Err(Failure::Other("zhima call is not built yet".into()))
}
