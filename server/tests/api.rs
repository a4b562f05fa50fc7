//! The relay through real HTTP on 127.0.0.1: a real `safekeep-server` process, devices
//! that sign with real Ed25519 keys. Team registration with the operator token,
//! enrollment by one-time token, idempotent push with a per-team order, pull by cursor
//! and budget, and every refusal: unsigned, tampered, replayed, stale, wrong team,
//! wrong role, revoked, oversized.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use ed25519_dalek::{Signer, SigningKey};
use safekeep_server::protocol;
use safekeep_server::storage::{
    Device as StoredDevice, PostgresStorage, Role, SqliteStorage, Storage, StorageError,
};
use safekeep_server::testing::ScratchDatabase;
use serde_json::{Value, json};

/// A removal's body: the coordinator's signed removal, opaque to the server (the
/// removed device checks it; core/src/sync/authority.rs).
const REMOVAL: &[u8] = br#"{"proof": "5e1f"}"#;

struct Server {
    child: Child,
    addr: SocketAddr,
    token: Option<String>,
    /// The metrics address, when asked for.
    metrics: Option<SocketAddr>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a test's server keeps its data: every test runs on both stores.
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(ScratchDatabase),
    /// PostgreSQL over TLS, its certificate signed by the authority in the file.
    PostgresTls(ScratchDatabase, String),
}

impl Backend {
    fn args(&self) -> Vec<String> {
        match self {
            Backend::Sqlite(dir) => vec!["--data".into(), dir.path().display().to_string()],
            Backend::Postgres(db) => vec!["--database-url".into(), db.url()],
            Backend::PostgresTls(db, ca) => vec![
                "--database-url".into(),
                format!("{}?sslmode=require", db.url()),
                "--database-ca".into(),
                ca.clone(),
            ],
        }
    }
}

/// The embedded store, and PostgreSQL when a test server is configured.
fn backends(test: &str) -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite(tempfile::tempdir().unwrap())];
    all.extend(ScratchDatabase::create(test).map(Backend::Postgres));
    all
}

fn start(backend: &Backend) -> Server {
    start_with(backend, &[])
}

/// [`start`] with more arguments for the server.
fn start_with(backend: &Backend, more: &[&str]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_safekeep-server"))
        .args(["--listen", "127.0.0.1:0"])
        .args(backend.args())
        .args(more)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by the guard from here on: killed and waited for even if a test fails.
    let mut server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        token: None,
        metrics: None,
    };
    let mut lines = BufReader::new(server.child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the server printed nothing").unwrap();
        if let Some(t) = line.strip_prefix("operator token (shown once; only its hash is kept): ") {
            server.token = Some(t.to_owned());
        } else if let Some(addr) = line.strip_prefix("metrics on ") {
            server.metrics = Some(addr.parse().unwrap());
        } else if let Some(addr) = line.strip_prefix("listening on ") {
            server.addr = addr.parse().unwrap();
            return server;
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).unwrap();
    out
}

struct Device {
    id: [u8; 16],
    key: SigningKey,
}

impl Device {
    fn new() -> Self {
        Self {
            id: random(),
            key: SigningKey::from_bytes(&random()),
        }
    }

