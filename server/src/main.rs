//! `safekeep-server`: the sync relay as its own binary (`safekeep serve` runs the same).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use safekeep_server::{Config, limits::Limits};

/// The Safekeep sync relay: stores and orders sealed bundles it cannot read.
#[derive(Parser)]
#[command(name = "safekeep-server", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Data directory.
    #[arg(long, default_value = "safekeep-server-data")]
    data: PathBuf,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = Config {
        listen: args.listen,
        data: args.data,
        limits: Limits::default(),
    };
    match safekeep_server::serve_forever(config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
