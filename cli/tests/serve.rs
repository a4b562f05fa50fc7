//! `safekeep serve` runs the sync server: the operator token is printed once, health
//! answers on 127.0.0.1, and a restart on the same data keeps the token's hash only.
//! Then the whole online path through the command: `team create --server` registers,
//! `team invite` offers the invite to the server, `team join` enrolls, `sync` carries
//! records both ways, a second coordinator waits for the first one's `sync` to confirm
//! it, `devices` lists, `revoke` removes, and the removed device's next `sync` wipes it
//! (exit code 13).

mod common;

use common::{ok, run, safekeep};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use safekeep_server::testing::ScratchDatabase;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server; returns it, the lines it printed up to "listening on", and the
/// address.
fn serve(data: &std::path::Path) -> (Running, Vec<String>, String) {
    serve_with(
        Command::new(env!("CARGO_BIN_EXE_safekeep"))
            .args(["serve", "--data"])
            .arg(data),
    )
}

/// Starts `safekeep serve` with the store chosen by `command`'s arguments or
/// environment.
fn serve_with(command: &mut Command) -> (Running, Vec<String>, String) {
    let child = command
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let mut lines = Vec::new();
    let stdout = running.0.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(addr) = line.strip_prefix("listening on ") {
            let addr = addr.to_owned();
            return (running, lines, addr);
        }
        lines.push(line);
    }
    panic!("the server stopped: {lines:?}");
}

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn the_server_prints_its_operator_token_once_and_answers_health() {
    let data = tempfile::tempdir().unwrap();
    let (first, printed, addr) = serve(data.path());
    assert_eq!(printed.len(), 1, "{printed:?}");
    let token = printed[0]
        .strip_prefix("operator token (shown once; only its hash is kept): ")
        .unwrap()
        .to_owned();
    let health = get(&addr, "/v1/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#"{"status":"ok"}"#));
    let refused = get(&addr, "/v1/devices");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    drop(first);

    let (_second, printed, _) = serve(data.path());
    assert!(printed.is_empty(), "the token is shown once: {printed:?}");
    // Only its hash is kept.
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
    }
}

/// The same on PostgreSQL, with the URL from `SAFEKEEP_DATABASE_URL` (kept out of the
/// process list): the token is shown on the first start only, and the database keeps
/// its hash, not the token.
#[test]
fn safekeep_serve_runs_on_postgresql() {
    let Some(db) = ScratchDatabase::create("safekeep_serve_runs_on_postgresql") else {
        return;
    };
    let start = || {
        serve_with(
            Command::new(env!("CARGO_BIN_EXE_safekeep"))
                .arg("serve")
                .env("SAFEKEEP_DATABASE_URL", db.url()),
        )
    };
    let (first, printed, addr) = start();
    assert_eq!(printed.len(), 1, "{printed:?}");
    let token = printed[0]
        .strip_prefix("operator token (shown once; only its hash is kept): ")
        .unwrap()
        .to_owned();
    assert!(get(&addr, "/v1/health").starts_with("HTTP/1.1 200"));
    drop(first);
    let (_second, printed, addr) = start();
    assert!(printed.is_empty(), "the token is shown once: {printed:?}");
    assert!(get(&addr, "/v1/health").starts_with("HTTP/1.1 200"));
    let stored = db.contents();
    assert!(!stored.is_empty());
    assert!(!stored.windows(token.len()).any(|w| w == token.as_bytes()));
}

