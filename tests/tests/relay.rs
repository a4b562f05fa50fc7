//! Devices sync through a real server process with the core's own online sync: a
//! coordinator registers the team, invites a field worker and an aftercare worker who
//! enroll with their invites; records travel; three concurrent edits become the same
//! conflict on all three devices; the resolution reaches the others; a cancelled round
//! resumes with nothing lost or doubled; a revoked device is told to wipe and does.
//! Afterwards the server's files (or PostgreSQL tables) and debug log hold none of the
//! personal text. The whole run is made on the embedded store and on PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use safekeep_core::records::Choice;
use safekeep_core::sync::{HttpTransport, Role, SyncError, SyncRound};
use safekeep_core::{Answers, Changes, FormRef, Passphrase, Value, Vault, VaultOptions};
use safekeep_server::testing::ScratchDatabase;
use safekeep_tests::fault_proxy::{FaultProxy, Faults};

const NAME: &str = "Rekha Kumari";
const NOTES: &str = "found at brick kiln Bhatta 4, Jhajjar";
const EDITS: [&str; 3] = [
    "moved to shelter B in Rohtak",
    "counselling started with Ms. Sunita",
    "mother reached by phone in Gaya",
];

struct Server {
    child: Child,
    url: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the server keeps what it holds: the test runs on both stores.
enum Store {
    Directory(PathBuf),
    Postgres(ScratchDatabase),
}

impl Store {
    fn arg(&self) -> String {
        match self {
            Store::Directory(dir) => dir.display().to_string(),
            Store::Postgres(db) => db.url(),
        }
    }
}

fn start(store: &Store, log: &Path) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_relay_server"))
        .arg("127.0.0.1:0")
        .arg(store.arg())
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        url: String::new(),
        token: String::new(),
    };
    let stdout = server.child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(t) = line.strip_prefix("operator token (shown once; only its hash is kept): ") {
            server.token = t.to_owned();
        } else if let Some(addr) = line.strip_prefix("listening on ") {
            server.url = format!("http://{addr}");
            return server;
        }
    }
    panic!("the server stopped");
}

fn vault(dir: &Path) -> Vault {
    let passphrase = Passphrase::new(safekeep_tests::PASSPHRASE);
    Vault::create(
        dir,
        &passphrase,
        VaultOptions::default().insecure_fast_kdf_for_tests(),
    )
    .unwrap()
    .0
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn sync(vault: &Vault) -> SyncRound {
    vault
        .sync_online(&HttpTransport::default(), &mut |_, _| {}, &|| false)
        .unwrap()
}

fn join(coordinator: &Vault, dir: &Path, role: Role) -> Vault {
    let member = vault(dir);
    let invite = coordinator
        .create_invite(role, Duration::from_secs(600))
        .unwrap();
    coordinator
        .offer_invite(&invite, &HttpTransport::default())
        .unwrap();
    member.join_team(&invite.invite, &invite.secret).unwrap();
    assert_eq!(member.enroll(&HttpTransport::default()).unwrap(), role);
    // A used invite enrolls nobody else.
    let other = vault(&dir.with_extension("other"));
    other.join_team(&invite.invite, &invite.secret).unwrap();
    assert!(matches!(
        other.enroll(&HttpTransport::default()),
        Err(SyncError::Server { status: 403, .. })
    ));
    member
}

fn files_under(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                out.push(entry.unwrap().path());
            }
        } else {
            out.push(path.clone());
        }
    }
    out
}

#[test]
fn three_devices_sync_through_the_server_and_it_holds_nothing_readable() {
    const TEST: &str = "three_devices_sync_through_the_server_and_it_holds_nothing_readable";
    let root = tempfile::tempdir().unwrap();
    three_devices_on(root.path(), Store::Directory(root.path().join("server")));
    if let Some(db) = ScratchDatabase::create(TEST) {
        let root = tempfile::tempdir().unwrap();
        three_devices_on(root.path(), Store::Postgres(db));
    }
}

