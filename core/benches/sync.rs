//! Sync at the scale of a coordinator gathering ten phones:
//!
//! - **import**: 10 devices × 10,000 ops (SAFEKEEP_BENCH_OPS total, default 100000:
//!   cases and identifications) exported as bundles and imported into a fresh
//!   coordinator vault, in ops/s; beside it, in the same run, the baseline: the same
//!   ops' bytes inserted into a plain SQLite table (no sealing, no merge) in one
//!   transaction, and the ratio;
//! - **peak memory** of a process that does nothing but open a vault and import those
//!   bundles (this program re-run as a child, reading its own VmHWM);
//! - **bundle bytes per 1,000 identifications** filled as a field worker would
//!   (names, age, sex, nationality, languages, place, exploitation, indicators, a
//!   note), through the built-in form.
//!
//! - **bytes on the wire** for one online sync round of 1,000 new identifications
//!   through a real server on loopback (the field phone's push, the coordinator's
//!   pull), counted at the socket: HTTP heads, signatures, bodies and answers.
//!
//! `cargo bench -p safekeep-core --bench sync`.

#[path = "support/population.rs"]
mod population;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use safekeep_core::forms::{EntryKind, Mode, Moment};
use safekeep_core::sync::{InviteSecret, Role, bundle};
use safekeep_core::{Answers, FormRef, Passphrase, Unlock, Value, Vault, VaultOptions};

const DEVICES: usize = 10;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn options() -> VaultOptions {
    // The bench measures sync, not the KDF.
    VaultOptions::default().insecure_fast_kdf_for_tests()
}

fn passphrase() -> Passphrase {
    Passphrase::new("bench passphrase")
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn join(coordinator: &Vault, member: &Vault) {
    let invite = coordinator
        .create_invite(Role::Field, Duration::from_secs(3600))
        .expect("invite");
    let secret = InviteSecret::parse(&invite.secret.to_display_string()).expect("secret");
    member.join_team(&invite.invite, &secret).expect("join");
}

fn identification(p: &population::Person, i: usize) -> Answers {
    let mut a = Answers::new();
    a.insert("name".into(), Value::Text(p.name.clone()));
    if let Some(alias) = &p.alias {
        a.insert("alias".into(), Value::Text(alias.clone()));
    }
    a.insert("age".into(), Value::Integer(p.age));
    a.insert("sex".into(), Value::Choice(p.sex.into()));
    a.insert("nationality".into(), Value::Choice(p.nationality.into()));
    a.insert(
        "languages".into(),
        Value::Choices(vec!["hi".into(), ["bn", "ne", "ur"][i % 3].into()]),
    );
    a.insert(
        "interpreter_needed".into(),
        Value::Choice(["yes", "no"][i % 2].into()),
    );
    a.insert(
        "operation_date".into(),
        safekeep_core::ValueType::Date
            .parse(&format!("2026-{:02}-{:02}", 1 + i % 11, 1 + i % 28))
            .expect("date"),
    );
    a.insert(
        "place".into(),
        Value::Text(format!("Kiln {} near Rampur, Bhatta road", i % 40)),
    );
    a.insert("place_type".into(), Value::Choice("brick_kiln".into()));
    a.insert(
        "exploitation_type".into(),
        Value::Choices(vec!["bonded_labour".into()]),
    );
    a.insert(
        "labour_sector".into(),
        Value::Choice("manufacturing".into()),
    );
    a.insert(
        "indicators".into(),
        Value::Choices(vec![
            "debt".into(),
            "restricted_movement".into(),
            "no_pay".into(),
        ]),
    );
    a.insert("companions".into(), Value::Integer((i % 4) as i64));
    a.insert("consent_recorded".into(), Value::Choice("yes".into()));
    a.insert(
        "notes".into(),
        Value::Text(format!(
            "Found with family; advance of {} rupees; wants to go home.",
            5000 + (i % 20) * 1000
        )),
    );
    a
}

/// Saves `n` identifications (a case and a submission each: 2 ops) through the form.
fn save_identifications(vault: &Vault, people: &[population::Person], offset: usize) {
    let form = vault
        .resolve_form(&FormRef::new("victim_identification"))
        .expect("built-in form");
    let moment = Moment::system();
    for (c, chunk) in people.chunks(2000).enumerate() {
        vault
            .batch(|b| {
                for (j, p) in chunk.iter().enumerate() {
                    let case = b.create_case(Answers::new())?;
                    let a = identification(p, offset + c * 2000 + j);
                    match b.submit(&form, case, EntryKind::Submission, &a, Mode::Final, moment) {
                        Ok(_) => {}
                        Err(safekeep_core::forms::SubmitError::Record(e)) => return Err(e),
                        Err(e) => panic!("generated identification refused: {e}"),
                    }
                }
                Ok(())
            })
            .expect("save");
    }
}

fn export_all(vault: &Vault) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    vault
        .export_bundles(None, bundle::DEFAULT_MAX_BYTES, |_, b| {
            out.push(b);
            Ok(())
        })
        .expect("export");
    out
}

