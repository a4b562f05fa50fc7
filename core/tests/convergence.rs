//! The convergence property: 2 to 5 real vaults edit the same records concurrently
//! (field edits, clears, deletes, appends, links, resolutions) and exchange bundles on
//! a random schedule: whole, split into parts delivered partly, out of order and more
//! than once. After everyone has exchanged with everyone, every vault holds the same
//! records and lists the same conflicts, every vault passes its integrity check, and
//! every field write is either a value shown, a value in a conflict, or replaced by a
//! write that names it (history).
//!
//! 1,000 cases by default (`.ci/run`); the long run is documented in
//! BENCHMARKS.md: `PROPTEST_CASES=100000 cargo test --release -p safekeep-core --test
//! convergence`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::*;
use proptest::prelude::*;
use safekeep_core::records::Choice;
use safekeep_core::sync::{InviteSecret, OpBody, Resolution, Role, Stamp, bundle};
use safekeep_core::{
    Answers, Changes, FormRef, Record, RecordFilter, RecordId, RecordKind, Value, Vault,
};

const FIELDS: [&str; 3] = ["name", "notes", "age"];
const VALUES: [&str; 3] = ["Asha", "Aasha", "moved to shelter B"];

#[derive(Clone, Debug)]
enum Step {
    Create {
        dev: usize,
        value: usize,
    },
    /// A submission added to a case that already exists (perhaps being deleted
    /// elsewhere at the same time).
    AddTo {
        dev: usize,
        case: usize,
        value: usize,
    },
    Edit {
        dev: usize,
        rec: usize,
        field: usize,
        value: Option<usize>,
    },
    Delete {
        dev: usize,
        rec: usize,
        case: bool,
    },
    Append {
        dev: usize,
        rec: usize,
        value: usize,
    },
    Link {
        dev: usize,
        a: usize,
        b: usize,
        same: bool,
    },
    Resolve {
        dev: usize,
        pick: usize,
        keep: Option<usize>,
    },
    Deliver {
        from: usize,
        to: usize,
        how: Delivery,
    },
}

#[derive(Clone, Debug)]
enum Delivery {
    /// Everything the receiver lacks, in one bundle.
    Whole,
    /// Everything, split into small parts; only the parts whose bit is set arrive,
    /// in reverse order, the first of them twice.
    Parts(u8),
}

fn step(devices: usize) -> impl Strategy<Value = Step> {
    let dev = 0..devices;
    prop_oneof![
        2 => (dev.clone(), 0..VALUES.len()).prop_map(|(dev, value)| Step::Create { dev, value }),
        1 => (dev.clone(), 0..8usize, 0..VALUES.len()).prop_map(|(dev, case, value)| Step::AddTo { dev, case, value }),
        6 => (dev.clone(), 0..8usize, 0..FIELDS.len(), proptest::option::weighted(0.85, 0..VALUES.len()))
            .prop_map(|(dev, rec, field, value)| Step::Edit { dev, rec, field, value }),
        1 => (dev.clone(), 0..8usize, any::<bool>()).prop_map(|(dev, rec, case)| Step::Delete { dev, rec, case }),
        1 => (dev.clone(), 0..8usize, 0..VALUES.len()).prop_map(|(dev, rec, value)| Step::Append { dev, rec, value }),
        1 => (dev.clone(), 0..8usize, 0..8usize, any::<bool>()).prop_map(|(dev, a, b, same)| Step::Link { dev, a, b, same }),
        2 => (dev.clone(), 0..8usize, proptest::option::of(0..4usize)).prop_map(|(dev, pick, keep)| Step::Resolve { dev, pick, keep }),
        5 => (dev.clone(), dev.clone(), prop_oneof![Just(Delivery::Whole), any::<u8>().prop_map(Delivery::Parts)])
            .prop_map(|(from, to, how)| Step::Deliver { from, to, how }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>)> {
    (2usize..=5).prop_flat_map(|n| (Just(n), proptest::collection::vec(step(n), 4..40)))
}

/// A temp folder in memory when the machine has one (the test writes thousands of
/// small vaults; fsync on tmpfs costs nothing).
fn temp_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("temp dir")
}

fn team(n: usize) -> (Vec<tempfile::TempDir>, Vec<Vault>) {
    let dirs: Vec<_> = (0..n).map(|_| temp_dir()).collect();
    let vaults: Vec<Vault> = dirs.iter().map(|d| new_vault(d.path())).collect();
    vaults[0].create_team("convergence", None).unwrap();
    for (i, vault) in vaults.iter().enumerate().skip(1) {
        // The last device is a field worker (cannot resolve); the others coordinate,
        // so resolutions can be concurrent too.
        let role = if i == n - 1 {
            Role::Field
        } else {
            Role::Coordinator
        };
        let invite = vaults[0]
            .create_invite(role, Duration::from_secs(3600))
            .unwrap();
        let secret = InviteSecret::parse(&invite.secret.to_display_string()).unwrap();
        vault.join_team(&invite.invite, &secret).unwrap();
    }
    (dirs, vaults)
}

fn live(vault: &Vault, kind: RecordKind) -> Vec<Record> {
    let filter = RecordFilter {
        kind: Some(kind),
        ..RecordFilter::default()
    };
    let mut out = vault.list(&filter).unwrap();
    out.sort_by_key(|r| r.id);
    out
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

fn deliver(from: &Vault, to: &Vault, how: &Delivery) {
    let theirs = to.summary().unwrap();
    let max = match how {
        Delivery::Whole => bundle::DEFAULT_MAX_BYTES,
        Delivery::Parts(_) => 1,
    };
    let mut parts = Vec::new();
    from.export_bundles(Some(&theirs), max, |_, b| {
        parts.push(b);
        Ok(())
    })
    .unwrap();
    match how {
        Delivery::Whole => {
            for part in &parts {
                to.import_bundle(part).unwrap();
            }
        }
        Delivery::Parts(mask) => {
            let chosen: Vec<&Vec<u8>> = parts
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i % 8)) != 0)
                .map(|(_, p)| p)
                .rev()
                .collect();
            for part in &chosen {
                to.import_bundle(part).unwrap();
            }
            if let Some(first) = chosen.first() {
                assert_eq!(to.import_bundle(first).unwrap().applied, 0);
            }
        }
    }
}