fn three_devices_on(root: &Path, store: Store) {
    let log = root.join("server.log");
    let server = start(&store, &log);
    let t = HttpTransport::default();

    let coordinator = vault(&root.join("coordinator"));
    coordinator
        .create_team("Haryana kilns", Some(server.url.clone()))
        .unwrap();
    assert!(matches!(
        coordinator.register_team(&t, "skop_wrong"),
        Err(SyncError::Server { status: 401, .. })
    ));
    coordinator.register_team(&t, &server.token).unwrap();
    let field = join(&coordinator, &root.join("field"), Role::Field);
    let aftercare = join(&coordinator, &root.join("aftercare"), Role::Aftercare);

    // The field worker identifies; the record reaches everyone through the server.
    let mut answers = Answers::new();
    answers.insert("name".into(), text(NAME));
    answers.insert("notes".into(), text(NOTES));
    let id = field
        .batch(|b| {
            let case = b.create_case(Answers::new())?;
            b.add_submission(case, FormRef::new("victim_identification"), answers)
        })
        .unwrap();
    assert_eq!(sync(&field).pushed, 1);
    for vault in [&coordinator, &aftercare] {
        let round = sync(vault);
        assert_eq!(round.report.applied, 2, "case and identification");
        assert_eq!(vault.get(id).unwrap().answer("name"), Some(&text(NAME)));
    }

    // Three devices edit the notes offline; after syncing, one conflict everywhere.
    let devices = [&field, &aftercare, &coordinator];
    for (vault, value) in devices.iter().zip(EDITS) {
        let mut changes = Changes::new();
        changes.insert("notes".into(), Some(text(value)));
        vault.edit(id, changes).unwrap();
    }
    for vault in devices.iter().chain(devices.iter()) {
        sync(vault);
    }
    let conflicts = coordinator.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].values.len(), 3);
    for vault in [&field, &aftercare] {
        assert_eq!(vault.conflicts().unwrap(), conflicts);
    }
    let keep = conflicts[0]
        .values
        .iter()
        .find(|v| v.value == Some(text(EDITS[0])))
        .unwrap();
    coordinator
        .resolve(&conflicts[0].id, Choice::Keep(keep.id.clone()))
        .unwrap();
    for vault in [&coordinator, &field, &aftercare] {
        sync(vault);
        assert!(vault.conflicts().unwrap().is_empty());
        assert_eq!(
            vault.get(id).unwrap().answer("notes"),
            Some(&text(EDITS[0]))
        );
    }

    // A round cancelled after its push resumes where it stopped: nothing lost, nothing
    // applied twice.
    for n in 0..3 {
        let mut answers = Answers::new();
        answers.insert("name".into(), text(&format!("{NAME} {n}")));
        field
            .batch(|b| {
                let case = b.create_case(Answers::new())?;
                b.add_submission(case, FormRef::new("victim_identification"), answers)
            })
            .unwrap();
    }
    let calls = std::cell::Cell::new(0);
    let cancelled = field.sync_online(&t, &mut |_, _| {}, &|| {
        calls.set(calls.get() + 1);
        calls.get() > 1
    });
    assert!(matches!(cancelled, Err(SyncError::Cancelled)));
    let resumed = sync(&field);
    assert_eq!(resumed.pushed, 0, "the push had completed");
    let round = sync(&coordinator);
    assert_eq!((round.report.applied, round.report.duplicates), (6, 0));
    assert_eq!(coordinator.summary().unwrap(), field.summary().unwrap());

    // The aftercare phone is removed: its next sync wipes it.
    let removed = aftercare.device_id().unwrap();
    assert!(matches!(
        field.revoke_device(removed, &t),
        Err(SyncError::NotCoordinator(_))
    ));
    let before = coordinator.summary().unwrap().op_count();
    assert_eq!(coordinator.revoke_device(removed, &t).unwrap(), 2);
    assert_eq!(
        coordinator.team().unwrap().unwrap().epoch,
        2,
        "a new key epoch"
    );
    let listed = coordinator.server_devices(&t).unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .any(|d| d.device == removed && d.revoked_ms.is_some())
    );
    assert!(matches!(
        aftercare.sync_online(&t, &mut |_, _| {}, &|| false),
        Err(SyncError::Revoked)
    ));
    assert!(!Vault::exists(&root.join("aftercare")));
    assert!(aftercare.get(id).is_err());

    // The remaining phone takes the new key at its next sync; what both write now is
    // sealed under it, and they still read each other.
    let after_removal = field.summary().unwrap().op_count();
    let round = sync(&field);
    assert_eq!(round.new_keys, 1);
    assert_eq!(field.team().unwrap().unwrap().epoch, 2);
    let mut answers = Answers::new();
    answers.insert("name".into(), text("Sunita Kumari"));
    let later = field
        .batch(|b| {
            let case = b.create_case(Answers::new())?;
            b.add_submission(case, FormRef::new("victim_identification"), answers)
        })
        .unwrap();
    let mut held = Vec::new();
    field
        .export_bundles(None, 1 << 20, |header, _| {
            held.push(header.epoch);
            Ok(())
        })
        .unwrap();
    assert_eq!(held, vec![2], "new bundles are sealed under the new key");
    sync(&field);
    sync(&coordinator);
    assert_eq!(
        coordinator.get(later).unwrap().answer("name"),
        Some(&text("Sunita Kumari"))
    );
    assert!(after_removal >= before);
    // A member who joins after the rotation reads the history from before it too.
    let newcomer = join(&coordinator, &root.join("newcomer"), Role::Aftercare);
    sync(&newcomer);
    assert_eq!(newcomer.team().unwrap().unwrap().epoch, 2);
    assert_eq!(newcomer.get(id).unwrap().answer("name"), Some(&text(NAME)));
    assert_eq!(
        newcomer.get(later).unwrap().answer("name"),
        Some(&text("Sunita Kumari"))
    );
    assert_eq!(newcomer.summary().unwrap(), coordinator.summary().unwrap());

    // Two coordinators remove the same phone at once. The deputy, not synced since,
    // starts epoch 3 as well, finds it taken, takes the coordinator's key for it and
    // moves on to epoch 4: one key per epoch, and everyone ends on the same one.
    let deputy = join(&coordinator, &root.join("deputy"), Role::Coordinator);
    // A coordinator invite's phone signs nothing for the team until a coordinator
    // confirms it: it cannot remove a device yet, and nothing changes.
    assert!(sync(&deputy).awaiting_confirmation);
    let lost = newcomer.device_id().unwrap();
    assert!(matches!(
        deputy.revoke_device(lost, &t),
        Err(SyncError::AwaitingConfirmation)
    ));
    assert_eq!(deputy.team().unwrap().unwrap().epoch, 2);
    let listed = coordinator.server_devices(&t).unwrap();
    let listed_deputy = listed
        .iter()
        .find(|d| d.device == deputy.device_id().unwrap())
        .unwrap();
    assert!(listed_deputy.verified && listed_deputy.awaiting_confirmation);
    assert!(
        listed
            .iter()
            .any(|d| d.device == lost && d.revoked_ms.is_none())
    );
    // The coordinator's round confirms it; the deputy's next round takes that.
    assert_eq!(sync(&coordinator).confirmed, 1);
    assert_eq!(sync(&coordinator).confirmed, 0, "confirmed once");
    let round = sync(&deputy);
    assert!(!round.awaiting_confirmation);
    assert!(
        coordinator
            .server_devices(&t)
            .unwrap()
            .iter()
            .all(|d| !d.awaiting_confirmation)
    );
    assert_eq!(coordinator.revoke_device(lost, &t).unwrap(), 3);
    assert_eq!(deputy.revoke_device(lost, &t).unwrap(), 4);
    for vault in [&field, &coordinator, &deputy] {
        sync(vault);
        assert_eq!(vault.team().unwrap().unwrap().epoch, 4);
    }
    let mut notes = Vec::new();
    for (n, vault) in [&field, &coordinator, &deputy].into_iter().enumerate() {
        let note = format!("visit {n} after the second removal");
        vault.append(later, "followups", text(&note)).unwrap();
        notes.push(note);
    }
    for vault in [&field, &coordinator, &deputy, &field, &coordinator] {
        let round = sync(vault);
        assert_eq!(round.refused, 0, "every bundle opens");
    }
    for vault in [&field, &coordinator, &deputy] {
        assert_eq!(vault.summary().unwrap(), coordinator.summary().unwrap());
        let got: Vec<_> = vault.get(later).unwrap().logs["followups"]
            .iter()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(got.len(), 3);
        for note in &notes {
            assert!(got.contains(&text(note)));
        }
    }
    assert!(matches!(
        newcomer.sync_online(&t, &mut |_, _| {}, &|| false),
        Err(SyncError::Revoked)
    ));

    // Nothing the devices wrote is readable on the server: its files, its database
    // tables and its log.
    drop(server);
    let mut held: Vec<(String, Vec<u8>)> = Vec::new();
    let mut places = vec![log];
    match &store {
        Store::Directory(dir) => places.push(dir.clone()),
        Store::Postgres(db) => held.push(("the PostgreSQL tables".into(), db.contents())),
    }
    for path in files_under(&places) {
        held.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(
        held.iter()
            .any(|(place, bytes)| !place.ends_with(".log") && bytes.len() > 1000),
        "the store itself was scanned"
    );
    let mut needles = vec![NAME, "Rekha", NOTES, "Bhatta", "Haryana kilns"];
    needles.extend(EDITS);
    for (place, bytes) in &held {
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{place} holds personal text"
            );
        }
    }
}

