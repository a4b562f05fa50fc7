//! Two real vaults exchange their ops through a real sync server process: their
//! sealed bundles are pushed and pulled over signed requests, a concurrent edit
//! surfaces as the same conflict on both, and afterwards the server's files and logs
//! hold none of the personal text written on the devices.
//!
//! The device side of the requests is written here by hand until the core has its
//! own transport (issue E, next part); the server, the vaults and the bundles are the
//! real ones.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use safekeep_core::sync::{Role, bundle};
use safekeep_core::{Answers, Changes, FormRef, Passphrase, Value, Vault, VaultOptions};
use safekeep_server::protocol;
use serde_json::json;

const NAME: &str = "Rekha Kumari";
const NOTES: &str = "found at brick kiln Bhatta 4, Jhajjar";
const EDIT_FIELD: &str = "moved to shelter B in Rohtak";
const EDIT_COORDINATOR: &str = "mother reached by phone in Gaya";

struct Server {
    child: Child,
    addr: SocketAddr,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path, log: &Path) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_relay_server"))
        .arg("127.0.0.1:0")
        .arg(data)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        token: String::new(),
    };
    let stdout = server.child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(t) = line.strip_prefix("operator token (shown once; only its hash is kept): ") {
            server.token = t.to_owned();
        } else if let Some(addr) = line.strip_prefix("listening on ") {
            server.addr = addr.parse().unwrap();
            return server;
        }
    }
    panic!("the server stopped");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).unwrap();
    out
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A vault and the key its device signs requests with.
struct Device {
    vault: Vault,
    id: String,
    key: SigningKey,
    cursor: u64,
    batch: u64,
}

impl Device {
    fn request(
        &self,
        server: &Server,
        method: &str,
        pq: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>, bool) {
        let nonce = hex(&random::<16>());
        let time = now_ms();
        let text = protocol::signed_text(&self.id, method, pq, body, time, &nonce);
        let signature = hex(&self.key.sign(text.as_bytes()).to_bytes());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("http://{}{pq}", server.addr);
        let headers = [
            (protocol::DEVICE, self.id.clone()),
            (protocol::TIME, time.to_string()),
            (protocol::NONCE, nonce),
            (protocol::SIGNATURE, signature),
        ];
        let result = if method == "GET" {
            let mut req = agent.get(&url);
            for (k, v) in &headers {
                req = req.header(*k, v);
            }
            req.call()
        } else {
            let mut req = agent.post(&url);
            for (k, v) in &headers {
                req = req.header(*k, v);
            }
            req.send(body)
        };
        let mut response = result.unwrap();
        let more = response
            .headers()
            .get("x-safekeep-more")
            .is_some_and(|v| v.as_bytes() == b"1");
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap();
        (status, body, more)
    }

    /// Pushes every op of this vault as bundles, then pulls and imports what the team
    /// pushed since the last pull.
    fn sync(&mut self, server: &Server) {
        let mut bundles = Vec::new();
        self.vault
            .export_bundles(None, bundle::DEFAULT_MAX_BYTES, |_, bytes| {
                bundles.push(bytes);
                Ok(())
            })
            .unwrap();
        for bytes in bundles {
            self.batch += 1;
            let pq = format!("/v1/bundles?batch={}", self.batch);
            let (status, body, _) = self.request(server, "POST", &pq, &bytes);
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        }
        loop {
            let pq = format!("/v1/bundles?after={}", self.cursor);
            let (status, body, more) = self.request(server, "GET", &pq, b"");
            assert_eq!(status, 200);
            let mut rest = &body[..];
            while !rest.is_empty() {
                self.cursor = u64::from_be_bytes(rest[..8].try_into().unwrap());
                let len = u32::from_be_bytes(rest[8..12].try_into().unwrap()) as usize;
                self.vault.import_bundle(&rest[12..12 + len]).unwrap();
                rest = &rest[12 + len..];
            }
            if !more {
                break;
            }
        }
    }
}

fn options() -> VaultOptions {
    VaultOptions::default().insecure_fast_kdf_for_tests()
}

