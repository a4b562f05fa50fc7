//! Records through the core: saving, editing, deleting, listing; nothing in clear on
//! disk; tampering caught and named; the clock and the op log.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use rusqlite::Connection;
use safekeep_core::sync::merge::RecordState;
use safekeep_core::{
    Answers, Changes, Clock, FormRef, RecordError, RecordFilter, RecordKind, Unlock, Value,
    ValueType, Vault,
};

fn reopen(dir: &std::path::Path) -> Vault {
    Vault::open(dir, Unlock::Passphrase(&passphrase()), options()).unwrap()
}

#[test]
fn a_social_worker_records_a_case_and_an_aftercare_worker_updates_it() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (case, id) = identify(&vault, "Rekha", "found in the back room");
    let service = vault
        .add_service_entry(
            case,
            FormRef::new("restoration_service"),
            answers(&[
                ("service_type", Value::Choice("medical".into())),
                ("service_date", ValueType::Date.parse("2026-11-03").unwrap()),
            ]),
        )
        .unwrap();

    let mut changes = Changes::new();
    changes.insert("age".into(), Some(Value::Integer(15)));
    changes.insert("notes".into(), None);
    changes.insert("name".into(), Some(text("Rekha"))); // unchanged: no op for it
    vault.edit(id, changes).unwrap();
    vault.close().unwrap();

    let vault = reopen(dir.path());
    let record = vault.get(id).unwrap();
    assert_eq!(record.kind, RecordKind::Submission);
    assert_eq!(record.case, Some(case));
    assert_eq!(record.answer("age"), Some(&Value::Integer(15)));
    assert_eq!(record.answer("notes"), None);
    assert_eq!(record.answer("name"), Some(&text("Rekha")));
    let history = vault.history(id).unwrap();
    assert_eq!(history.len(), 2);
    match &history[1].body {
        safekeep_core::sync::OpBody::Set { fields } => {
            let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, ["age", "notes"]);
            // Each change names the stamp of the value it replaced.
            assert!(fields.iter().all(|f| f.bases == vec![history[0].stamp]));
        }
        other => panic!("expected a field-set op, got {other:?}"),
    }

    let in_case = vault
        .list(&RecordFilter {
            case: Some(case),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(in_case.len(), 3);
    let identifications = vault
        .list(&RecordFilter {
            form: Some("victim_identification".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        identifications.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![id]
    );

    // Deleting the case removes everything in it from lists, and says so on get.
    vault.delete(case).unwrap();
    assert!(vault.list(&RecordFilter::default()).unwrap().is_empty());
    assert!(matches!(vault.get(service), Err(RecordError::Deleted(_))));
    assert!(matches!(
        vault.edit(id, Changes::new()),
        Err(RecordError::Deleted(_))
    ));
    let all = vault
        .list(&RecordFilter {
            include_deleted: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    assert!(vault.check().unwrap().is_ok());
}

#[test]
fn submissions_need_a_live_case() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (_, submission) = identify(&vault, "Nisha", "");
    let form = FormRef::new("crisis_intake");
    let err = vault
        .add_submission(submission, form.clone(), Answers::new())
        .unwrap_err();
    assert!(matches!(err, RecordError::NotACase(_)));
    let missing = safekeep_core::RecordId([1; 16]);
    assert!(matches!(
        vault.add_submission(missing, form.clone(), Answers::new()),
        Err(RecordError::NotFound(_))
    ));
    let bad_name = answers(&[(" ", text("x"))]);
    let case = vault.create_case(Answers::new()).unwrap();
    assert!(matches!(
        vault.add_submission(case, form, bad_name),
        Err(RecordError::InvalidInput(_))
    ));
    // A failed batch leaves nothing behind.
    let before = vault.list(&RecordFilter::default()).unwrap().len();
    let failed = vault.batch(|b| {
        b.create_case(Answers::new())?;
        b.add_submission(missing, FormRef::new("x"), Answers::new())
    });
    assert!(failed.is_err());
    assert_eq!(vault.list(&RecordFilter::default()).unwrap().len(), before);
}

const SECRETS: &[&str] = &[
    "Zubeida Khatun Farooqui",
    "प्रियंका कुमारी",
    "Sonagachi lane 4",
    "मालिक ने आधार कार्ड रख लिया",
    "victim_identification",
    "Owner keeps the passports in a steel almirah",
];

fn assert_nothing_in_clear(dir: &std::path::Path, moment: &str) {
    for secret in SECRETS {
        let found = files_containing_text(dir, secret);
        assert!(
            found.is_empty(),
            "{moment}: found a sample text in {found:?}"
        );
    }
}

#[test]
fn nothing_recorded_is_readable_in_the_vault_files() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let mut ids = Vec::new();
    for i in 0..50 {
        let (case, id) = identify(&vault, SECRETS[i % 2], SECRETS[3 + i % 3]);
        vault
            .edit(
                case,
                [("place".to_string(), Some(text(SECRETS[2])))]
                    .into_iter()
                    .collect(),
            )
            .unwrap();
        ids.push(id);
    }
    // While open, with the data still in the WAL.
    assert!(dir.path().join("vault.db-wal").exists());
    assert!(
        std::fs::metadata(dir.path().join("vault.db-wal"))
            .unwrap()
            .len()
            > 0
    );
    assert_nothing_in_clear(dir.path(), "before checkpoint");
    vault.checkpoint().unwrap();
    assert_nothing_in_clear(dir.path(), "after checkpoint");
    // Deleted records' pages are zeroed too.
    vault
        .delete(vault.get(ids[0]).unwrap().case.unwrap())
        .unwrap();
    vault.close().unwrap();
    assert_nothing_in_clear(dir.path(), "after close");
    // And the text is really there, once unlocked.
    let vault = reopen(dir.path());
    assert_eq!(
        vault.get(ids[1]).unwrap().answer("name"),
        Some(&text(SECRETS[1]))
    );
}

fn sql(dir: &std::path::Path) -> Connection {
    Connection::open(dir.join("vault.db")).unwrap()
}

fn touch(vault: &Vault, id: safekeep_core::RecordId) {
    // An edit gives the record a sealed state of its own (before, its creating op is it).
    let mut changes = Changes::new();
    changes.insert("reviewed".into(), Some(Value::Boolean(true)));
    vault.edit(id, changes).unwrap();
}

fn flip(db: &Connection, sql_get: &str, sql_put: &str, id: &[u8; 16]) {
    let mut blob: Vec<u8> = db
        .query_row(sql_get, [id.as_slice()], |r| r.get(0))
        .unwrap();
    blob[40] ^= 0x01;
    db.execute(sql_put, rusqlite::params![blob, id.as_slice()])
        .unwrap();
}

#[test]
fn a_flipped_byte_in_a_sealed_value_names_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (_, edited) = identify(&vault, "Farzana", "x");
    touch(&vault, edited);
    let (_, created) = identify(&vault, "Rupa", "y");
    let (_, other) = identify(&vault, "Tara", "z");
    vault.close().unwrap();
    {
        let db = sql(dir.path());
        flip(
            &db,
            "SELECT state FROM records WHERE id = ?1",
            "UPDATE records SET state = ?1 WHERE id = ?2",
            edited.as_bytes(),
        );
        flip(
            &db,
            "SELECT body FROM ops WHERE record = ?1",
            "UPDATE ops SET body = ?1 WHERE record = ?2",
            created.as_bytes(),
        );
    }
    let vault = reopen(dir.path());
    for id in [edited, created] {
        let err = vault.get(id).unwrap_err();
        assert!(
            matches!(
                err,
                RecordError::Tampered {
                    table: "records",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains(&id.to_string()), "{err}");
    }
    assert!(vault.get(other).is_ok(), "other records still read");
    let report = vault.check().unwrap();
    assert!(!report.is_ok());
    let damaged: std::collections::BTreeSet<_> = report.damaged.iter().cloned().collect();
    let expected: std::collections::BTreeSet<_> = [
        ("records".to_string(), edited.to_string()),
        ("records".to_string(), created.to_string()),
        ("ops".to_string(), created.to_string()),
    ]
    .into_iter()
    .collect();
    assert_eq!(damaged, expected);
}

#[test]
fn two_rows_with_swapped_ciphertexts_both_fail() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (_, a) = identify(&vault, "Asha", "");
    let (_, b) = identify(&vault, "Bina", "");
    let (_, c) = identify(&vault, "Chitra", "");
    let (_, d) = identify(&vault, "Deepa", "");
    touch(&vault, a);
    touch(&vault, b);
    vault.close().unwrap();
    {
        let db = sql(dir.path());
        let swap = |table: &str, column: &str, key: &str, x: &[u8; 16], y: &[u8; 16]| {
            let get = |id: &[u8; 16]| -> Vec<u8> {
                db.query_row(
                    &format!("SELECT {column} FROM {table} WHERE {key} = ?1 LIMIT 1"),
                    [id.as_slice()],
                    |r| r.get(0),
                )
                .unwrap()
            };
            let (vx, vy) = (get(x), get(y));
            let put = format!("UPDATE {table} SET {column} = ?1 WHERE {key} = ?2");
            db.execute(&put, rusqlite::params![vy, x.as_slice()])
                .unwrap();
            db.execute(&put, rusqlite::params![vx, y.as_slice()])
                .unwrap();
        };
        swap("records", "state", "id", a.as_bytes(), b.as_bytes());
        swap("ops", "body", "record", c.as_bytes(), d.as_bytes());
    }
    let vault = reopen(dir.path());
    for id in [a, b, c, d] {
        let err = vault.get(id).unwrap_err();
        assert!(err.to_string().contains(&id.to_string()), "{err}");
    }
    assert!(
        vault.list(&RecordFilter::default()).is_err(),
        "a list never shows swapped data"
    );
}

#[test]
fn a_value_moved_between_tables_fails_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (_, id) = identify(&vault, "Chandni", "");
    let (_, other) = identify(&vault, "Durga", "");
    touch(&vault, id);
    touch(&vault, other);
    vault.close().unwrap();
    {
        let db = sql(dir.path());
        // Put the record's creating op body in place of its state.
        let body: Vec<u8> = db
            .query_row(
                "SELECT body FROM ops WHERE record = ?1 ORDER BY local_seq LIMIT 1",
                [id.as_bytes()],
                |r| r.get(0),
            )
            .unwrap();
        db.execute(
            "UPDATE records SET state = ?1 WHERE id = ?2",
            rusqlite::params![body, id.as_bytes()],
        )
        .unwrap();
    }
    let vault = reopen(dir.path());
    assert!(matches!(vault.get(id), Err(RecordError::Tampered { .. })));
    // And a state moved into the op log is caught by check.
    vault.close().unwrap();
    {
        let db = sql(dir.path());
        let state: Vec<u8> = db
            .query_row(
                "SELECT state FROM records WHERE id = ?1",
                [other.as_bytes()],
                |r| r.get(0),
            )
            .unwrap();
        db.execute(
            "UPDATE ops SET body = ?1 WHERE record = ?2",
            rusqlite::params![state, id.as_bytes()],
        )
        .unwrap();
    }
    let vault = reopen(dir.path());
    let report = vault.check().unwrap();
    assert!(
        report
            .damaged
            .iter()
            .any(|(t, rid)| t == "ops" && *rid == id.to_string()),
        "{report:?}"
    );
}

#[test]
fn a_plaintext_column_edited_on_disk_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (case, id) = identify(&vault, "Geeta", "");
    let (_, other) = identify(&vault, "Hema", "");
    let (_, third) = identify(&vault, "Indu", "");
    vault.delete(case).unwrap();
    vault.close().unwrap();
    {
        let db = sql(dir.path());
        // Undelete by hand.
        db.execute("UPDATE records SET live = 1 WHERE id = ?1", [id.as_bytes()])
            .unwrap();
        // Point a never-edited record at another record's creating op.
        db.execute(
            "UPDATE records SET origin = (SELECT origin FROM records WHERE id = ?1) WHERE id = ?2",
            [third.as_bytes(), other.as_bytes()],
        )
        .unwrap();
    }
    let vault = reopen(dir.path());
    assert!(matches!(vault.get(id), Err(RecordError::Tampered { .. })));
    let err = vault.get(other).unwrap_err();
    assert!(
        matches!(err, RecordError::Tampered { .. }) && err.to_string().contains(&other.to_string())
    );
    assert!(vault.get(third).is_ok());
}

#[test]
fn a_truncated_database_gives_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    for i in 0..200 {
        identify(&vault, &format!("person {i}"), &"x".repeat(500));
    }
    vault.close().unwrap();
    let path = dir.path().join("vault.db");
    let len = std::fs::metadata(&path).unwrap().len();
    for keep in [len / 2, 4096 * 3, 100] {
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(keep).unwrap();
        drop(file);
        match Vault::open(dir.path(), Unlock::Passphrase(&passphrase()), options()) {
            Err(err) => assert!(!err.to_string().is_empty()),
            Ok(vault) => {
                // If it opens at all, reads fail cleanly and check reports the damage.
                let listed = vault.list(&RecordFilter::default());
                let checked = vault.check();
                assert!(listed.is_err() || checked.is_err() || !checked.unwrap().is_ok());
            }
        }
    }
}