fn run(vaults: &[Vault], step: &Step) {
    match step.clone() {
        Step::Create { dev, value } => {
            let mut answers = Answers::new();
            answers.insert("name".into(), text(VALUES[value]));
            vaults[dev]
                .batch(|b| {
                    let case = b.create_case(Answers::new())?;
                    b.add_submission(case, FormRef::new("victim_identification"), answers)
                })
                .unwrap();
        }
        Step::AddTo { dev, case, value } => {
            if let Some(c) = pick(&live(&vaults[dev], RecordKind::Case), case) {
                let mut answers = Answers::new();
                answers.insert("name".into(), text(VALUES[value]));
                vaults[dev]
                    .add_submission(c.id, FormRef::new("victim_identification"), answers)
                    .unwrap();
            }
        }
        Step::Edit {
            dev,
            rec,
            field,
            value,
        } => {
            if let Some(r) = pick(&live(&vaults[dev], RecordKind::Submission), rec) {
                let mut changes = Changes::new();
                let value = value.map(|v| match FIELDS[field] {
                    "age" => Value::Integer(v as i64 + 10),
                    _ => text(VALUES[v]),
                });
                changes.insert(FIELDS[field].into(), value);
                vaults[dev].edit(r.id, changes).unwrap();
            }
        }
        Step::Delete { dev, rec, case } => {
            let kind = if case {
                RecordKind::Case
            } else {
                RecordKind::Submission
            };
            if let Some(r) = pick(&live(&vaults[dev], kind), rec) {
                vaults[dev].delete(r.id).unwrap();
            }
        }
        Step::Append { dev, rec, value } => {
            if let Some(r) = pick(&live(&vaults[dev], RecordKind::Submission), rec) {
                vaults[dev]
                    .append(r.id, "notes", text(VALUES[value]))
                    .unwrap();
            }
        }
        Step::Link { dev, a, b, same } => {
            let cases = live(&vaults[dev], RecordKind::Case);
            if let (Some(x), Some(y)) = (pick(&cases, a), pick(&cases, b))
                && x.id != y.id
            {
                vaults[dev].link(x.id, y.id, same).unwrap();
            }
        }
        Step::Resolve { dev, pick: p, keep } => {
            let vault = &vaults[dev];
            let conflicts = vault.conflicts().unwrap();
            let Some(conflict) = pick(&conflicts, p) else {
                return;
            };
            if vault.team().unwrap().unwrap().role != Role::Coordinator {
                assert!(
                    vault
                        .resolve(&conflict.id, Choice::Keep("1".into()))
                        .is_err()
                );
                return;
            }
            let choice = match (keep, &conflict.subject) {
                (None, safekeep_core::records::ConflictSubject::Field(_)) => {
                    Choice::Value(Some(text("decided by the coordinator")))
                }
                (k, _) => {
                    let v = &conflict.values[k.unwrap_or(0) % conflict.values.len()];
                    Choice::Keep(v.id.clone())
                }
            };
            vault.resolve(&conflict.id, choice).unwrap();
        }
        Step::Deliver { from, to, how } => {
            if from != to {
                deliver(&vaults[from], &vaults[to], &how);
            }
        }
    }
}

/// Everything a person can see on a device: every record (deleted ones too), with
/// values, stamps, logs and links, and every conflict.
fn visible(vault: &Vault) -> (Vec<Record>, Vec<safekeep_core::records::Conflict>) {
    let filter = RecordFilter {
        include_deleted: true,
        ..RecordFilter::default()
    };
    let mut records = vault.list(&filter).unwrap();
    records.sort_by_key(|r| r.id);
    (records, vault.conflicts().unwrap())
}