/// The child: open the vault, import the bundle files (all in one transaction, as
/// `safekeep bundle import FILE...` does), print the ops applied, the import's own
/// time and the peak memory.
fn import_only(dir: &Path, files: &[PathBuf]) {
    let vault = Vault::open(dir, Unlock::Passphrase(&passphrase()), options()).expect("open");
    let started = Instant::now();
    let bundles: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read bundle"))
        .collect();
    let report = vault
        .import_bundles(&bundles, &mut |_, _| {})
        .unwrap_or_else(|(i, e)| panic!("bundle {i}: {e}"));
    println!(
        "{} {:.3} {:.1}",
        report.applied,
        started.elapsed().as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}

/// The same ops as plain rows in one transaction: what SQLite alone costs for this
/// many inserts (the ops read back from `holder`, which has them all).
fn baseline_insert(holder: &Vault) -> (u64, Duration) {
    let mut ops = Vec::new();
    let mut next = safekeep_core::sync::Summary::default();
    loop {
        let chunk = holder.outgoing(&next, 16 * 1024 * 1024).expect("outgoing");
        ops.extend(chunk.ops);
        next = chunk.next;
        if !chunk.more {
            break;
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut conn = rusqlite::Connection::open(dir.path().join("plain.db")).expect("sqlite");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE ops (device BLOB NOT NULL, seq INTEGER NOT NULL, record BLOB NOT NULL,
                           body BLOB NOT NULL, PRIMARY KEY (device, seq)) STRICT;",
    )
    .expect("schema");
    let started = Instant::now();
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare("INSERT INTO ops (device, seq, record, body) VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare");
        for op in &ops {
            stmt.execute(rusqlite::params![
                op.id.device.0.as_slice(),
                op.id.seq as i64,
                op.record.0.as_slice(),
                op.body
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
    (ops.len() as u64, started.elapsed())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--import-only") {
        let files: Vec<PathBuf> = args[3..].iter().map(PathBuf::from).collect();
        import_only(Path::new(&args[2]), &files);
        return;
    }
    let total_ops = env_usize("SAFEKEEP_BENCH_OPS", 100_000);
    let per_device = total_ops / DEVICES / 2;
    let root = tempfile::tempdir().expect("temp dir");
    let coordinator_dir = root.path().join("coordinator");
    let (coordinator, _) =
        Vault::create(&coordinator_dir, &passphrase(), options()).expect("create");
    coordinator.create_team("bench", None).expect("team");

    // 10 field devices, each with its own identifications.
    let people = population::population(per_device * DEVICES, 11);
    let mut files = Vec::new();
    let mut bundle_bytes = 0u64;
    let started = Instant::now();
    for d in 0..DEVICES {
        let dir = root.path().join(format!("device{d}"));
        let (device, _) = Vault::create(&dir, &passphrase(), options()).expect("create");
        join(&coordinator, &device);
        save_identifications(
            &device,
            &people[d * per_device..(d + 1) * per_device],
            d * per_device,
        );
        for (i, b) in export_all(&device).into_iter().enumerate() {
            bundle_bytes += b.len() as u64;
            let file = root.path().join(format!("device{d}-{i}.skb"));
            std::fs::write(&file, b).expect("write bundle");
            files.push(file);
        }
        device.close().expect("close");
    }
    println!(
        "prepared {} ops on {DEVICES} devices in {} bundles ({:.1} MiB) in {:.1} s",
        per_device * DEVICES * 2,
        files.len(),
        bundle_bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );
    coordinator.close().expect("close");

    // Import in a child process: the time and the peak memory of the import alone.
    let exe = std::env::current_exe().expect("current exe");
    let started = Instant::now();
    let output = std::process::Command::new(exe)
        .arg("--import-only")
        .arg(&coordinator_dir)
        .args(&files)
        .stderr(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run importer");
    let elapsed = started.elapsed();
    let line = String::from_utf8_lossy(&output.stdout);
    let mut parts = line.split_whitespace();
    let applied: u64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let import_s: f64 = parts
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let peak: f64 = parts
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    assert_eq!(
        applied as usize,
        per_device * DEVICES * 2,
        "importer: {line}"
    );
    let rate = applied as f64 / import_s;

    let coordinator = Vault::open(
        &coordinator_dir,
        Unlock::Passphrase(&passphrase()),
        options(),
    )
    .expect("open");
    let (base_ops, base_time) = baseline_insert(&coordinator);
    let base_rate = base_ops as f64 / base_time.as_secs_f64();
    println!(
        "import: {applied} ops from {DEVICES} devices in {import_s:.2} s (read, verify, apply, commit) = {rate:.0} ops/s; the whole child process {:.2} s; peak resident memory {peak:.1} MiB",
        elapsed.as_secs_f64(),
    );
    println!(
        "baseline: {base_ops} plain SQLite inserts of the same op bytes in {:.2} s = {:.0} ops/s; import runs at {:.2}x the baseline's rate",
        base_time.as_secs_f64(),
        base_rate,
        rate / base_rate
    );

    // Bundle size for 1,000 identifications (2,000 ops: case + submission).
    let dir = root.path().join("size");
    let (one, _) = Vault::create(&dir, &passphrase(), options()).expect("create");
    one.create_team("size", None).expect("team");
    let thousand = population::population(1000, 5);
    save_identifications(&one, &thousand, 0);
    let bytes: usize = export_all(&one).iter().map(Vec::len).sum();
    let plain: usize = {
        let mut next = safekeep_core::sync::Summary::default();
        let mut total = 0;
        loop {
            let chunk = one.outgoing(&next, 64 * 1024 * 1024).expect("outgoing");
            total += chunk.ops.iter().map(|o| o.encoded_len()).sum::<usize>();
            next = chunk.next;
            if !chunk.more {
                break;
            }
        }
        total
    };
    println!(
        "bundle for 1,000 identifications: {:.1} KiB ({:.0} bytes each; {:.1} KiB before compression, {:.2}x)",
        bytes as f64 / 1024.0,
        bytes as f64 / 1000.0,
        plain as f64 / 1024.0,
        plain as f64 / bytes as f64
    );

    wire_round(root.path(), &population::population(1000, 6));
}

/// One online round of 1,000 new identifications through a real server (in this
/// process, on loopback), with every byte between the devices and the server counted
/// by a relay in the middle.
fn wire_round(root: &Path, people: &[population::Person]) {
    use safekeep_core::sync::HttpTransport;
    let (server, token) = wire::serve(&root.join("server"));
    let relay = wire::CountingRelay::start(server);
    let t = HttpTransport::default();
    let (coordinator, _) =
        Vault::create(&root.join("wire-coordinator"), &passphrase(), options()).expect("create");
    let (field, _) =
        Vault::create(&root.join("wire-field"), &passphrase(), options()).expect("create");
    coordinator
        .create_team("wire", Some(relay.url()))
        .expect("team");
    coordinator.register_team(&t, &token).expect("register");
    let invite = coordinator
        .create_invite(Role::Field, Duration::from_secs(3600))
        .expect("invite");
    coordinator.offer_invite(&invite, &t).expect("offer");
    field
        .join_team(&invite.invite, &invite.secret)
        .expect("join");
    field.enroll(&t).expect("enroll");
    for vault in [&coordinator, &field, &coordinator] {
        vault
            .sync_online(&t, &mut |_, _| {}, &|| false)
            .expect("first sync");
    }
    relay.take();

    save_identifications(&field, people, 0);
    let pushed = field
        .sync_online(&t, &mut |_, _| {}, &|| false)
        .expect("push round");
    let (push_up, push_down, push_requests) = relay.take();
    let pulled = coordinator
        .sync_online(&t, &mut |_, _| {}, &|| false)
        .expect("pull round");
    let (pull_up, pull_down, pull_requests) = relay.take();
    assert_eq!(pulled.report.applied, 2 * people.len() as u64);
    let kib = |b: u64| b as f64 / 1024.0;
    println!(
        "online round of {} new identifications (target <= 200 KiB each way): the field phone's sync sent {:.1} KiB and received {:.1} KiB in {push_requests} requests ({} bundles); the coordinator's sync sent {:.1} KiB and received {:.1} KiB in {pull_requests} requests",
        people.len(),
        kib(push_up),
        kib(push_down),
        pushed.pushed,
        kib(pull_up),
        kib(pull_down)
    );
}

/// A real server in this process and a byte-counting relay in front of it.
mod wire {
    use std::io::{Read, Write};
    use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Starts the server on 127.0.0.1 with its data in `dir`; its address and operator
    /// token.
    pub fn serve(dir: &Path) -> (SocketAddr, String) {
        let config = safekeep_server::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store: safekeep_server::Store::Directory(dir.to_path_buf()),
            limits: safekeep_server::limits::Limits::default(),
            metrics: None,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            let _ = runtime.block_on(safekeep_server::run(config, move |bound, token| {
                let token = token.map(|t| t.as_str().to_owned()).unwrap_or_default();
                let _ = tx.send((bound.addr, token));
            }));
        });
        rx.recv().expect("the server started")
    }

    /// Bytes client to server, server to client, and connections, since the last take.
    #[derive(Default)]
    struct Counts {
        up: AtomicU64,
        down: AtomicU64,
        connections: AtomicU64,
    }

    pub struct CountingRelay {
        addr: SocketAddr,
        counts: Arc<Counts>,
        requests: Arc<AtomicU64>,
    }

    fn pump(
        mut from: TcpStream,
        mut to: TcpStream,
        counter: &AtomicU64,
        requests: Option<&AtomicU64>,
    ) {
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(requests) = requests {
                // Each request head begins with its method at the start of a read.
                if buf[..n].starts_with(b"GET ") || buf[..n].starts_with(b"POST ") {
                    requests.fetch_add(1, Ordering::SeqCst);
                }
            }
            counter.fetch_add(n as u64, Ordering::SeqCst);
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    }

    impl CountingRelay {
        pub fn start(upstream: SocketAddr) -> Self {
            let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
            let addr = listener.local_addr().expect("address");
            let counts = Arc::new(Counts::default());
            let requests = Arc::new(AtomicU64::new(0));
            let (c, r) = (counts.clone(), requests.clone());
            std::thread::spawn(move || {
                for client in listener.incoming().flatten() {
                    let Ok(server) = TcpStream::connect(upstream) else {
                        continue;
                    };
                    c.connections.fetch_add(1, Ordering::SeqCst);
                    let (c1, c2, r1) = (c.clone(), c.clone(), r.clone());
                    let (client2, server2) = (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    );
                    std::thread::spawn(move || pump(client, server, &c1.up, Some(&r1)));
                    std::thread::spawn(move || pump(server2, client2, &c2.down, None));
                }
            });
            Self {
                addr,
                counts,
                requests,
            }
        }

        pub fn url(&self) -> String {
            format!("http://{}", self.addr)
        }

        /// (bytes up, bytes down, requests) since the last call.
        pub fn take(&self) -> (u64, u64, u64) {
            (
                self.counts.up.swap(0, Ordering::SeqCst),
                self.counts.down.swap(0, Ordering::SeqCst),
                self.requests.swap(0, Ordering::SeqCst),
            )
        }
    }
}
