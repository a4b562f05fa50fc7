//! `safekeep serve`: the sync relay, the same server as the `safekeep-server` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use safekeep_server::limits::Limits;
use safekeep_server::{Config, DatabaseUrl, Store};

use crate::{CliResult, Failure};

/// Where the server keeps its data: `database_url` (PostgreSQL) replaces the data
/// directory when given; `database_ca` adds the authorities that signed its TLS
/// certificate.
pub struct StoreArgs {
    /// The embedded store's directory.
    pub data: PathBuf,
    /// A PostgreSQL database instead.
    pub database_url: Option<String>,
    /// A PEM file of authorities for the database's certificate.
    pub database_ca: Option<PathBuf>,
}

/// Runs the server until the process is stopped; metrics on `metrics` only.
pub fn run(listen: SocketAddr, store: StoreArgs, metrics: Option<SocketAddr>) -> CliResult {
    let config = Config {
        listen,
        store: match store.database_url {
            Some(url) => Store::Postgres(DatabaseUrl::new(url).trusting(store.database_ca)),
            None => Store::Directory(store.data),
        },
        limits: Limits::default(),
        metrics,
    };
    safekeep_server::serve_forever(config).map_err(|e| Failure::new(format!("server: {e}")))
}
