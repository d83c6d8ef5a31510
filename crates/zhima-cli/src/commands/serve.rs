//! `zhima serve` (being written).

use crate::Failure;

/// Arguments of `zhima serve`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> Result<(), Failure> {
    Err(Failure::Other("zhima serve is not built yet".into()))
}
