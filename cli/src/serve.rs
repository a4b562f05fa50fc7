//! `safekeep serve`: the sync relay, the same server as the `safekeep-server` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use safekeep_server::limits::Limits;
use safekeep_server::{Config, DatabaseUrl, Store};

use crate::{CliResult, Failure};

/// Runs the server until the process is stopped.
/// `database_url` (PostgreSQL) replaces the data directory when given; `database_ca`
/// adds the authorities that signed its TLS certificate.
pub fn run(
    listen: SocketAddr,
    data: PathBuf,
    database_url: Option<String>,
    database_ca: Option<PathBuf>,
) -> CliResult {
    let config = Config {
        listen,
        store: match database_url {
            Some(url) => Store::Postgres(DatabaseUrl::new(url).trusting(database_ca)),
            None => Store::Directory(data),
        },
        limits: Limits::default(),
    };
    safekeep_server::serve_forever(config).map_err(|e| Failure::new(format!("server: {e}")))
}