fn device(dir: &Path) -> Device {
    let passphrase = Passphrase::new(safekeep_tests::PASSPHRASE);
    let vault = Vault::create(dir, &passphrase, options()).unwrap().0;
    let id = hex(vault.device_id().unwrap().as_bytes());
    Device {
        vault,
        id,
        key: SigningKey::from_bytes(&random()),
        cursor: 0,
        batch: 0,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn two_vaults_converge_through_the_server_and_it_holds_nothing_readable() {
    let root = tempfile::tempdir().unwrap();
    let (data, log) = (root.path().join("server"), root.path().join("server.log"));
    let server = start(&data, &log);
    let mut coordinator = device(&root.path().join("coordinator"));
    let mut field = device(&root.path().join("field"));
    let team = coordinator
        .vault
        .create_team("Haryana kilns", None)
        .unwrap();
    let invite = coordinator
        .vault
        .create_invite(Role::Field, Duration::from_secs(600))
        .unwrap();
    field
        .vault
        .join_team(&invite.invite, &invite.secret)
        .unwrap();

    // The operator registers the team; the coordinator enrolls the field phone.
    let body = json!({"team": hex(team.id.as_bytes()), "device": coordinator.id,
        "public_key": hex(coordinator.key.verifying_key().as_bytes())});
    let registered = ureq::post(&format!("http://{}/v1/teams", server.addr))
        .header("authorization", &format!("Bearer {}", server.token))
        .send(body.to_string().as_bytes())
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    let token = hex(&random::<24>());
    let body = json!({"token_hash": hex(&protocol::token_hash(token.as_bytes())),
        "role": "field", "expires_ms": now_ms() + 600_000});
    let (status, _, _) = coordinator.request(
        &server,
        "POST",
        "/v1/enrollments",
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 201);
    let body = json!({"team": hex(team.id.as_bytes()), "token": token,
        "public_key": hex(field.key.verifying_key().as_bytes())});
    let (status, _, _) = field.request(&server, "POST", "/v1/enroll", body.to_string().as_bytes());
    assert_eq!(status, 201);

    // The field worker identifies; the record reaches the coordinator through the server.
    let mut answers = Answers::new();
    answers.insert("name".into(), text(NAME));
    answers.insert("notes".into(), text(NOTES));
    let (_, id) = field
        .vault
        .batch(|b| {
            let case = b.create_case(Answers::new())?;
            let id = b.add_submission(case, FormRef::new("victim_identification"), answers)?;
            Ok((case, id))
        })
        .unwrap();
    field.sync(&server);
    coordinator.sync(&server);
    assert_eq!(
        coordinator.vault.get(id).unwrap().answer("name"),
        Some(&text(NAME))
    );

    // Both edit the notes offline; after syncing, both list the same conflict.
    let edit = |vault: &Vault, value: &str| {
        let mut changes = Changes::new();
        changes.insert("notes".into(), Some(text(value)));
        vault.edit(id, changes).unwrap();
    };
    edit(&field.vault, EDIT_FIELD);
    edit(&coordinator.vault, EDIT_COORDINATOR);
    field.sync(&server);
    coordinator.sync(&server);
    field.sync(&server);
    let (a, b) = (
        coordinator.vault.conflicts().unwrap(),
        field.vault.conflicts().unwrap(),
    );
    assert_eq!(a.len(), 1);
    assert_eq!(a, b, "the same conflict on both devices");

    // The coordinator's decision travels back the same way.
    let keep = a[0]
        .values
        .iter()
        .find(|v| v.value == Some(text(EDIT_FIELD)))
        .unwrap();
    coordinator
        .vault
        .resolve(
            &a[0].id,
            safekeep_core::records::Choice::Keep(keep.id.clone()),
        )
        .unwrap();
    coordinator.sync(&server);
    field.sync(&server);
    assert!(field.vault.conflicts().unwrap().is_empty());
    assert_eq!(
        field.vault.get(id).unwrap().answer("notes"),
        Some(&text(EDIT_FIELD))
    );

    // Nothing the devices wrote is readable on the server: its files and its log.
    drop(server);
    for needle in [
        NAME,
        "Rekha",
        NOTES,
        "Bhatta",
        EDIT_FIELD,
        EDIT_COORDINATOR,
        "Haryana kilns",
    ] {
        for dir in [&data, &root.path().join("server.log")] {
            let paths: Vec<_> = if dir.is_dir() {
                std::fs::read_dir(dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect()
            } else {
                vec![dir.to_path_buf()]
            };
            for path in paths {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds personal text",
                    path.display()
                );
            }
        }
    }
    assert!(
        std::fs::metadata(&log).unwrap().len() > 0,
        "the server logged requests"
    );
}