/// Every field write is shown, competing in a conflict, or named as replaced.
fn every_write_accounted_for(vault: &Vault) {
    let filter = RecordFilter {
        include_deleted: true,
        ..RecordFilter::default()
    };
    let records = vault.list(&filter).unwrap();
    let conflicts = vault.conflicts().unwrap();
    let in_conflict: BTreeSet<(RecordId, Stamp)> = conflicts
        .iter()
        .flat_map(|c| c.values.iter().map(move |v| (c.record, v.stamp)))
        .collect();
    for record in records {
        let history = vault.history(record.id).unwrap();
        let mut writes: Vec<(String, Stamp, Option<Value>)> = Vec::new();
        let mut replaced: BTreeSet<(String, Stamp)> = BTreeSet::new();
        for op in &history {
            let fields = match &op.body {
                OpBody::Create { fields, .. }
                | OpBody::Set { fields }
                | OpBody::Resolve(Resolution::Fields(fields)) => fields,
                _ => continue,
            };
            for f in fields {
                writes.push((f.name.clone(), op.stamp, f.value.clone()));
                replaced.extend(f.bases.iter().map(|b| (f.name.clone(), *b)));
            }
        }
        let shown: BTreeMap<&String, Stamp> =
            record.fields.iter().map(|(k, f)| (k, f.stamp)).collect();
        for (name, stamp, value) in writes {
            let accounted = shown.get(&name) == Some(&stamp)
                || in_conflict.contains(&(record.id, stamp))
                || replaced.contains(&(name.clone(), stamp))
                // Two devices wrote the same value: both are the current value.
                || record.fields.get(&name).map(|f| &f.value) == Some(&value);
            assert!(
                accounted,
                "a write to {name} is neither shown, in conflict nor replaced"
            );
        }
    }
}

/// A record that is not deleted while its case is was added concurrently with the
/// delete: it must be in the case's conflict, never silently hidden with the case.
fn no_record_left_in_a_deleted_case_unseen(vault: &Vault) {
    let filter = RecordFilter {
        include_deleted: true,
        ..RecordFilter::default()
    };
    let records = vault.list(&filter).unwrap();
    let deleted_cases: BTreeSet<RecordId> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Case && r.deleted.is_some())
        .map(|r| r.id)
        .collect();
    let in_conflict: BTreeSet<RecordId> = vault
        .conflicts()
        .unwrap()
        .iter()
        .flat_map(|c| c.values.iter().map(|v| v.record))
        .collect();
    for record in &records {
        if record.deleted.is_none() && record.case.is_some_and(|c| deleted_cases.contains(&c)) {
            assert!(
                in_conflict.contains(&record.id),
                "a record added to a deleted case is in no conflict"
            );
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_device_ends_with_the_same_records_and_conflicts((n, steps) in scenario()) {
        let (_dirs, vaults) = team(n);
        // Two records everyone has, so that concurrent edits meet often.
        run(&vaults, &Step::Create { dev: 0, value: 0 });
        run(&vaults, &Step::Create { dev: 0, value: 1 });
        for to in 1..n {
            deliver(&vaults[0], &vaults[to], &Delivery::Whole);
        }
        for step in &steps {
            run(&vaults, step);
        }
        exchange_all(&vaults);
        assert_same(&vaults)?;
        every_write_accounted_for(&vaults[0]);
        no_record_left_in_a_deleted_case_unseen(&vaults[0]);

        // Every coordinator resolves a conflict at once, each its own way: competing
        // resolutions are themselves reconciled the same way everywhere.
        for (i, vault) in vaults.iter().enumerate() {
            run(&vaults, &Step::Resolve { dev: i, pick: 0, keep: (i % 2 == 0).then_some(i) });
            let _ = vault;
        }
        exchange_all(&vaults);
        assert_same(&vaults)?;
        // Then one coordinator settles everything that is left.
        for _ in 0..20 {
            if vaults[0].conflicts().unwrap().is_empty() {
                break;
            }
            run(&vaults, &Step::Resolve { dev: 0, pick: 0, keep: Some(0) });
        }
        exchange_all(&vaults);
        assert_same(&vaults)?;
        for vault in &vaults {
            prop_assert!(vault.conflicts().unwrap().is_empty());
        }
    }
}

fn exchange_all(vaults: &[Vault]) {
    // Everyone exchanges with everyone until nothing new arrives (two rounds suffice).
    for _ in 0..2 {
        for from in 0..vaults.len() {
            for to in 0..vaults.len() {
                if from != to {
                    deliver(&vaults[from], &vaults[to], &Delivery::Whole);
                }
            }
        }
    }
}

fn assert_same(vaults: &[Vault]) -> Result<(), TestCaseError> {
    let first = visible(&vaults[0]);
    for vault in &vaults[1..] {
        let other = visible(vault);
        prop_assert_eq!(&first.0, &other.0, "records differ");
        prop_assert_eq!(&first.1, &other.1, "conflicts differ");
    }
    for vault in vaults {
        prop_assert!(vault.check().unwrap().is_ok());
        prop_assert_eq!(vault.summary().unwrap(), vaults[0].summary().unwrap());
    }
    Ok(())
}
