//! `safekeep serve` runs the sync server: the operator token is printed once, health
//! answers on 127.0.0.1, and a restart on the same data keeps the token's hash only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

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
    let child = Command::new(env!("CARGO_BIN_EXE_safekeep"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
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