    fn public(&self) -> String {
        hex(self.key.verifying_key().as_bytes())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

struct Answer {
    status: u16,
    body: Vec<u8>,
    more: Option<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

/// The signature headers for a request, at `time_ms` with a fresh nonce.
fn signature(
    device: &Device,
    method: &str,
    pq: &str,
    body: &[u8],
    time_ms: u64,
) -> Vec<(String, String)> {
    let nonce = hex(&random::<16>());
    let text = protocol::signed_text(&hex(&device.id), method, pq, body, time_ms, &nonce);
    vec![
        (protocol::DEVICE.into(), hex(&device.id)),
        (protocol::TIME.into(), time_ms.to_string()),
        (protocol::NONCE.into(), nonce),
        (
            protocol::SIGNATURE.into(),
            hex(&device.key.sign(text.as_bytes()).to_bytes()),
        ),
    ]
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn send(
    server: &Server,
    method: &str,
    pq: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Answer {
    send_to(server.addr, method, pq, headers, body)
}

/// [`send`] to an address.
fn send_to(
    addr: SocketAddr,
    method: &str,
    pq: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Answer {
    let url = format!("http://{addr}{pq}");
    let agent = agent();
    let result = match method {
        "GET" => {
            let mut req = agent.get(&url);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.call()
        }
        _ => {
            let mut req = agent.post(&url);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.send(body)
        }
    };
    let mut response = result.unwrap();
    Answer {
        status: response.status().as_u16(),
        more: response
            .headers()
            .get("x-safekeep-more")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap(),
    }
}

fn signed(server: &Server, device: &Device, method: &str, pq: &str, body: &[u8]) -> Answer {
    send(
        server,
        method,
        pq,
        &signature(device, method, pq, body, now_ms()),
        body,
    )
}

fn create_team(server: &Server, team: &[u8; 16], coordinator: &Device) -> Answer {
    let body = json!({"team": hex(team), "device": hex(&coordinator.id), "public_key": coordinator.public()});
    let auth = vec![(
        "authorization".to_owned(),
        format!("Bearer {}", server.token.as_deref().unwrap()),
    )];
    send(
        server,
        "POST",
        "/v1/teams",
        &auth,
        body.to_string().as_bytes(),
    )
}

fn enroll(server: &Server, team: &[u8; 16], coordinator: &Device, role: &str) -> Device {
    enroll_with(server, team, coordinator, role, json!({}))
}

/// Enrolls a device with `extra` fields in its enrollment request.
fn enroll_with(
    server: &Server,
    team: &[u8; 16],
    coordinator: &Device,
    role: &str,
    extra: Value,
) -> Device {
    let token = hex(&random::<24>());
    let body = json!({
        "token_hash": hex(&protocol::token_hash(token.as_bytes())),
        "role": role,
        "expires_ms": now_ms() + 60_000,
    });
    let added = signed(
        server,
        coordinator,
        "POST",
        "/v1/enrollments",
        body.to_string().as_bytes(),
    );
    assert_eq!(added.status, 201, "{:?}", added.json());
    let twice = signed(
        server,
        coordinator,
        "POST",
        "/v1/enrollments",
        body.to_string().as_bytes(),
    );
    assert_eq!(twice.status, 409, "a token registered twice is refused");
    let device = Device::new();
    let mut body = json!({"team": hex(team), "token": token, "public_key": device.public()});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let joined = signed(
        server,
        &device,
        "POST",
        "/v1/enroll",
        body.to_string().as_bytes(),
    );
    assert_eq!(joined.status, 201, "{:?}", joined.json());
    assert_eq!(joined.json()["role"], role);
    // A token enrolls one device only.
    let again = Device::new();
    let body = json!({"team": hex(team), "token": token, "public_key": again.public()});
    let reused = signed(
        server,
        &again,
        "POST",
        "/v1/enroll",
        body.to_string().as_bytes(),
    );
    assert_eq!(
        (reused.status, reused.code().as_str()),
        (403, "bad_enrollment")
    );
    device
}

/// Splits a pull answer into (seq, bundle) pairs.
fn frames(mut body: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let seq = u64::from_be_bytes(body[..8].try_into().unwrap());
        let len = u32::from_be_bytes(body[8..12].try_into().unwrap()) as usize;
        out.push((seq, body[12..12 + len].to_vec()));
        body = &body[12 + len..];
    }
    out
}

#[test]
fn devices_push_and_pull_their_team_s_bundles_in_one_order() {
    for backend in backends("devices_push_and_pull_their_team_s_bundles_in_one_order") {
        devices_push_and_pull_their_team_s_bundles_in_one_order_on(&backend);
    }
}

fn devices_push_and_pull_their_team_s_bundles_in_one_order_on(backend: &Backend) {
    let server = start(backend);
    assert!(
        server
            .token
            .as_deref()
            .is_some_and(|t| t.starts_with("skop_"))
    );
    let health = send(&server, "GET", "/v1/health", &[], b"");
    assert_eq!(
        (health.status, health.json()["status"].clone()),
        (200, json!("ok"))
    );

    let team = random::<16>();
    let coordinator = Device::new();
    assert_eq!(create_team(&server, &team, &coordinator).status, 201);
    assert_eq!(create_team(&server, &team, &coordinator).status, 409);
    let field = enroll(&server, &team, &coordinator, "field");

    // Pushes are ordered per team and idempotent by (device, batch).
    let one = b"sealed bundle one".to_vec();
    let two = b"sealed bundle two, a little longer".to_vec();
    let pushed = signed(&server, &field, "POST", "/v1/bundles?batch=1", &one);
    assert_eq!(pushed.json(), json!({"seq": 1, "duplicate": false}));
    let again = signed(&server, &field, "POST", "/v1/bundles?batch=1", &one);
    assert_eq!(again.json(), json!({"seq": 1, "duplicate": true}));
    let reused = signed(&server, &field, "POST", "/v1/bundles?batch=1", &two);
    assert_eq!(reused.status, 409);
    let second = signed(&server, &coordinator, "POST", "/v1/bundles?batch=1", &two);
    assert_eq!(second.json()["seq"], 2);

    let all = signed(&server, &coordinator, "GET", "/v1/bundles?after=0", b"");
    assert_eq!(all.status, 200);
    assert_eq!(frames(&all.body), vec![(1, one.clone()), (2, two.clone())]);
    assert_eq!(all.more.as_deref(), Some("0"));
    // The budget is kept: two bundles do not fit in the size of the first and a byte.
    let budget = format!("/v1/bundles?after=0&max_bytes={}", one.len() + 1);
    let within = signed(&server, &coordinator, "GET", &budget, b"");
    assert_eq!(frames(&within.body).len(), 1);
    // A small budget: one bundle at a time, resumed by cursor.
    let first = signed(
        &server,
        &field,
        "GET",
        "/v1/bundles?after=0&max_bytes=1",
        b"",
    );
    assert_eq!(frames(&first.body), vec![(1, one)]);
    assert_eq!(first.more.as_deref(), Some("1"));
    let rest = signed(
        &server,
        &field,
        "GET",
        "/v1/bundles?after=1&max_bytes=1",
        b"",
    );
    assert_eq!(frames(&rest.body), vec![(2, two)]);
    assert_eq!(rest.more.as_deref(), Some("0"));

    // The store survives a restart; the operator token is not shown again.
    drop(server);
    let server = start_with(backend, &["--metrics-listen", "127.0.0.1:0"]);
    assert!(server.token.is_none());
    let after = signed(&server, &field, "GET", "/v1/bundles?after=0", b"");
    assert_eq!(frames(&after.body).len(), 2);
    // Metrics on their own address only: the counts say when a team is busy.
    assert_eq!(send(&server, "GET", "/metrics", &[], b"").status, 404);
    let private = server.metrics.expect("a metrics address");
    let metrics = send_to(private, "GET", "/metrics", &[], b"");
    assert_eq!(metrics.status, 200);
    assert!(String::from_utf8_lossy(&metrics.body).contains("safekeep_requests_total"));
    assert_eq!(send_to(private, "GET", "/v1/health", &[], b"").status, 404);
}

#[test]
fn unsigned_tampered_replayed_stale_and_foreign_requests_are_refused() {
    for backend in backends("unsigned_tampered_replayed_stale_and_foreign_requests_are_refused") {
        unsigned_tampered_replayed_stale_and_foreign_requests_are_refused_on(&backend);
    }
}

fn unsigned_tampered_replayed_stale_and_foreign_requests_are_refused_on(backend: &Backend) {
    let server = start(backend);
    let (team_a, team_b) = (random::<16>(), random::<16>());
    let (coord_a, coord_b) = (Device::new(), Device::new());
    assert_eq!(create_team(&server, &team_a, &coord_a).status, 201);
    assert_eq!(create_team(&server, &team_b, &coord_b).status, 201);
    let field_a = enroll(&server, &team_a, &coord_a, "field");
    let secret = b"team A's sealed bundle".to_vec();
    assert_eq!(
        signed(&server, &field_a, "POST", "/v1/bundles?batch=1", &secret).status,
        200
    );

    // A wrong operator token registers nothing.
    let stranger = Device::new();
    let body = json!({"team": hex(&random::<16>()), "device": hex(&stranger.id), "public_key": stranger.public()});
    let auth = vec![("authorization".to_owned(), "Bearer skop_wrong".to_owned())];
    let refused = send(
        &server,
        "POST",
        "/v1/teams",
        &auth,
        body.to_string().as_bytes(),
    );
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (401, "unauthenticated")
    );

    let pq = "/v1/bundles?batch=2";
    let body = b"another bundle".to_vec();
    // Unsigned.
    let unsigned = send(&server, "POST", pq, &[], &body);
    assert_eq!(
        (unsigned.status, unsigned.code().as_str()),
        (401, "unauthenticated")
    );
    // Signed over another body.
    let headers = signature(&field_a, "POST", pq, b"what was signed", now_ms());
    assert_eq!(send(&server, "POST", pq, &headers, &body).status, 401);
    // Signed for another path.
    let headers = signature(&field_a, "POST", "/v1/bundles?batch=3", &body, now_ms());
    assert_eq!(send(&server, "POST", pq, &headers, &body).status, 401);
    // Signed by an unknown device.
    assert_eq!(signed(&server, &stranger, "POST", pq, &body).status, 401);
    // Replayed: the same request twice.
    let headers = signature(&field_a, "POST", pq, &body, now_ms());
    assert_eq!(send(&server, "POST", pq, &headers, &body).status, 200);
    let replay = send(&server, "POST", pq, &headers, &body);
    assert_eq!((replay.status, replay.code().as_str()), (401, "replayed"));
    // The same signed request presented as another device's.
    let headers = signature(&field_a, "POST", pq, &body, now_ms());
    let swapped: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            if k == protocol::DEVICE {
                (k.clone(), hex(&coord_a.id))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    assert_eq!(send(&server, "POST", pq, &swapped, &body).status, 401);
    // Batch numbers beyond what storage orders.
    let beyond = format!("/v1/bundles?batch={}", u64::MAX);
    let answer = signed(&server, &field_a, "POST", &beyond, &body);
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (400, "bad_request")
    );
    // Unknown endpoints and wrong methods answer JSON too.
    let nowhere = send(&server, "GET", "/v1/nowhere", &[], b"");
    assert_eq!(
        (nowhere.status, nowhere.code().as_str()),
        (404, "not_found")
    );
    let wrong = send(&server, "GET", "/v1/teams", &[], b"");
    assert_eq!(
        (wrong.status, wrong.code().as_str()),
        (405, "method_not_allowed")
    );
    // Stale: signed ten minutes ago.
    let headers = signature(
        &field_a,
        "GET",
        "/v1/bundles?after=0",
        b"",
        now_ms() - 600_000,
    );
    let stale = send(&server, "GET", "/v1/bundles?after=0", &headers, b"");
    assert_eq!((stale.status, stale.code().as_str()), (401, "stale"));
    // Oversized.
    let huge = vec![7u8; 9 * 1024 * 1024];
    let too_big = signed(&server, &field_a, "POST", "/v1/bundles?batch=4", &huge);
    assert_eq!(
        (too_big.status, too_big.code().as_str()),
        (413, "too_large")
    );
    // Malformed.
    let malformed = signed(&server, &coord_a, "POST", "/v1/enrollments", b"{not json");
    assert_eq!(
        (malformed.status, malformed.code().as_str()),
        (400, "bad_request")
    );

    // Team B sees none of team A's bundles, and cannot revoke A's devices.
    let pulled = signed(&server, &coord_b, "GET", "/v1/bundles?after=0", b"");
    assert!(frames(&pulled.body).is_empty());
    let path = format!("/v1/devices/{}/revoke", hex(&field_a.id));
    assert_eq!(
        signed(&server, &coord_b, "POST", &path, REMOVAL).status,
        404
    );
    // Only a coordinator lists or revokes.
    assert_eq!(
        signed(&server, &field_a, "GET", "/v1/devices", b"").status,
        403
    );
    let listed = signed(&server, &coord_a, "GET", "/v1/devices", b"").json();
    assert_eq!(listed["devices"].as_array().unwrap().len(), 2);

    // Refused requests stored nothing: team A holds its two bundles.
    let a = signed(&server, &coord_a, "GET", "/v1/bundles?after=0", b"");
    assert_eq!(frames(&a.body).len(), 2);
}

#[test]
fn a_revoked_device_gets_the_wipe_instruction_and_nothing_else() {
    for backend in backends("a_revoked_device_gets_the_wipe_instruction_and_nothing_else") {
        a_revoked_device_gets_the_wipe_instruction_and_nothing_else_on(&backend);
    }
}

fn a_revoked_device_gets_the_wipe_instruction_and_nothing_else_on(backend: &Backend) {
    let server = start(backend);
    let team = random::<16>();
    let coordinator = Device::new();
    assert_eq!(create_team(&server, &team, &coordinator).status, 201);
    let field = enroll(&server, &team, &coordinator, "field");
    let aftercare = enroll(&server, &team, &coordinator, "aftercare");
    assert_eq!(
        signed(&server, &field, "POST", "/v1/bundles?batch=1", b"sealed").status,
        200
    );

    let path = format!("/v1/devices/{}/revoke", hex(&field.id));
    assert_eq!(
        signed(&server, &aftercare, "POST", &path, REMOVAL).status,
        403
    );
    // No removal goes out without the coordinator's signed proof.
    for unproved in [&b""[..], br#"{"proof": ""}"#, br#"{"proof": "zz"}"#] {
        assert_eq!(
            signed(&server, &coordinator, "POST", &path, unproved).status,
            400
        );
    }
    assert_eq!(
        signed(&server, &coordinator, "POST", &path, REMOVAL).status,
        200
    );
    for (method, pq, body) in [
        ("GET", "/v1/bundles?after=0", &b""[..]),
        ("POST", "/v1/bundles?batch=2", &b"more"[..]),
    ] {
        let answer = signed(&server, &field, method, pq, body);
        assert_eq!((answer.status, answer.code().as_str()), (410, "revoked"));
        // The body is the JSON refusal with the coordinator's signed removal, never
        // bundle frames.
        assert_eq!(answer.json()["proof"], "5e1f");
    }
    let listed = signed(&server, &coordinator, "GET", "/v1/devices", b"").json();
    let revoked: Vec<&Value> = listed["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["revoked_ms"].is_null())
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["device"], hex(&field.id));
    // The others go on.
    assert_eq!(
        signed(&server, &aftercare, "GET", "/v1/bundles?after=0", b"").status,
        200
    );

    // The coordinator leaves the new team key, sealed per device, for the others; each
    // device gets only its own grant; a field worker cannot leave grants, and a grant
    // for a device outside the team stores nothing at all.
    let grant =
        |device: &Device, sealed: &str| json!({"device": hex(&device.id), "sealed": sealed});
    let body = json!({"epoch": 2, "grants": [grant(&aftercare, "a1b2")]}).to_string();
    assert_eq!(
        signed(&server, &aftercare, "POST", "/v1/grants", body.as_bytes()).status,
        403
    );
    let stranger = Device::new();
    let mixed = json!({"epoch": 2, "grants": [grant(&aftercare, "a1b2"), grant(&stranger, "c3")]});
    let refused = signed(
        &server,
        &coordinator,
        "POST",
        "/v1/grants",
        mixed.to_string().as_bytes(),
    );
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (404, "not_found")
    );
    let mine = |device: &Device, after: u32| {
        signed(
            &server,
            device,
            "GET",
            &format!("/v1/grants?after={after}"),
            b"",
        )
        .json()["grants"]
            .clone()
    };
    assert_eq!(
        mine(&aftercare, 1),
        json!([]),
        "nothing stored by the refused request"
    );
    assert_eq!(
        signed(&server, &coordinator, "POST", "/v1/grants", body.as_bytes()).status,
        201
    );
    // Delivered again (a retry): the first grant stays.
    let again = json!({"epoch": 2, "grants": [grant(&aftercare, "ffff")]}).to_string();
    assert_eq!(
        signed(
            &server,
            &coordinator,
            "POST",
            "/v1/grants",
            again.as_bytes()
        )
        .status,
        201
    );
    assert_eq!(mine(&aftercare, 1), json!([{"epoch": 2, "sealed": "a1b2"}]));
    // Another coordinator cannot deliver a second key for the same epoch.
    let deputy = enroll(&server, &team, &coordinator, "coordinator");
    let second = signed(&server, &deputy, "POST", "/v1/grants", again.as_bytes());
    assert_eq!(
        (second.status, second.code().as_str()),
        (409, "epoch_taken")
    );
    assert_eq!(mine(&aftercare, 2), json!([]), "only newer epochs");
    assert_eq!(mine(&coordinator, 1), json!([]), "only one's own grants");
    // The revoked device gets no grant, only the wipe instruction.
    let answer = signed(&server, &field, "GET", "/v1/grants?after=1", b"");
    assert_eq!((answer.status, answer.code().as_str()), (410, "revoked"));

    // A coordinator confirms another coordinator's key: kept as given and listed with
    // it. Only a coordinator confirms, only an unrevoked coordinator of its team is
    // confirmed, and only with a proof.
    let confirm = |by: &Device, of: &Device, body: &[u8]| {
        let path = format!("/v1/devices/{}/confirm", hex(&of.id));
        signed(&server, by, "POST", &path, body).status
    };
    let proof = br#"{"proof": "c0ffee"}"#;
    assert_eq!(confirm(&aftercare, &deputy, proof), 403);
    for unproved in [&b""[..], br#"{"proof": ""}"#, br#"{"proof": "zz"}"#] {
        assert_eq!(confirm(&coordinator, &deputy, unproved), 400);
    }
    assert_eq!(
        confirm(&coordinator, &aftercare, proof),
        404,
        "not a coordinator"
    );
    assert_eq!(confirm(&coordinator, &field, proof), 404, "revoked");
    assert_eq!(
        confirm(&coordinator, &Device::new(), proof),
        404,
        "not listed"
    );
    let other = random::<16>();
    let outsider = Device::new();
    assert_eq!(create_team(&server, &other, &outsider).status, 201);
    assert_eq!(confirm(&outsider, &deputy, proof), 404, "another team's");
    let confirmation = |id: &[u8; 16]| {
        signed(&server, &coordinator, "GET", "/v1/devices", b"").json()["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device"] == hex(id))
            .unwrap()["confirmation"]
            .clone()
    };
    assert_eq!(confirmation(&deputy.id), Value::Null);
    assert_eq!(confirm(&coordinator, &deputy, proof), 200);
    assert_eq!(confirmation(&deputy.id), "c0ffee");
    assert_eq!(confirmation(&aftercare.id), Value::Null);
}

/// A key-exchange public key for a test device.
fn kx() -> String {
    hex(x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(random::<32>())).as_bytes())
}

#[test]
fn key_epochs_follow_each_other_and_reach_every_device() {
    for backend in backends("key_epochs_follow_each_other_and_reach_every_device") {
        key_epochs_follow_each_other_and_reach_every_device_on(&backend);
    }
}

/// A new key epoch must be the next one and reach every enrolled device; a device that
/// joins with an invite older than an epoch is listed as lacking it until a coordinator
/// tops it up; a revoked coordinator can start nothing; a key of small order is refused.
fn key_epochs_follow_each_other_and_reach_every_device_on(backend: &Backend) {
    let server = start(backend);
    let team = random::<16>();
    let coordinator = Device::new();
    let body = json!({"team": hex(&team), "device": hex(&coordinator.id),
        "public_key": coordinator.public(), "kx_public": kx(), "membership": "c0ffee"});
    let auth = vec![(
        "authorization".to_owned(),
        format!("Bearer {}", server.token.as_deref().unwrap()),
    )];
    assert_eq!(
        send(
            &server,
            "POST",
            "/v1/teams",
            &auth,
            body.to_string().as_bytes()
        )
        .status,
        201
    );
    let field = enroll_with(
        &server,
        &team,
        &coordinator,
        "field",
        json!({"kx_public": kx(), "membership": "c0ffee"}),
    );
    let deputy = enroll_with(
        &server,
        &team,
        &coordinator,
        "coordinator",
        json!({"kx_public": kx(), "membership": "c0ffee"}),
    );
    // A device enrolled by an older version has no membership proof: no coordinator
    // can check it, so new keys are not owed to it (it needs a new invite).
    let unproved = enroll_with(
        &server,
        &team,
        &coordinator,
        "field",
        json!({"kx_public": kx()}),
    );
    let grant = |device: &Device| json!({"device": hex(&device.id), "sealed": "a1b2"});
    let post = |by: &Device, body: Value| {
        let answer = signed(
            &server,
            by,
            "POST",
            "/v1/grants",
            body.to_string().as_bytes(),
        );
        (answer.status, answer.code())
    };
    let lacks = || {
        let listed = signed(&server, &coordinator, "GET", "/v1/devices", b"").json();
        listed["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["device"].as_str().unwrap().to_owned(), d["lacks"].clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let mine = |device: &Device| {
        signed(&server, device, "GET", "/v1/grants?after=1", b"").json()["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["epoch"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };

    // Nobody claims an epoch ahead: the next one only.
    for epoch in [3, 100] {
        let body = json!({"epoch": epoch, "grants": [grant(&field), grant(&deputy)]});
        assert_eq!(post(&coordinator, body), (409, "epoch_out_of_order".into()));
    }
    // A new epoch that leaves out an enrolled device is refused, nothing stored.
    let partial = json!({"epoch": 2, "grants": [grant(&deputy)]});
    assert_eq!(
        post(&coordinator, partial),
        (409, "grants_incomplete".into())
    );
    assert_eq!(mine(&deputy), Vec::<u64>::new());
    // Topping up an epoch nobody started is refused.
    let early = json!({"epoch": 2, "grants": [grant(&field)], "top_up": true});
    assert_eq!(post(&coordinator, early), (404, "not_found".into()));
    let full = json!({"epoch": 2, "grants": [grant(&field), grant(&deputy)]});
    assert_eq!(post(&coordinator, full).0, 201);
    assert_eq!(mine(&field), vec![2]);

    // A device joining with an invite from epoch 1 lacks epoch 2; one joining with an
    // invite from epoch 2 does not.
    let late = enroll_with(
        &server,
        &team,
        &coordinator,
        "aftercare",
        json!({"kx_public": kx(), "epoch": 1, "membership": "c0ffee"}),
    );
    let later = enroll_with(
        &server,
        &team,
        &coordinator,
        "field",
        json!({"kx_public": kx(), "epoch": 2, "membership": "c0ffee"}),
    );
    let listed = lacks();
    assert_eq!(listed[&hex(&late.id)], json!([2]));
    let enrolled_by = |device: &Device| {
        let listed = signed(&server, &coordinator, "GET", "/v1/devices", b"").json();
        listed["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device"] == hex(&device.id))
            .unwrap()["enrolled_by"]
            .clone()
    };
    assert_eq!(enrolled_by(&late), json!(hex(&coordinator.id)));
    assert_eq!(enrolled_by(&coordinator), Value::Null, "the team's first");
    assert_eq!(listed[&hex(&later.id)], json!([]));
    assert_eq!(listed[&hex(&unproved.id)], json!([]), "owed nothing");
    let shown = signed(&server, &coordinator, "GET", "/v1/devices", b"").json();
    let shown = |device: &Device| {
        shown["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device"] == hex(&device.id))
            .unwrap()
            .clone()
    };
    assert_eq!(shown(&late)["membership"], json!("c0ffee"), "kept as given");
    assert_eq!(shown(&late)["public_key"], json!(late.public()));
    assert_eq!(shown(&unproved)["membership"], Value::Null);
    assert_eq!(listed[&hex(&field.id)], json!([]));
    assert_eq!(
        listed[&hex(&coordinator.id)],
        json!([]),
        "the author lacks nothing"
    );
    // Any coordinator tops it up (the deputy holds epoch 2 from its grant).
    let top_up = json!({"epoch": 2, "grants": [grant(&late)], "top_up": true});
    assert_eq!(post(&deputy, top_up).0, 201);
    assert_eq!(mine(&late), vec![2]);
    assert_eq!(lacks()[&hex(&late.id)], json!([]));
    // A field worker tops up nothing.
    let by_field = json!({"epoch": 2, "grants": [grant(&later)], "top_up": true});
    assert_eq!(post(&field, by_field).0, 403);

    // A top-up stores grants only for devices that lack the epoch.
    let needless =
        json!({"epoch": 2, "grants": [grant(&later), grant(&coordinator)], "top_up": true});
    assert_eq!(post(&deputy, needless).0, 201);
    assert_eq!(
        mine(&later),
        Vec::<u64>::new(),
        "joined with epoch 2 already"
    );
    assert_eq!(mine(&coordinator), Vec::<u64>::new(), "the epoch's author");

    // The deputy registers an invite, then is removed: its unused invite enrolls
    // nobody afterwards.
    let token = hex(&random::<24>());
    let offer = json!({"token_hash": hex(&protocol::token_hash(token.as_bytes())),
        "role": "coordinator", "expires_ms": now_ms() + 60_000});
    assert_eq!(
        signed(
            &server,
            &deputy,
            "POST",
            "/v1/enrollments",
            offer.to_string().as_bytes()
        )
        .status,
        201
    );
    // A revoked coordinator starts no epoch, even the next one with every grant.
    let path = format!("/v1/devices/{}/revoke", hex(&deputy.id));
    assert_eq!(
        signed(&server, &coordinator, "POST", &path, REMOVAL).status,
        200
    );
    let next = json!({"epoch": 3, "grants": [grant(&field), grant(&late), grant(&later), grant(&coordinator)]});
    assert_eq!(post(&deputy, next.clone()).0, 410);
    // The revoked deputy is owed nothing; the coordinator starts epoch 3 without it.
    assert_eq!(post(&coordinator, next).0, 201);
    assert_eq!(lacks()[&hex(&deputy.id)], json!([]));
    let thief = Device::new();
    let body = json!({"team": hex(&team), "token": token, "public_key": thief.public(),
        "kx_public": kx(), "epoch": 1, "membership": "c0ffee"});
    let refused = signed(
        &server,
        &thief,
        "POST",
        "/v1/enroll",
        body.to_string().as_bytes(),
    );
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (403, "bad_enrollment"),
        "the removed coordinator's invite died with it"
    );

    // A key-exchange key of small order (u = 1, a point of order 4) is refused at
    // enrollment.
    let token = hex(&random::<24>());
    let offer = json!({"token_hash": hex(&protocol::token_hash(token.as_bytes())),
        "role": "field", "expires_ms": now_ms() + 60_000});
    assert_eq!(
        signed(
            &server,
            &coordinator,
            "POST",
            "/v1/enrollments",
            offer.to_string().as_bytes()
        )
        .status,
        201
    );
    for bad in ["not hex", "", &"ab".repeat(4097)] {
        let stranger = Device::new();
        let body = json!({"team": hex(&team), "token": token, "public_key": stranger.public(),
            "kx_public": kx(), "membership": bad});
        let refused = signed(
            &server,
            &stranger,
            "POST",
            "/v1/enroll",
            body.to_string().as_bytes(),
        );
        assert_eq!(refused.status, 400, "membership {:.10}", bad);
    }
    let weak = Device::new();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let body = json!({"team": hex(&team), "token": token, "public_key": weak.public(),
        "kx_public": hex(&identity)});
    let refused = signed(
        &server,
        &weak,
        "POST",
        "/v1/enroll",
        body.to_string().as_bytes(),
    );
    assert_eq!(refused.status, 400);
}

/// A device of `team` as a store is given it straight (tests that call the store).
fn stored_device(team: [u8; 16], id: [u8; 16], role: Role) -> StoredDevice {
    StoredDevice {
        id,
        team,
        public_key: random(),
        role,
        enrolled_ms: now_ms(),
        revoked_ms: None,
        kx_public: Some(random()),
        joined_epoch: 1,
        enrolled_by: None,
        membership: None,
        revocation: None,
        confirmation: None,
    }
}

#[test]
fn the_store_refuses_grants_from_a_revoked_author_inside_its_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStorage::open(dir.path()).unwrap();
    revoked_author_on(&sqlite);
    if let Some(db) = ScratchDatabase::create(
        "the_store_refuses_grants_from_a_revoked_author_inside_its_transaction",
    ) {
        revoked_author_on(&PostgresStorage::connect(&db.url()).unwrap());
    }
}

