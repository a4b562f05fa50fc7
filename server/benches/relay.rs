//! The relay under load on loopback: 100 simulated devices (each its own thread and
//! Ed25519 key, every request signed) push bundles to a real `safekeep-server` process
//! and then pull the whole team's bundles by cursor. Prints ops/s and request
//! latencies, and beside them, in the same run, the rate of inserting the same bytes
//! into a plain SQLite table (WAL, synchronous=FULL, one transaction per bundle, as
//! the server commits each push).
//!
//! Then the same load on PostgreSQL storage when `SAFEKEEP_TEST_POSTGRES` names a
//! server (`scripts/postgres.sh start DIR`; `SAFEKEEP_PG_DURABLE=1` keeps fsync on),
//! beside the raw rate of inserting the same bytes into a plain PostgreSQL table from
//! as many connections as the server's pool, one transaction per bundle.
//!
//! For each store, last, the same pushes straight into the store (the `Storage`
//! trait) from 16 threads, without HTTP or signatures, against the same raw rate: what
//! the store itself costs.
//!
//! `cargo bench -p safekeep-server --bench relay`
//! (SAFEKEEP_BENCH_DEVICES, SAFEKEEP_BENCH_PUSHES to change the load;
//! SAFEKEEP_BENCH_STORE=postgres for PostgreSQL alone).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use safekeep_server::protocol;
use safekeep_server::storage::{
    Device as StoredDevice, PostgresStorage, Role, SqliteStorage, Storage,
};
use safekeep_server::testing::ScratchDatabase;
use serde_json::json;

/// A bundle of 100 identification ops is about 8 KiB sealed (BENCHMARKS.md, sync).
const OPS_PER_BUNDLE: u64 = 100;
const BUNDLE_BYTES: usize = 8 * 1024;

