//! `safekeep-server`: the sync relay as its own binary (`safekeep serve` runs the same).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use safekeep_server::{Config, DatabaseUrl, Store, limits::Limits};

/// The Safekeep sync relay: stores and orders sealed bundles it cannot read.
#[derive(Parser)]
#[command(name = "safekeep-server", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Data directory of the embedded store.
    #[arg(long, default_value = "safekeep-server-data")]
    data: PathBuf,
    /// A PostgreSQL database instead of the data directory
    /// (postgres://user:password@host/database); several servers may share one.
    /// Add `?sslmode=require` for TLS (the database's certificate is verified).
    #[arg(
        long,
        env = "SAFEKEEP_DATABASE_URL",
        hide_env_values = true,
        conflicts_with = "data"
    )]
    database_url: Option<String>,
    /// A PEM file of the certificate authorities that signed the database's TLS
    /// certificate, when not a public one (a cloud provider's, or your own).
    #[arg(long, env = "SAFEKEEP_DATABASE_CA", requires = "database_url")]
    database_ca: Option<PathBuf>,
    /// Serve Prometheus metrics (`GET /metrics`) on this address only, apart from
    /// the devices' address (keep it private: the counts say when teams are busy).
    #[arg(long, env = "SAFEKEEP_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = Config {
        listen: args.listen,
        store: match args.database_url {
            Some(url) => Store::Postgres(DatabaseUrl::new(url).trusting(args.database_ca)),
            None => Store::Directory(args.data),
        },
        limits: Limits::default(),
        metrics: args.metrics_listen,
    };
    match safekeep_server::serve_forever(config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