struct SettableClock(AtomicU64);
impl Clock for SettableClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[test]
fn stamps_stay_monotonic_across_a_restart_with_the_clock_set_back() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SettableClock(AtomicU64::new(1_800_000_000_000)));
    let opts = || options().with_clock(clock.clone());
    let (vault, _) = Vault::create(dir.path(), &passphrase(), opts()).unwrap();
    let (case, id) = identify(&vault, "Mala", "");
    let first = vault.get(id).unwrap().updated;
    vault.close().unwrap();

    clock.0.store(1_700_000_000_000, Ordering::SeqCst); // the phone's clock jumps years back
    let vault = Vault::open(dir.path(), Unlock::Passphrase(&passphrase()), opts()).unwrap();
    let mut changes = Changes::new();
    changes.insert("age".into(), Some(Value::Integer(13)));
    vault.edit(id, changes).unwrap();
    let second = vault.get(id).unwrap().updated;
    assert!(second > first, "{second:?} should follow {first:?}");
    assert_eq!(second.wall_ms, first.wall_ms);

    // Later edits still win over earlier ones, whatever the wall clock says.
    let mut changes = Changes::new();
    changes.insert("age".into(), Some(Value::Integer(12)));
    vault.edit(id, changes).unwrap();
    assert_eq!(
        vault.get(id).unwrap().answer("age"),
        Some(&Value::Integer(12))
    );

    // Replaying the op log rebuilds exactly the materialized state.
    for record in vault
        .list(&RecordFilter {
            case: Some(case),
            ..Default::default()
        })
        .unwrap()
    {
        let replayed = RecordState::replay(&vault.history(record.id).unwrap());
        assert_eq!(replayed.fields, record.fields);
        assert_eq!(replayed.updated, Some(record.updated));
    }
    assert!(vault.check().unwrap().replay_mismatches.is_empty());
}

#[test]
fn calls_from_several_threads_are_safe() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(new_vault(dir.path()));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let vault = vault.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    identify(&vault, &format!("t{t} p{i}"), "");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(
        vault
            .list(&RecordFilter {
                kind: Some(RecordKind::Submission),
                ..Default::default()
            })
            .unwrap()
            .len(),
        100
    );
    let history_seqs: std::collections::BTreeSet<u64> = vault
        .list(&RecordFilter::default())
        .unwrap()
        .iter()
        .flat_map(|r| vault.history(r.id).unwrap())
        .map(|op| op.id.seq)
        .collect();
    assert_eq!(
        history_seqs.len(),
        200,
        "every op has its own sequence number"
    );
    assert_eq!(*history_seqs.iter().max().unwrap(), 200);
}