struct Server(Child, SocketAddr, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(store: &[String]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_safekeep-server"))
        .args(["--listen", "127.0.0.1:0"])
        .args(store)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let mut server = Server(child, SocketAddr::from(([127, 0, 0, 1], 0)), String::new());
    let stdout = server.0.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("server output");
        if let Some(t) = line.strip_prefix("operator token (shown once; only its hash is kept): ") {
            server.2 = t.to_owned();
        } else if let Some(addr) = line.strip_prefix("listening on ") {
            server.1 = addr.parse().expect("address");
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
    getrandom::fill(&mut out).expect("random");
    out
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct Device {
    id: [u8; 16],
    key: SigningKey,
}

struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(addr: SocketAddr) -> Self {
        Self {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            base: format!("http://{addr}"),
        }
    }

    /// A signed request; returns (status, body, more).
    fn signed(&self, device: &Device, method: &str, pq: &str, body: &[u8]) -> (u16, Vec<u8>, bool) {
        let nonce = hex(&random::<16>());
        let time = now_ms();
        let text = protocol::signed_text(&hex(&device.id), method, pq, body, time, &nonce);
        let signature = hex(&device.key.sign(text.as_bytes()).to_bytes());
        let url = format!("{}{pq}", self.base);
        let headers = [
            (protocol::DEVICE, hex(&device.id)),
            (protocol::TIME, time.to_string()),
            (protocol::NONCE, nonce),
            (protocol::SIGNATURE, signature),
        ];
        let result = if method == "GET" {
            let mut req = self.agent.get(&url);
            for (k, v) in &headers {
                req = req.header(*k, v);
            }
            req.call()
        } else {
            let mut req = self.agent.post(&url);
            for (k, v) in &headers {
                req = req.header(*k, v);
            }
            req.send(body)
        };
        let mut response = result.expect("request");
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
            .expect("body");
        (status, body, more)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Measured {
    push_secs: f64,
    push_latencies: Vec<Duration>,
    pull_secs: f64,
    pull_latencies: Vec<Duration>,
    pulled: usize,
}

fn main() {
    let devices_n = env_or("SAFEKEEP_BENCH_DEVICES", 100);
    let pushes = env_or("SAFEKEEP_BENCH_PUSHES", 10);
    // Ciphertext-like bundles (incompressible), made before timing.
    let bundles: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..pushes)
            .map(|_| {
                let mut b = vec![0u8; BUNDLE_BYTES];
                getrandom::fill(&mut b).expect("random");
                b
            })
            .collect(),
    );
    let total_bundles = (devices_n * pushes) as u64;
    println!(
        "{devices_n} devices x {pushes} pushes of {BUNDLE_BYTES}-byte bundles ({OPS_PER_BUNDLE} ops each), loopback"
    );

    // SAFEKEEP_BENCH_STORE=postgres measures PostgreSQL only (to profile it).
    if std::env::var("SAFEKEEP_BENCH_STORE").as_deref() != Ok("postgres") {
        let data = tempfile::tempdir().expect("temp dir");
        let server = start(&["--data".into(), data.path().display().to_string()]);
        let measured = load(&server, devices_n, &bundles);
        drop(server);
        let (raw_secs, raw_what) = raw_sqlite(total_bundles, &bundles);
        report("SQLite", total_bundles, &measured, raw_secs, &raw_what);
        let alone_dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStorage::open(alone_dir.path()).expect("open the store");
        storage_alone(&store, devices_n, &bundles, raw_secs);
    }

    let Some(db) = ScratchDatabase::create("the relay bench") else {
        return;
    };
    let server = start(&["--database-url".into(), db.url()]);
    let measured = load(&server, devices_n, &bundles);
    drop(server);
    let (raw_secs, raw_what) = raw_postgres(&db, total_bundles, &bundles);
    report("PostgreSQL", total_bundles, &measured, raw_secs, &raw_what);
    let store = PostgresStorage::connect(&db.url()).expect("connect the store");
    storage_alone(&store, devices_n, &bundles, raw_secs);
}

/// The same pushes straight into the store, without HTTP, signatures or the 100 client
/// threads (which share this machine's cores with the server and the database): from
/// as many threads as the raw baseline's connections, one device's batches in order.
fn storage_alone(
    store: &dyn Storage,
    devices_n: usize,
    bundles: &Arc<Vec<Vec<u8>>>,
    raw_secs: f64,
) {
    const THREADS: usize = 16;
    let team = random::<16>();
    let now = now_ms();
    let device = |id: [u8; 16], role: Role| StoredDevice {
        id,
        team,
        public_key: random(),
        role,
        enrolled_ms: now,
        revoked_ms: None,
        kx_public: None,
        joined_epoch: 1,
        enrolled_by: None,
        membership: None,
        revocation: None,
        confirmation: None,
    };
    let coordinator = random();
    store
        .create_team(&team, &device(coordinator, Role::Coordinator))
        .expect("team");
    let ids: Vec<[u8; 16]> = (0..devices_n)
        .map(|_| {
            let token = random::<32>();
            store
                .add_enrollment(&team, &token, Role::Field, now + 600_000, &coordinator)
                .expect("enrollment");
            let id = random();
            store
                .enroll(&team, &token, &device(id, Role::Field), now)
                .expect("enroll");
            id
        })
        .collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let ids = &ids;
            scope.spawn(move || {
                for id in ids.iter().skip(t).step_by(THREADS) {
                    for (batch, body) in bundles.iter().enumerate() {
                        let nonce = (random::<16>(), now.saturating_sub(600_000));
                        store
                            .push(&team, id, batch as u64 + 1, body, now_ms(), nonce)
                            .expect("push");
                    }
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let total = (devices_n * bundles.len()) as f64;
    println!(
        "  the store alone (no HTTP, signatures or client threads; {THREADS} threads): {:.0} bundles/s = {:.0} ops/s; {:.2}x the raw rate",
        total / secs,
        total * OPS_PER_BUNDLE as f64 / secs,
        raw_secs / secs
    );
}

fn report(store: &str, total_bundles: u64, m: &Measured, raw_secs: f64, raw_what: &str) {
    let mut push_latencies = m.push_latencies.clone();
    let mut pull_latencies = m.pull_latencies.clone();
    push_latencies.sort();
    pull_latencies.sort();
    let push_rate = (total_bundles * OPS_PER_BUNDLE) as f64 / m.push_secs;
    let raw_rate = (total_bundles * OPS_PER_BUNDLE) as f64 / raw_secs;
    println!("{store} storage:");
    println!(
        "  push: {total_bundles} bundles in {:.2} s = {:.0} bundles/s = {push_rate:.0} ops/s; latency p50 {:.1} ms, p99 {:.1} ms",
        m.push_secs,
        total_bundles as f64 / m.push_secs,
        percentile(&push_latencies, 0.5),
        percentile(&push_latencies, 0.99)
    );
    println!(
        "  pull: every device caught up on {} MiB of bundles: {:.1} MiB in {:.2} s; latency p50 {:.1} ms, p99 {:.1} ms",
        (total_bundles as usize * BUNDLE_BYTES) >> 20,
        m.pulled as f64 / (1 << 20) as f64,
        m.pull_secs,
        percentile(&pull_latencies, 0.5),
        percentile(&pull_latencies, 0.99)
    );
    println!(
        "  baseline: the same {total_bundles} bundles inserted raw {raw_what} in {raw_secs:.2} s = {raw_rate:.0} ops/s; the server pushes at {:.2}x the raw rate",
        push_rate / raw_rate
    );
}

/// The same bytes into a plain SQLite table, one transaction per bundle.
fn raw_sqlite(total_bundles: u64, bundles: &[Vec<u8>]) -> (f64, String) {
    let base_dir = tempfile::tempdir().expect("temp dir");
    let conn = rusqlite::Connection::open(base_dir.path().join("raw.sqlite")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.execute_batch("CREATE TABLE raw (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .expect("table");
    let start_raw = Instant::now();
    for i in 0..total_bundles {
        let bundle = &bundles[(i as usize) % bundles.len()];
        conn.execute("INSERT INTO raw (body) VALUES (?1)", [bundle])
            .expect("insert");
    }
    (
        start_raw.elapsed().as_secs_f64(),
        "into SQLite (WAL, synchronous=FULL, one transaction each)".into(),
    )
}

/// The same bytes into a plain PostgreSQL table from as many connections as the
/// server's pool, one transaction per bundle.
fn raw_postgres(
    db: &ScratchDatabase,
    total_bundles: u64,
    bundles: &Arc<Vec<Vec<u8>>>,
) -> (f64, String) {
    const CONNECTIONS: u64 = 16;
    let mut setup = postgres::Client::connect(&db.url(), postgres::NoTls).expect("connect");
    setup
        .batch_execute("CREATE TABLE raw (seq BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)")
        .expect("table");
    let mut clients: Vec<postgres::Client> = (0..CONNECTIONS)
        .map(|_| postgres::Client::connect(&db.url(), postgres::NoTls).expect("connect"))
        .collect();
    let start_raw = Instant::now();
    std::thread::scope(|scope| {
        for (c, client) in clients.iter_mut().enumerate() {
            let bundles = bundles.clone();
            scope.spawn(move || {
                let insert = client
                    .prepare("INSERT INTO raw (body) VALUES ($1)")
                    .expect("prepare");
                for i in (c as u64..total_bundles).step_by(CONNECTIONS as usize) {
                    let bundle = &bundles[(i as usize) % bundles.len()];
                    client.execute(&insert, &[bundle]).expect("insert");
                }
            });
        }
    });
    (
        start_raw.elapsed().as_secs_f64(),
        format!("into PostgreSQL ({CONNECTIONS} connections, one transaction each)"),
    )
}

/// Registers a team of `devices_n` devices, then every device pushes `bundles` at
/// once, then every device pulls the whole team by cursor.
fn load(server: &Server, devices_n: usize, bundles: &Arc<Vec<Vec<u8>>>) -> Measured {
    let client = Client::new(server.1);
    // One team: the coordinator registers it, then enrolls every device.
    let team = random::<16>();
    let coordinator = Device {
        id: random(),
        key: SigningKey::from_bytes(&random()),
    };
    let body = json!({"team": hex(&team), "device": hex(&coordinator.id),
        "public_key": hex(coordinator.key.verifying_key().as_bytes())});
    let created = client
        .agent
        .post(&format!("{}/v1/teams", client.base))
        .header("authorization", &format!("Bearer {}", server.2))
        .send(body.to_string().as_bytes())
        .expect("team");
    assert_eq!(created.status().as_u16(), 201);
    let mut devices = Vec::new();
    for _ in 0..devices_n {
        let token = hex(&random::<24>());
        let body = json!({"token_hash": hex(&protocol::token_hash(token.as_bytes())),
            "role": "field", "expires_ms": now_ms() + 600_000});
        let (status, _, _) = client.signed(
            &coordinator,
            "POST",
            "/v1/enrollments",
            body.to_string().as_bytes(),
        );
        assert_eq!(status, 201);
        let device = Device {
            id: random(),
            key: SigningKey::from_bytes(&random()),
        };
        let body = json!({"team": hex(&team), "token": token,
            "public_key": hex(device.key.verifying_key().as_bytes())});
        let (status, _, _) =
            client.signed(&device, "POST", "/v1/enroll", body.to_string().as_bytes());
        assert_eq!(status, 201);
        devices.push(device);
    }

    // Push: every device at once.
    let addr = server.1;
    let start_push = Instant::now();
    let handles: Vec<_> = devices
        .into_iter()
        .map(|device| {
            let bundles = Arc::clone(bundles);
            std::thread::spawn(move || {
                let client = Client::new(addr);
                let mut latencies = Vec::new();
                for (batch, bundle) in bundles.iter().enumerate() {
                    let t = Instant::now();
                    let pq = format!("/v1/bundles?batch={}", batch + 1);
                    let (status, _, _) = client.signed(&device, "POST", &pq, bundle);
                    assert_eq!(status, 200, "push");
                    latencies.push(t.elapsed());
                }
                (device, latencies)
            })
        })
        .collect();
    let mut push_latencies = Vec::new();
    let mut devices = Vec::new();
    for h in handles {
        let (device, lat) = h.join().expect("device thread");
        push_latencies.extend(lat);
        devices.push(device);
    }
    let push_secs = start_push.elapsed().as_secs_f64();

    // Pull: every device catches up on the whole team, 1 MiB at a time.
    let start_pull = Instant::now();
    let handles: Vec<_> = devices
        .into_iter()
        .map(|device| {
            std::thread::spawn(move || {
                let client = Client::new(addr);
                let mut latencies = Vec::new();
                let (mut after, mut bytes) = (0u64, 0usize);
                loop {
                    let t = Instant::now();
                    let pq = format!("/v1/bundles?after={after}&max_bytes=1048576");
                    let (status, body, more) = client.signed(&device, "GET", &pq, b"");
                    assert_eq!(status, 200, "pull");
                    latencies.push(t.elapsed());
                    bytes += body.len();
                    let mut rest = &body[..];
                    while rest.len() >= 12 {
                        after = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
                        let len =
                            u32::from_be_bytes(rest[8..12].try_into().expect("4 bytes")) as usize;
                        rest = &rest[12 + len..];
                    }
                    if !more {
                        break;
                    }
                }
                (latencies, bytes)
            })
        })
        .collect();
    let mut pull_latencies = Vec::new();
    let mut pulled = 0usize;
    for h in handles {
        let (lat, bytes) = h.join().expect("device thread");
        pull_latencies.extend(lat);
        pulled += bytes;
    }
    let pull_secs = start_pull.elapsed().as_secs_f64();
    Measured {
        push_secs,
        push_latencies,
        pull_secs,
        pull_latencies,
        pulled,
    }
}