/// The request layer refuses a revoked device before any handler runs; the store
/// checks again inside the grant transaction, for a revocation that lands between the
/// two. Called straight on the store, that check alone must refuse.
fn revoked_author_on(store: &dyn Storage) {
    let team = random::<16>();
    let device = |id: [u8; 16], role: Role| stored_device(team, id, role);
    let (coordinator, deputy) = (random::<16>(), random::<16>());
    store
        .create_team(&team, &device(coordinator, Role::Coordinator))
        .unwrap();
    let token = random::<32>();
    store
        .add_enrollment(
            &team,
            &token,
            Role::Coordinator,
            now_ms() + 60_000,
            &coordinator,
        )
        .unwrap();
    store
        .enroll(&team, &token, &device(deputy, Role::Field), now_ms())
        .unwrap();
    assert!(
        store
            .revoke(&team, &deputy, now_ms(), b"signed removal")
            .unwrap()
    );
    let grants = [(coordinator, vec![1, 2, 3])];
    assert!(matches!(
        store.put_grants(&team, &deputy, 2, &grants, false, now_ms()),
        Err(StorageError::Revoked)
    ));
    assert!(matches!(
        store.add_enrollment(&team, &random(), Role::Field, now_ms() + 60_000, &deputy),
        Err(StorageError::Revoked)
    ));
    assert!(store.grants(&coordinator, 1).unwrap().is_empty());
}

