//! One module per `zhima` subcommand.

pub mod admin;
pub mod bench;
pub mod call;
pub mod doctor;
pub mod keys;
pub mod replay;
pub mod serve;