/// Three devices write and sync at once through a loopback proxy that cuts requests and
/// answers mid-body, sends requests twice and delays both ways (so concurrent answers
/// come back out of order), while the server is SIGKILLed twice in the middle of their
/// pushes and restarted on the same data. Afterwards, with the network healthy again,
/// every device holds every op exactly once: the same summary, every record, and every
/// follow-up entry once.
#[test]
fn devices_converge_through_a_faulty_network_and_a_killed_server() {
    const TEST: &str = "devices_converge_through_a_faulty_network_and_a_killed_server";
    let root = tempfile::tempdir().unwrap();
    converge_on(root.path(), Store::Directory(root.path().join("server")));
    if let Some(db) = ScratchDatabase::create(TEST) {
        let root = tempfile::tempdir().unwrap();
        converge_on(root.path(), Store::Postgres(db));
    }
}

fn converge_on(root: &Path, store: Store) {
    const ROUNDS: usize = 24;
    let mut server = start(&store, &root.join("server-0.log"));
    let seed = std::env::var("SAFEKEEP_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5afe_2026);
    eprintln!("fault seed {seed} (SAFEKEEP_FAULT_SEED repeats a run)");
    let addr = |server: &Server| server.url.trim_start_matches("http://").parse().unwrap();
    let proxy = FaultProxy::start(addr(&server), seed).unwrap();
    let t = HttpTransport::default();

    let coordinator = vault(&root.join("coordinator"));
    coordinator
        .create_team("Haryana kilns", Some(proxy.url()))
        .unwrap();
    coordinator.register_team(&t, &server.token).unwrap();
    let field = join(&coordinator, &root.join("field"), Role::Field);
    let aftercare = join(&coordinator, &root.join("aftercare"), Role::Aftercare);
    let shared = coordinator.create_case(Answers::new()).unwrap();
    sync(&coordinator);
    for vault in [&field, &aftercare] {
        sync(vault);
        assert!(vault.get(shared).is_ok());
    }

    proxy.set_faults(Faults {
        cut_request: 12,
        cut_answer: 12,
        duplicate: 12,
        max_delay: Duration::from_millis(30),
    });
    let devices = [&coordinator, &field, &aftercare];
    let written = std::sync::atomic::AtomicU64::new(0);
    let (created, failed_rounds, kills) = std::thread::scope(|scope| {
        let workers: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(d, vault)| {
                let (written, t) = (&written, &t);
                scope.spawn(move || {
                    let mut created = Vec::new();
                    let mut failed = 0;
                    for round in 0..ROUNDS {
                        let before = vault.summary().unwrap().op_count();
                        let mut answers = Answers::new();
                        answers.insert("name".into(), text(&format!("{NAME} {d}-{round}")));
                        let id = vault
                            .batch(|b| {
                                let case = b.create_case(Answers::new())?;
                                b.add_submission(
                                    case,
                                    FormRef::new("victim_identification"),
                                    answers,
                                )
                            })
                            .unwrap();
                        vault
                            .append(shared, "followups", text(&format!("visit {d}-{round}")))
                            .unwrap();
                        let after = vault.summary().unwrap().op_count();
                        written.fetch_add(after - before, std::sync::atomic::Ordering::SeqCst);
                        created.push((id, format!("{NAME} {d}-{round}")));
                        // Whatever the network did, the round either ends or fails with
                        // an error worth retrying later: never a lost or doubled op.
                        match vault.sync_online(t, &mut |_, _| {}, &|| false) {
                            Ok(_) => {}
                            Err(SyncError::Transport(_) | SyncError::Server { .. }) => failed += 1,
                            Err(other) => panic!("round {round} of device {d}: {other}"),
                        }
                    }
                    (created, failed)
                })
            })
            .collect();
        // The server dies twice in the middle of a push (the push is at the server, its
        // answer not yet read), and comes back on its data.
        let mut kills = Vec::new();
        for (n, at) in [20u64, 50].into_iter().enumerate() {
            while proxy.counts().relayed < at && workers.iter().any(|w| !w.is_finished()) {
                std::thread::sleep(Duration::from_millis(2));
            }
            proxy.hold_next_push();
            assert!(
                proxy.wait_until_held(Duration::from_secs(60)),
                "a push reached the server while the devices sync"
            );
            kills.push(proxy.in_flight());
            let _ = server.child.kill();
            let _ = server.child.wait();
            server = start(&store, &root.join(format!("server-{}.log", n + 1)));
            proxy.set_upstream(addr(&server));
            proxy.release();
        }
        let mut created = Vec::new();
        let mut failed = 0;
        for worker in workers {
            let (mine, f) = worker.join().unwrap();
            created.extend(mine);
            failed += f;
        }
        (created, failed, kills)
    });
    let counts = proxy.counts();
    eprintln!(
        "faults: {counts:?}; failed rounds {failed_rounds}; in flight at the kills {kills:?}"
    );
    assert!(counts.cut_requests > 0 && counts.cut_answers > 0 && counts.duplicated > 0);
    assert!(failed_rounds > 0, "the faults reached the devices");

    // The network heals: a few rounds each until nobody has anything to send or get.
    proxy.set_faults(Faults::NONE);
    for _ in 0..6 {
        for vault in devices {
            sync(vault);
        }
    }
    let quiet: Vec<SyncRound> = devices.iter().map(|v| sync(v)).collect();
    assert!(
        quiet.iter().all(|r| r.pushed == 0 && r.pulled == 0),
        "caught up"
    );

    let summary = coordinator.summary().unwrap();
    let first_ops = written.load(std::sync::atomic::Ordering::SeqCst);
    for vault in devices {
        assert_eq!(vault.summary().unwrap(), summary, "the same ops everywhere");
        for (id, name) in &created {
            assert_eq!(vault.get(*id).unwrap().answer("name"), Some(&text(name)));
        }
        let mut visits: Vec<String> = vault.get(shared).unwrap().logs["followups"]
            .iter()
            .map(|(_, v)| match v {
                Value::Text(t) => t.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        visits.sort();
        let mut expected: Vec<String> = (0..3)
            .flat_map(|d| (0..ROUNDS).map(move |r| format!("visit {d}-{r}")))
            .collect();
        expected.sort();
        assert_eq!(
            visits, expected,
            "every entry once: none lost, none doubled"
        );
    }
    assert_eq!(created.len(), 3 * ROUNDS);
    assert!(summary.op_count() >= first_ops);
}

/// Passes requests to the server, except that it can lose the answer to a removal
/// (the server acted, the phone never heard) or answer a device list with another
/// key-exchange key for one device (a compromised server), from now on or from the
/// next removal on.
#[derive(Default)]
struct Meddler {
    lose_revoke_answer: std::sync::atomic::AtomicBool,
    swap_key_of: std::sync::Mutex<Option<String>>,
    swap_after_revoke: std::sync::Mutex<Option<String>>,
    /// Devices of the server's making added to each device list, as a compromised
    /// server would (it holds every device's membership proof and can copy one).
    made_up: std::sync::Mutex<Vec<serde_json::Value>>,
    /// The devices of every grant sent.
    granted: std::sync::Mutex<Vec<String>>,
    /// The server's last device list, as it answered.
    last_list: std::sync::Mutex<Option<serde_json::Value>>,
    /// Lists this removed device as enrolled and owed this epoch, as a compromised
    /// server would to a coordinator that did not remove it.
    unrevoke: std::sync::Mutex<Option<(String, u32)>>,
    /// Answers "removed" to everything, without a coordinator's signed removal (a
    /// compromised server, or someone between it and the phone, trying to wipe it).
    claim_removal: std::sync::atomic::AtomicBool,
}

impl safekeep_core::sync::Transport for Meddler {
    fn send(
        &self,
        request: safekeep_core::sync::HttpRequest,
    ) -> Result<safekeep_core::sync::HttpResponse, safekeep_core::sync::TransportError> {
        let revoke = request.url.ends_with("/revoke");
        let list = request.url.ends_with("/v1/devices");
        if self.claim_removal.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(safekeep_core::sync::HttpResponse {
                status: 410,
                headers: Vec::new(),
                body: br#"{"error": "revoked", "message": "wipe", "proof": "00ff"}"#.to_vec(),
            });
        }
        if request.method == "POST" && request.url.ends_with("/v1/grants") {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            for g in body["grants"].as_array().unwrap() {
                let device = g["device"].as_str().unwrap().to_owned();
                self.granted.lock().unwrap().push(device);
            }
        }
        let mut answer = HttpTransport::default().send(request)?;
        if list {
            *self.last_list.lock().unwrap() = serde_json::from_slice(&answer.body).ok();
        }
        if revoke && let Some(device) = self.swap_after_revoke.lock().unwrap().take() {
            *self.swap_key_of.lock().unwrap() = Some(device);
        }
        if revoke
            && self
                .lose_revoke_answer
                .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(safekeep_core::sync::TransportError::Network(
                "the answer was lost".into(),
            ));
        }
        if let (true, Some(device)) = (list, self.swap_key_of.lock().unwrap().clone()) {
            let mut json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
            for d in json["devices"].as_array_mut().unwrap() {
                if d["device"] == device.as_str() {
                    d["kx_public"] = "09".repeat(32).into();
                }
            }
            answer.body = json.to_string().into_bytes();
        }
        if let (true, Some((device, epoch))) = (list, self.unrevoke.lock().unwrap().clone()) {
            let mut json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
            for d in json["devices"].as_array_mut().unwrap() {
                if d["device"] == device.as_str() {
                    d["revoked_ms"] = serde_json::Value::Null;
                    d["lacks"] = serde_json::json!([epoch]);
                }
            }
            answer.body = json.to_string().into_bytes();
        }
        let made_up = self.made_up.lock().unwrap().clone();
        if list && !made_up.is_empty() {
            let mut json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
            json["devices"].as_array_mut().unwrap().extend(made_up);
            answer.body = json.to_string().into_bytes();
        }
        Ok(answer)
    }
}