#[test]
fn a_coordinator_and_a_field_phone_sync_through_safekeep_serve() {
    let root = tempfile::tempdir().unwrap();
    let (_server, printed, addr) = serve(&root.path().join("server"));
    let token = printed[0]
        .strip_prefix("operator token (shown once; only its hash is kept): ")
        .unwrap()
        .to_owned();
    let url = format!("http://{addr}");
    let (coordinator, field) = (root.path().join("coordinator"), root.path().join("field"));
    ok(safekeep(&coordinator).arg("init"));
    ok(safekeep(&field).arg("init"));

    // Without the operator token the team is made here and the command says how to
    // register it; `team register` with the token does.
    let created =
        ok(safekeep(&coordinator).args(["team", "create", "Haryana kilns", "--server", &url]));
    assert!(created.contains("team register"), "{created}");
    let refused = run(safekeep(&coordinator)
        .args(["team", "register"])
        .env("SAFEKEEP_SERVER_TOKEN", "skop_wrong"));
    assert_eq!(refused.status.code(), Some(14));
    ok(safekeep(&coordinator)
        .args(["team", "register"])
        .env("SAFEKEEP_SERVER_TOKEN", &token));

    let invite: serde_json::Value = serde_json::from_str(&ok(
        safekeep(&coordinator).args(["team", "invite", "--role", "field", "--json"])
    ))
    .unwrap();
    let joined = run(safekeep(&field)
        .args(["team", "join", invite["invite"].as_str().unwrap()])
        .env("SAFEKEEP_INVITE_SECRET", invite["secret"].as_str().unwrap()));
    assert!(joined.status.success());
    assert!(
        String::from_utf8_lossy(&joined.stdout)
            .contains("enrolled with the team's server as field")
    );

    ok(safekeep(&field).args([
        "add",
        "--json",
        "--form",
        "victim_identification",
        "-a",
        "name=Rekha Kumari",
        "-a",
        "age=15",
    ]));
    let pushed: serde_json::Value =
        serde_json::from_str(&ok(safekeep(&field).args(["sync", "--json"]))).unwrap();
    assert_eq!(pushed["pushed"], 1);
    let pulled: serde_json::Value =
        serde_json::from_str(&ok(safekeep(&coordinator).args(["sync", "--json"]))).unwrap();
    assert!(pulled["applied"].as_u64().unwrap() >= 2, "{pulled}");

    // A second coordinator: it syncs records at once, but signs nothing for the team
    // (no removals: exit 9) until the coordinator's sync confirms it.
    let deputy = root.path().join("deputy");
    ok(safekeep(&deputy).arg("init"));
    let invite: serde_json::Value = serde_json::from_str(&ok(safekeep(&coordinator).args([
        "team",
        "invite",
        "--role",
        "coordinator",
        "--json",
    ])))
    .unwrap();
    ok(safekeep(&deputy)
        .args(["team", "join", invite["invite"].as_str().unwrap()])
        .env("SAFEKEEP_INVITE_SECRET", invite["secret"].as_str().unwrap()));
    let waiting: serde_json::Value =
        serde_json::from_str(&ok(safekeep(&deputy).args(["sync", "--json"]))).unwrap();
    assert_eq!(waiting["awaiting_confirmation"], true, "{waiting}");
    assert!(waiting["applied"].as_u64().unwrap() >= 2, "{waiting}");
    let said = ok(safekeep(&deputy).arg("sync"));
    assert!(said.contains("waits for another coordinator"), "{said}");
    let listed = ok(safekeep(&coordinator).arg("devices"));
    assert!(
        listed
            .lines()
            .any(|l| l.contains("coordinator") && l.contains("unconfirmed")),
        "{listed}"
    );
    let devices: serde_json::Value =
        serde_json::from_str(&ok(safekeep(&coordinator).args(["devices", "--json"]))).unwrap();
    let field_id = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["role"] == "field")
        .unwrap()["device"]
        .as_str()
        .unwrap()
        .to_owned();
    let early = run(safekeep(&deputy).args(["revoke", &field_id]));
    assert_eq!(early.status.code(), Some(9));
    let said = String::from_utf8_lossy(&early.stderr);
    assert!(said.contains("no coordinator has confirmed"), "{said}");
    let confirmed: serde_json::Value =
        serde_json::from_str(&ok(safekeep(&coordinator).args(["sync", "--json"]))).unwrap();
    assert_eq!(confirmed["confirmed"], 1, "{confirmed}");
    let taken: serde_json::Value =
        serde_json::from_str(&ok(safekeep(&deputy).args(["sync", "--json"]))).unwrap();
    assert_eq!(taken["awaiting_confirmation"], false, "{taken}");
    let listed = ok(safekeep(&coordinator).arg("devices"));
    assert!(!listed.contains("unconfirmed"), "{listed}");

    let devices: serde_json::Value =
        serde_json::from_str(&ok(safekeep(&coordinator).args(["devices", "--json"]))).unwrap();
    let devices = devices.as_array().unwrap();
    assert_eq!(devices.len(), 3);
    assert!(devices.iter().all(|d| d["awaiting_confirmation"] == false));
    let phone = devices.iter().find(|d| d["role"] == "field").unwrap()["device"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        run(safekeep(&field).args(["devices"])).status.code(),
        Some(14)
    );
    ok(safekeep(&coordinator).args(["revoke", &phone]));
    let wiped = run(safekeep(&field).arg("sync"));
    assert_eq!(
        wiped.status.code(),
        Some(13),
        "{}",
        String::from_utf8_lossy(&wiped.stderr)
    );
    assert_eq!(run(safekeep(&field).arg("list")).status.code(), Some(4));
}