/// Several stateless server processes over one PostgreSQL database act as one server:
/// one order per team without gaps or doubles under concurrent pushes through both,
/// a nonce used at one is refused at the other, an enrollment token raced through both
/// enrolls one device, and a retry through the other process is recognised.
#[test]
fn several_servers_over_one_postgres_database_act_as_one() {
    let Some(db) = ScratchDatabase::create("several_servers_over_one_postgres_database_act_as_one")
    else {
        return;
    };
    let backend = Backend::Postgres(db);
    let a = start(&backend);
    let b = start(&backend);
    assert!(a.token.is_some() && b.token.is_none(), "one operator token");
    let team = random::<16>();
    let coordinator = Device::new();
    assert_eq!(create_team(&a, &team, &coordinator).status, 201);
    let devices: Vec<Device> = (0..4)
        .map(|i| {
            enroll(
                if i % 2 == 0 { &a } else { &b },
                &team,
                &coordinator,
                "field",
            )
        })
        .collect();

    // Concurrent pushes, each device alternating between the two processes; every
    // push is also retried through the other process. Meanwhile the coordinator pulls
    // through both: every answer continues exactly where the last one ended (a later
    // bundle is never visible before an earlier one).
    let pushed: Vec<(u64, Vec<u8>)> = std::thread::scope(|scope| {
        let (ra, rb, rc) = (&a, &b, &coordinator);
        scope.spawn(move || {
            let mut after = 0u64;
            let mut turn = 0;
            while after < 80 {
                let server = if turn % 2 == 0 { ra } else { rb };
                turn += 1;
                let pq = format!("/v1/bundles?after={after}&max_bytes=4096");
                let answer = signed(server, rc, "GET", &pq, b"");
                assert_eq!(answer.status, 200);
                for (seq, _) in frames(&answer.body) {
                    assert_eq!(seq, after + 1, "pulled in order without a gap");
                    after = seq;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let handles: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(d, device)| {
                let (a, b) = (&a, &b);
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for batch in 1..=20u64 {
                        let body = format!("sealed {d}/{batch}").into_bytes();
                        let (first, second) = if batch % 2 == 0 { (a, b) } else { (b, a) };
                        let pq = format!("/v1/bundles?batch={batch}");
                        let one = signed(first, device, "POST", &pq, &body);
                        assert_eq!(one.status, 200, "{:?}", one.json());
                        let retry = signed(second, device, "POST", &pq, &body);
                        assert_eq!(retry.json()["duplicate"], true);
                        assert_eq!(retry.json()["seq"], one.json()["seq"]);
                        mine.push((one.json()["seq"].as_u64().unwrap(), body));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut expected = pushed.clone();
    expected.sort();
    let seqs: Vec<u64> = expected.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, (1..=80).collect::<Vec<u64>>(), "one gap-free order");
    for server in [&a, &b] {
        let all = signed(server, &coordinator, "GET", "/v1/bundles?after=0", b"");
        assert_eq!(frames(&all.body), expected);
    }

    // A request accepted by one process is a replay at the other.
    let pq = "/v1/bundles?batch=99";
    let headers = signature(&devices[0], "POST", pq, b"late", now_ms());
    assert_eq!(send(&a, "POST", pq, &headers, b"late").status, 200);
    let replay = send(&b, "POST", pq, &headers, b"late");
    assert_eq!((replay.status, replay.code().as_str()), (401, "replayed"));

    // A removal through one process reaches the pushes through the other, which knows
    // the device already (it keeps what never changes about a device in memory): the
    // wipe instruction with the signed removal, whatever the push, and nothing stored.
    let last = signed(&a, &coordinator, "GET", "/v1/bundles?after=0", b"");
    assert_eq!(
        signed(&b, &devices[1], "POST", "/v1/bundles?batch=100", b"known").status,
        200
    );
    let path = format!("/v1/devices/{}/revoke", hex(&devices[1].id));
    assert_eq!(signed(&a, &coordinator, "POST", &path, REMOVAL).status, 200);
    for (pq, body) in [
        ("/v1/bundles?batch=101", &b"after"[..]),
        ("/v1/bundles?batch=101", &b"after"[..]),
        ("/v1/bundles?batch=0", &b"after"[..]),
        ("/v1/bundles?batch=102", &b""[..]),
    ] {
        let answer = signed(&b, &devices[1], "POST", pq, body);
        assert_eq!((answer.status, answer.code().as_str()), (410, "revoked"));
        assert_eq!(answer.json()["proof"], "5e1f");
    }
    let now = signed(&a, &coordinator, "GET", "/v1/bundles?after=0", b"");
    assert_eq!(frames(&now.body).len(), frames(&last.body).len() + 1);

    // One enrollment token raced through both processes enrolls one device.
    let token = hex(&random::<24>());
    let body = json!({
        "token_hash": hex(&protocol::token_hash(token.as_bytes())),
        "role": "aftercare",
        "expires_ms": now_ms() + 60_000,
    });
    let added = signed(
        &a,
        &coordinator,
        "POST",
        "/v1/enrollments",
        body.to_string().as_bytes(),
    );
    assert_eq!(added.status, 201);
    let racers = [Device::new(), Device::new()];
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = racers
            .iter()
            .zip([&a, &b])
            .map(|(device, server)| {
                let token = &token;
                scope.spawn(move || {
                    let body =
                        json!({"team": hex(&team), "token": token, "public_key": device.public()});
                    signed(
                        server,
                        device,
                        "POST",
                        "/v1/enroll",
                        body.to_string().as_bytes(),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, vec![201, 403], "{statuses:?}");
}

#[test]
fn concurrent_pushes_stored_in_groups_keep_their_own_answers() {
    let dir = tempfile::tempdir().unwrap();
    grouped_pushes_on(&SqliteStorage::open(dir.path()).unwrap());
    if let Some(db) =
        ScratchDatabase::create("concurrent_pushes_stored_in_groups_keep_their_own_answers")
    {
        grouped_pushes_on(&PostgresStorage::connect(&db.url()).unwrap());
    }
}

/// Eight devices push at once, straight into the store, so their pushes share groups.
/// Among them are retries (the same bundle again: its first number), replays (a nonce
/// used again), a batch number reused for another bundle, and a device removed halfway.
/// Each push gets its own answer, a refused one stores nothing, and the team's order
/// holds every stored bundle once, numbered 1..n without a gap.
fn grouped_pushes_on(store: &dyn Storage) {
    const DEVICES: usize = 8;
    const BATCHES: u64 = 30;
    let team = random::<16>();
    let ids: Vec<[u8; 16]> = (0..DEVICES).map(|_| random()).collect();
    let device = |id: [u8; 16], role: Role| stored_device(team, id, role);
    store
        .create_team(&team, &device(ids[0], Role::Coordinator))
        .unwrap();
    for id in &ids[1..] {
        let token = random::<32>();
        store
            .add_enrollment(&team, &token, Role::Field, now_ms() + 60_000, &ids[0])
            .unwrap();
        store
            .enroll(&team, &token, &device(*id, Role::Field), now_ms())
            .unwrap();
    }
    let body = |d: usize, batch: u64| format!("device {d} batch {batch}").into_bytes();
    let nonce = || (random::<16>(), 0);
    let removed = DEVICES - 1;
    let answers: Vec<Vec<(u64, u64)>> = std::thread::scope(|scope| {
        let threads: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(d, id)| {
                scope.spawn(move || {
                    let mut stored = Vec::new();
                    for batch in 1..=BATCHES {
                        if d == removed && batch == BATCHES / 2 {
                            assert!(
                                store
                                    .revoke(&team, id, now_ms(), b"signed removal")
                                    .unwrap()
                            );
                        }
                        let used = nonce();
                        let pushed = store.push(&team, id, batch, &body(d, batch), now_ms(), used);
                        if d == removed && batch >= BATCHES / 2 {
                            assert!(matches!(pushed, Err(StorageError::Revoked)), "{pushed:?}");
                            continue;
                        }
                        let pushed = pushed.unwrap();
                        assert!(!pushed.duplicate);
                        stored.push((batch, pushed.seq));
                        if d == 0 {
                            // A replay, a retry and a reused batch number, among others' pushes.
                            let replay =
                                store.push(&team, id, batch, &body(d, batch), now_ms(), used);
                            assert!(matches!(replay, Err(StorageError::Replayed)), "{replay:?}");
                            let retry = store
                                .push(&team, id, batch, &body(d, batch), now_ms(), nonce())
                                .unwrap();
                            assert_eq!((retry.seq, retry.duplicate), (pushed.seq, true));
                            let reused =
                                store.push(&team, id, batch, b"another", now_ms(), nonce());
                            assert!(
                                matches!(reused, Err(StorageError::BatchReused)),
                                "{reused:?}"
                            );
                        }
                    }
                    stored
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let (pulled, more) = store.pull(&team, 0, usize::MAX).unwrap();
    assert!(!more);
    let expected = (DEVICES - 1) * BATCHES as usize + (BATCHES / 2 - 1) as usize;
    assert_eq!(pulled.len(), expected);
    for (i, bundle) in pulled.iter().enumerate() {
        assert_eq!(bundle.seq, i as u64 + 1, "numbered without a gap");
    }
    for (d, stored) in answers.iter().enumerate() {
        for (batch, seq) in stored {
            assert_eq!(
                pulled[*seq as usize - 1].body,
                body(d, *batch),
                "each answer its own"
            );
        }
    }
}

/// A database on another machine is reached over TLS (`?sslmode=require`): its
/// certificate must verify, against the public authorities or the file given with
/// `--database-ca`, and then the server works as on any other store.
#[test]
fn a_database_over_tls_must_prove_who_it_is() {
    let Some(ca) = std::env::var_os("SAFEKEEP_TEST_POSTGRES_CA") else {
        let required = std::env::var("SAFEKEEP_REQUIRE_POSTGRES").as_deref() == Ok("1");
        assert!(
            !required,
            "SAFEKEEP_TEST_POSTGRES_CA must be set here (scripts/postgres.sh makes one when openssl is installed)"
        );
        eprintln!(
            "skipping a_database_over_tls_must_prove_who_it_is: SAFEKEEP_TEST_POSTGRES_CA is \
             not set (scripts/postgres.sh makes one when openssl is installed)"
        );
        return;
    };
    let ca = ca.to_string_lossy().into_owned();
    let Some(db) = ScratchDatabase::create("a_database_over_tls_must_prove_who_it_is") else {
        return;
    };
    let url = format!("{}?sslmode=require", db.url());
    // The test authority is no public one: refused, so TLS was spoken and checked.
    assert!(PostgresStorage::connect(&url).is_err());
    // A file without a certificate, and one that is not there: refused, clearly.
    let empty = tempfile::NamedTempFile::new().unwrap();
    for bad in [empty.path(), std::path::Path::new("/nonexistent/ca.pem")] {
        let err = PostgresStorage::connect_trusting(&url, Some(bad))
            .err()
            .unwrap();
        assert!(err.to_string().contains("postgres TLS"), "{err}");
    }
    let store = PostgresStorage::connect_trusting(&url, Some(std::path::Path::new(&ca))).unwrap();
    assert!(store.device(&random::<16>()).unwrap().is_none());
    drop(store);

    // The server, told the authority, serves over that connection.
    let backend = Backend::PostgresTls(db, ca);
    let server = start(&backend);
    let team = random::<16>();
    let coordinator = Device::new();
    assert_eq!(create_team(&server, &team, &coordinator).status, 201);
    let field = enroll(&server, &team, &coordinator, "field");
    assert_eq!(
        signed(&server, &field, "POST", "/v1/bundles?batch=1", b"sealed").status,
        200
    );
    let pulled = signed(&server, &coordinator, "GET", "/v1/bundles?after=0", b"");
    assert_eq!(frames(&pulled.body), vec![(1, b"sealed".to_vec())]);
}