#[test]
fn new_keys_reach_late_joiners_survive_a_lost_answer_and_no_swapped_key() {
    const TEST: &str = "new_keys_reach_late_joiners_survive_a_lost_answer_and_no_swapped_key";
    let root = tempfile::tempdir().unwrap();
    late_joiners_on(root.path(), Store::Directory(root.path().join("server")));
    if let Some(db) = ScratchDatabase::create(TEST) {
        let root = tempfile::tempdir().unwrap();
        late_joiners_on(root.path(), Store::Postgres(db));
    }
}

/// A phone that joins with an invite made before a removal gets the newer key at the
/// coordinator's next round and reads what was written under it; a removal whose
/// answer was lost still rotates the key (at the next round); a server that lists
/// another key-exchange key for a device is sent no key.
fn late_joiners_on(root: &Path, store: Store) {
    let server = start(&store, &root.join("server.log"));
    let t = HttpTransport::default();
    let coordinator = vault(&root.join("coordinator"));
    coordinator
        .create_team("Haryana kilns", Some(server.url.clone()))
        .unwrap();
    coordinator.register_team(&t, &server.token).unwrap();
    let field = join(&coordinator, &root.join("field"), Role::Field);
    let lost = join(&coordinator, &root.join("lost"), Role::Field);

    // An invite is made, then a phone is lost and removed; the invite is used after.
    let old_invite = coordinator
        .create_invite(Role::Aftercare, Duration::from_secs(600))
        .unwrap();
    coordinator.offer_invite(&old_invite, &t).unwrap();
    assert_eq!(
        coordinator
            .revoke_device(lost.device_id().unwrap(), &t)
            .unwrap(),
        2
    );
    let late = vault(&root.join("late"));
    late.join_team(&old_invite.invite, &old_invite.secret)
        .unwrap();
    late.enroll(&t).unwrap();
    assert_eq!(late.team().unwrap().unwrap().epoch, 1);
    let listed = coordinator.server_devices(&t).unwrap();
    let entry = listed
        .iter()
        .find(|d| d.device == late.device_id().unwrap())
        .unwrap();
    assert_eq!(entry.lacks, vec![2], "the server knows what it lacks");
    assert_eq!(entry.enrolled_by, Some(coordinator.device_id().unwrap()));

    // The field phone writes under epoch 2; the late phone cannot read it until the
    // coordinator's next round delivers the key, then it can.
    let mut answers = Answers::new();
    answers.insert("name".into(), text(NAME));
    let id = field
        .batch(|b| {
            let case = b.create_case(Answers::new())?;
            b.add_submission(case, FormRef::new("victim_identification"), answers)
        })
        .unwrap();
    assert_eq!(sync(&field).new_keys, 1);
    sync(&field);
    let waiting = sync(&late);
    assert_eq!(waiting.waiting_for_key, Some(2));
    assert!(late.get(id).is_err(), "not readable yet");
    sync(&coordinator);
    let round = sync(&late);
    assert_eq!((round.new_keys, round.waiting_for_key), (1, None));
    assert_eq!(late.team().unwrap().unwrap().epoch, 2);
    assert_eq!(late.get(id).unwrap().answer("name"), Some(&text(NAME)));
    assert!(
        coordinator
            .server_devices(&t)
            .unwrap()
            .iter()
            .all(|d| d.lacks.is_empty()),
        "nothing owed any more"
    );

    // The coordinator removes the field phone, but the answer is lost: the server
    // acted, the phone does not know. Its next round rotates the key all the same.
    let meddler = Meddler::default();
    meddler
        .lose_revoke_answer
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(
        coordinator.revoke_device(field.device_id().unwrap(), &meddler),
        Err(SyncError::Transport(_))
    ));
    assert_eq!(coordinator.team().unwrap().unwrap().epoch, 2);
    sync(&coordinator);
    assert_eq!(coordinator.team().unwrap().unwrap().epoch, 3, "rotated");
    // A "removed" answer without a coordinator's signature wipes nothing, even on
    // the removed phone; the real one, signed by the coordinator, does.
    let liar = Meddler::default();
    liar.claim_removal
        .store(true, std::sync::atomic::Ordering::SeqCst);
    for phone in [&late, &field] {
        assert!(matches!(
            phone.sync_online(&liar, &mut |_, _| {}, &|| false),
            Err(SyncError::UnprovenRemoval)
        ));
        assert!(phone.team().unwrap().is_some(), "nothing wiped");
    }
    assert!(late.get(id).is_ok());
    assert!(matches!(
        field.sync_online(&t, &mut |_, _| {}, &|| false),
        Err(SyncError::Revoked)
    ));
    assert_eq!(sync(&late).new_keys, 1);
    assert_eq!(late.team().unwrap().unwrap().epoch, 3);

    // A server that lists another key-exchange key for the late phone gets nothing:
    // the coordinator stops before sending any key, and the team stays on epoch 3.
    let newcomer = join(&coordinator, &root.join("newcomer"), Role::Field);
    sync(&newcomer);
    *meddler.swap_key_of.lock().unwrap() = Some(late.device_id().unwrap().to_string());
    assert!(matches!(
        coordinator.revoke_device(newcomer.device_id().unwrap(), &meddler),
        Err(SyncError::KeyChanged)
    ));
    assert!(matches!(
        coordinator.sync_online(&meddler, &mut |_, _| {}, &|| false),
        Err(SyncError::KeyChanged)
    ));
    assert_eq!(coordinator.team().unwrap().unwrap().epoch, 3);
    assert_eq!(sync(&newcomer).new_keys, 0, "the newcomer was not removed");
    // With the server honest again, the same removal goes through.
    assert_eq!(
        coordinator
            .revoke_device(newcomer.device_id().unwrap(), &t)
            .unwrap(),
        4
    );
    assert_eq!(sync(&late).new_keys, 1);

    // The server swaps the key only once the removal is done, when the new key is
    // about to be sealed: still nothing is sent. The rotation stays owed and goes out,
    // to the right keys, once the server answers honestly.
    let second = join(&coordinator, &root.join("second"), Role::Field);
    sync(&second);
    let meddler = Meddler::default();
    *meddler.swap_after_revoke.lock().unwrap() = Some(late.device_id().unwrap().to_string());
    assert!(matches!(
        coordinator.revoke_device(second.device_id().unwrap(), &meddler),
        Err(SyncError::KeyChanged)
    ));
    assert_eq!(coordinator.team().unwrap().unwrap().epoch, 5);
    assert_eq!(sync(&late).new_keys, 0, "nothing was delivered");
    sync(&coordinator);
    assert_eq!(sync(&late).new_keys, 1);
    assert_eq!(late.team().unwrap().unwrap().epoch, 5);
    assert!(matches!(
        second.sync_online(&t, &mut |_, _| {}, &|| false),
        Err(SyncError::Revoked)
    ));

    // A server that lists devices of its own making, one with a real device's
    // membership proof copied onto its own keys and one with a proof of nonsense,
    // gets no key for them: the coordinator shows them unverified, and the next
    // rotation reaches the real devices only.
    let third = join(&coordinator, &root.join("third"), Role::Field);
    sync(&third);
    let listed = coordinator.server_devices(&t).unwrap();
    assert!(
        listed.iter().all(|d| d.verified),
        "every enrolled device's invite vouched for it"
    );
    // What the server lists, membership proofs included, as it answers.
    let meddler = Meddler::default();
    coordinator.server_devices(&meddler).unwrap();
    let late_id = late.device_id().unwrap().to_string();
    let copied = meddler.last_list.lock().unwrap().clone().unwrap()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == late_id.as_str())
        .unwrap()["membership"]
        .clone();
    assert!(copied.is_string());
    let fake = |id: &str, membership: serde_json::Value| {
        serde_json::json!({
            "device": id.repeat(16), "role": "field", "enrolled_ms": 1, "revoked_ms": null,
            "kx_public": "2a".repeat(32), "public_key": "3b".repeat(32),
            "lacks": [], "enrolled_by": null, "membership": membership,
        })
    };
    let meddler = Meddler::default();
    *meddler.made_up.lock().unwrap() =
        vec![fake("f1", copied), fake("f2", "00".repeat(200).into())];
    let shown = coordinator.server_devices(&meddler).unwrap();
    assert_eq!(shown.iter().filter(|d| !d.verified).count(), 2);
    assert_eq!(
        coordinator
            .revoke_device(third.device_id().unwrap(), &meddler)
            .unwrap(),
        6
    );
    let granted = meddler.granted.lock().unwrap().clone();
    assert_eq!(granted, vec![late_id.clone()], "the late phone only");
    assert_eq!(sync(&late).new_keys, 1);

    // A second coordinator never hands a key to a phone the first one removed, even
    // when the server lists that phone as enrolled and owed the key: the grant that
    // brought it the new key named the removed phone.
    let deputy = join(&coordinator, &root.join("deputy"), Role::Coordinator);
    assert!(sync(&deputy).awaiting_confirmation);
    assert_eq!(sync(&coordinator).confirmed, 1);
    assert!(!sync(&deputy).awaiting_confirmation);
    let gone = join(&coordinator, &root.join("gone"), Role::Field);
    sync(&gone);
    let gone_id = gone.device_id().unwrap().to_string();
    let epoch = coordinator
        .revoke_device(gone.device_id().unwrap(), &t)
        .unwrap();
    let liar = Meddler::default();
    *liar.unrevoke.lock().unwrap() = Some((gone_id.clone(), epoch));
    for _ in 0..2 {
        deputy
            .sync_online(&liar, &mut |_, _| {}, &|| false)
            .unwrap();
    }
    assert_eq!(deputy.team().unwrap().unwrap().epoch, epoch);
    assert!(
        !liar.granted.lock().unwrap().contains(&gone_id),
        "no key for the removed phone"
    );
}
