//! `safekeep serve`: the sync relay, the same server as the `safekeep-server` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use safekeep_server::Config;
use safekeep_server::limits::Limits;

use crate::{CliResult, Failure};

/// Runs the server until the process is stopped.
pub fn run(listen: SocketAddr, data: PathBuf) -> CliResult {
    let config = Config {
        listen,
        data,
        limits: Limits::default(),
    };
    safekeep_server::serve_forever(config).map_err(|e| Failure::new(format!("server: {e}")))
}
