//! The sync server as the end-to-end tests start it: the real server code in its own
//! process (the same as `safekeep serve`), on the address and store given: a data
//! directory, or a `postgres://` URL.

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(data)) = (args.next(), args.next()) else {
        eprintln!("usage: relay_server LISTEN DATA_DIR|POSTGRES_URL");
        return std::process::ExitCode::FAILURE;
    };
    let Ok(listen) = listen.parse() else {
        eprintln!("not an address");
        return std::process::ExitCode::FAILURE;
    };
    let config = safekeep_server::Config {
        listen,
        store: if data.starts_with("postgres://") {
            safekeep_server::Store::Postgres(safekeep_server::DatabaseUrl::new(data))
        } else {
            safekeep_server::Store::Directory(data.into())
        },
        limits: safekeep_server::limits::Limits::default(),
        metrics: None,
    };
    match safekeep_server::serve_forever(config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
