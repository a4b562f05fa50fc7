//! A child process saves records in a loop and prints each id once its commit has
//! returned; we SIGKILL it at random moments. After every kill the vault opens, passes
//! its check, and holds every printed id with exactly its answers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use safekeep_core::{Passphrase, RecordFilter, RecordId, Unlock, Vault, VaultOptions};

fn options() -> VaultOptions {
    VaultOptions::default().insecure_fast_kdf_for_tests()
}

fn random_below(n: u64) -> u64 {
    u64::from_le_bytes(safekeep_core::crypto::make_random().unwrap()) % n
}

/// One round: start the writer, kill it, return the ids it acknowledged.
fn write_and_kill(dir: &Path) -> Vec<(RecordId, u64)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start crash writer");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    if random_below(10) == 0 {
        // Sometimes kill it while it is still opening the vault.
        std::thread::sleep(Duration::from_micros(random_below(8_000)));
    } else {
        let mut ready = String::new();
        stdout.read_line(&mut ready).unwrap();
        if ready.trim() != "ready" {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("writer did not start: {err}");
        }
        std::thread::sleep(Duration::from_micros(random_below(25_000)));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    // Only complete lines were acknowledged; a torn last line was not.
    let complete = match rest.rfind('\n') {
        Some(end) => &rest[..end],
        None => "",
    };
    complete
        .lines()
        .filter(|l| *l != "ready")
        .map(|line| {
            let (id, token) = line.split_once(' ').expect("id and token");
            (
                id.parse().expect("record id"),
                token.parse().expect("token"),
            )
        })
        .collect()
}

fn crash_rounds(kills: usize) {
    let dir = tempfile::tempdir().unwrap();
    let passphrase = Passphrase::new(safekeep_tests::PASSPHRASE);
    Vault::create(dir.path(), &passphrase, options())
        .unwrap()
        .0
        .close()
        .unwrap();
    let mut acknowledged: BTreeMap<RecordId, u64> = BTreeMap::new();
    for round in 0..kills {
        acknowledged.extend(write_and_kill(dir.path()));
        let vault = Vault::open(dir.path(), Unlock::Passphrase(&passphrase), options())
            .unwrap_or_else(|e| panic!("round {round}: the vault does not open: {e}"));
        let report = vault.check().unwrap();
        assert!(report.is_ok(), "round {round}: {report:?}");
        let stored: BTreeMap<RecordId, _> = vault
            .list(&RecordFilter {
                form: Some("victim_identification".into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.answers()))
            .collect();
        for (id, token) in &acknowledged {
            let answers = stored
                .get(id)
                .unwrap_or_else(|| panic!("round {round}: record {id} lost"));
            assert_eq!(
                answers,
                &safekeep_tests::crash_answers(*token),
                "round {round}: record {id}"
            );
        }
        vault.close().unwrap();
    }
    assert!(
        acknowledged.len() > kills / 2,
        "the writer hardly wrote anything"
    );
    eprintln!(
        "{kills} kills, {} acknowledged records, all intact",
        acknowledged.len()
    );
}

#[test]
fn killed_mid_save_two_hundred_times_no_acknowledged_record_is_lost() {
    crash_rounds(200);
}

/// The long run: `cargo test -p safekeep-tests --test crash -- --ignored`
/// (SAFEKEEP_CRASH_KILLS sets the number, default 2000).
#[test]
#[ignore]
fn killed_mid_save_thousands_of_times() {
    let kills = std::env::var("SAFEKEEP_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    crash_rounds(kills);
}
