//! `zhima replay` (being written).

use crate::Failure;

/// Arguments of `zhima replay`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> Result<(), Failure> {
    Err(Failure::Other("zhima replay is not built yet".into()))
}
