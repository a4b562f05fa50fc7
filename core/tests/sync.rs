//! Sync between real vaults through bundles: a team is created and joined, edits
//! travel both ways, concurrent edits and delete-versus-edit surface as the same
//! conflicts on every device, a coordinator's resolution reaches the others, and
//! tampered, foreign or cut bundles are refused with nothing applied.

mod common;

use std::time::Duration;

use common::*;
use safekeep_core::records::{Choice, ConflictSubject, ValueKind};
use safekeep_core::sync::{InviteSecret, Role, SyncError, bundle};
use safekeep_core::{Changes, Value, Vault};

/// Every bundle `from` has that `to` lacks, imported into `to`.
fn send(from: &Vault, to: &Vault) -> u64 {
    let theirs = to.summary().unwrap();
    let mut bundles = Vec::new();
    from.export_bundles(Some(&theirs), bundle::DEFAULT_MAX_BYTES, |_, bytes| {
        bundles.push(bytes);
        Ok(())
    })
    .unwrap();
    bundles
        .iter()
        .map(|b| to.import_bundle(b).unwrap().applied)
        .sum()
}

fn team_of_two() -> (tempfile::TempDir, tempfile::TempDir, Vault, Vault) {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let coordinator = new_vault(d1.path());
    let field = new_vault(d2.path());
    coordinator.create_team("Kolkata shelter", None).unwrap();
    let invite = coordinator
        .create_invite(Role::Field, Duration::from_secs(3600))
        .unwrap();
    let secret = InviteSecret::parse(&invite.secret.to_display_string()).unwrap();
    let team = field.join_team(&invite.invite, &secret).unwrap();
    assert_eq!(team.role, Role::Field);
    (d1, d2, coordinator, field)
}

fn set(vault: &Vault, id: safekeep_core::RecordId, name: &str, value: Value) {
    let mut changes = Changes::new();
    changes.insert(name.into(), Some(value));
    vault.edit(id, changes).unwrap();
}

#[test]
fn concurrent_edits_become_one_conflict_on_both_devices_and_the_resolution_travels() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let (case, id) = identify(&field, "Rekha", "found at the kiln");
    assert_eq!(send(&field, &coordinator), 2);
    assert_eq!(
        coordinator.get(id).unwrap().answer("name"),
        Some(&text("Rekha"))
    );

    // Both edit the same field without seeing each other's change.
    set(&field, id, "notes", text("moved to shelter B"));
    set(&coordinator, id, "notes", text("mother contacted"));
    send(&field, &coordinator);
    send(&coordinator, &field);

    let (a, b) = (coordinator.conflicts().unwrap(), field.conflicts().unwrap());
    assert_eq!(a, b, "both devices list the same conflict");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].subject, ConflictSubject::Field("notes".into()));
    let values: Vec<_> = a[0].values.iter().map(|v| v.value.clone()).collect();
    assert!(values.contains(&Some(text("moved to shelter B"))));
    assert!(values.contains(&Some(text("mother contacted"))));
    assert_eq!(
        coordinator.get(id).unwrap().answers(),
        field.get(id).unwrap().answers()
    );
    assert!(field.get(id).unwrap().has_conflict);

    // A field worker cannot resolve; the coordinator keeps one value.
    assert!(matches!(
        field.resolve(&a[0].id, Choice::Keep("1".into())),
        Err(SyncError::NotCoordinator(_))
    ));
    let keep = a[0]
        .values
        .iter()
        .find(|v| v.value == Some(text("mother contacted")))
        .unwrap();
    coordinator
        .resolve(&a[0].id, Choice::Keep(keep.id.clone()))
        .unwrap();
    assert!(coordinator.conflicts().unwrap().is_empty());
    send(&coordinator, &field);
    assert!(field.conflicts().unwrap().is_empty());
    assert_eq!(
        field.get(id).unwrap().answer("notes"),
        Some(&text("mother contacted"))
    );
    assert!(!field.get(id).unwrap().has_conflict);
    assert_eq!(field.get(case).unwrap().id, case);
    assert!(coordinator.check().unwrap().is_ok());
    assert!(field.check().unwrap().is_ok());
}

#[test]
fn delete_against_edit_is_a_conflict_and_restoring_brings_the_record_back() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let (case, id) = identify(&field, "Farida", "brick kiln, Bhatta 4");
    send(&field, &coordinator);
    coordinator.delete(case).unwrap();
    set(&field, id, "age", Value::Integer(16));
    send(&field, &coordinator);
    send(&coordinator, &field);
    let (a, b) = (coordinator.conflicts().unwrap(), field.conflicts().unwrap());
    assert_eq!(a, b);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].subject, ConflictSubject::Deletion);
    assert_eq!(a[0].record, id);
    let edit = a[0]
        .values
        .iter()
        .find(|v| v.kind != ValueKind::Delete)
        .unwrap();
    assert_eq!(edit.value, Some(Value::Integer(16)));
    coordinator
        .resolve(&a[0].id, Choice::Keep(edit.id.clone()))
        .unwrap();
    send(&coordinator, &field);
    for vault in [&coordinator, &field] {
        assert!(vault.conflicts().unwrap().is_empty());
        assert_eq!(
            vault.get(id).unwrap().answer("age"),
            Some(&Value::Integer(16))
        );
        // The case came back with it.
        assert_eq!(vault.get(case).unwrap().id, case);
        assert!(vault.check().unwrap().is_ok());
    }
}

#[test]
fn a_second_import_changes_nothing_and_bad_bundles_apply_nothing() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    identify(&field, "Sokha", "boat Kampot 7");
    let mut bundles = Vec::new();
    field
        .export_bundles(None, bundle::DEFAULT_MAX_BYTES, |_, b| {
            bundles.push(b);
            Ok(())
        })
        .unwrap();
    assert_eq!(bundles.len(), 1);
    let good = &bundles[0];

    let mut flipped = good.clone();
    let last = flipped.len() - 20;
    flipped[last] ^= 0x40;
    assert!(matches!(
        coordinator.import_bundle(&flipped),
        Err(SyncError::Unauthentic)
    ));
    assert!(coordinator.import_bundle(&good[..good.len() / 2]).is_err());
    assert!(coordinator.summary().unwrap().marks.len() <= 1);
    assert_eq!(
        coordinator.list(&Default::default()).unwrap().len(),
        0,
        "nothing applied from a bad bundle"
    );

    let first = coordinator.import_bundle(good).unwrap();
    assert_eq!(first.applied, 2);
    let again = coordinator.import_bundle(good).unwrap();
    assert_eq!(again.applied, 0);
    assert_eq!(again.duplicates, 2);

    // Another team's vault cannot read it.
    let d3 = tempfile::tempdir().unwrap();
    let stranger = new_vault(d3.path());
    stranger.create_team("another team", None).unwrap();
    assert!(matches!(
        stranger.import_bundle(good),
        Err(SyncError::OtherTeam)
    ));
}

#[test]
fn invites_need_their_secret_and_expire() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let coordinator = new_vault(d1.path());
    let newcomer = new_vault(d2.path());
    coordinator
        .create_team("Dhaka", Some("https://sync.example.org/".into()))
        .unwrap();
    let invite = coordinator
        .create_invite(Role::Aftercare, Duration::from_secs(600))
        .unwrap();
    let wrong = InviteSecret::make_random().unwrap();
    assert!(matches!(
        newcomer.join_team(&invite.invite, &wrong),
        Err(SyncError::WrongInviteSecret)
    ));
    assert!(newcomer.team().unwrap().is_none());
    let expired = coordinator
        .create_invite(Role::Aftercare, Duration::from_secs(0))
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    assert!(matches!(
        newcomer.join_team(&expired.invite, &expired.secret),
        Err(SyncError::InviteExpired)
    ));
    let team = newcomer.join_team(&invite.invite, &invite.secret).unwrap();
    assert_eq!(team.role, Role::Aftercare);
    assert_eq!(team.server.as_deref(), Some("https://sync.example.org"));
    assert_eq!(Some(team.id), coordinator.team().unwrap().map(|t| t.id));
    // The invite text names neither the team nor the server in clear.
    assert!(!invite.invite.to_lowercase().contains("dhaka"));
    assert!(matches!(
        newcomer.create_invite(Role::Field, Duration::from_secs(60)),
        Err(SyncError::NotCoordinator(_))
    ));
}

#[test]
fn bundles_summaries_and_invites_carry_nothing_in_clear() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let secrets = [
        "Rekha Kumari",
        "रेखा कुमारी",
        "Bhatta 4 Rampur",
        "victim_identification",
    ];
    let answers = safekeep_core::Answers::from([
        ("name".to_string(), text(secrets[0])),
        ("alias".to_string(), text(secrets[1])),
        ("notes".to_string(), text(secrets[2])),
    ]);
    let id = field
        .batch(|b| {
            let case = b.create_case(Default::default())?;
            b.add_submission(case, safekeep_core::FormRef::new(secrets[3]), answers)
        })
        .unwrap();
    field.append(id, "notes", text(secrets[2])).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut n = 0;
    field
        .export_bundles(None, 512, |_, bytes| {
            n += 1;
            std::fs::write(out.path().join(format!("part{n}.skb")), bytes).unwrap();
            Ok(())
        })
        .unwrap();
    std::fs::write(
        out.path().join("summary.txt"),
        field.summary_text().unwrap(),
    )
    .unwrap();
    let invite = coordinator
        .create_invite(Role::Field, Duration::from_secs(60))
        .unwrap();
    std::fs::write(out.path().join("invite.txt"), &invite.invite).unwrap();
    for needle in secrets.iter().chain(["Kolkata shelter"].iter()) {
        let found = files_containing_text(out.path(), needle);
        assert!(found.is_empty(), "{needle:?} in clear in {found:?}");
    }
    // And the receiving vault's files after import.
    for part in std::fs::read_dir(out.path()).unwrap() {
        let path = part.unwrap().path();
        if path.extension().is_some_and(|e| e == "skb") {
            coordinator
                .import_bundle(&std::fs::read(path).unwrap())
                .unwrap();
        }
    }
    assert_eq!(
        coordinator.get(id).unwrap().answer("alias"),
        Some(&text(secrets[1]))
    );
    coordinator.checkpoint().unwrap();
    for needle in secrets {
        let found = files_containing_text(_d1.path(), needle);
        assert!(found.is_empty(), "{needle:?} in clear in {found:?}");
    }
}

#[test]
fn a_phone_with_a_wrong_date_cannot_freeze_a_field() {
    use safekeep_core::VaultOptions;
    use std::sync::Arc;
    struct Fixed(u64);
    impl safekeep_core::Clock for Fixed {
        fn now_ms(&self) -> u64 {
            self.0
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let coordinator = new_vault(d1.path());
    coordinator.create_team("clocks", None).unwrap();
    // A phone set five years ahead.
    let ahead = VaultOptions::default()
        .insecure_fast_kdf_for_tests()
        .with_clock(Arc::new(Fixed(now + 5 * 365 * 24 * 3600 * 1000)));
    let (wrong, _) = Vault::create(d2.path(), &passphrase(), ahead).unwrap();
    let invite = coordinator
        .create_invite(Role::Field, Duration::from_secs(10 * 365 * 24 * 3600))
        .unwrap();
    wrong.join_team(&invite.invite, &invite.secret).unwrap();
    let (_, id) = identify(&wrong, "Lakshmi", "first note");
    let report = {
        let theirs = coordinator.summary().unwrap();
        let mut bundles = Vec::new();
        wrong
            .export_bundles(Some(&theirs), bundle::DEFAULT_MAX_BYTES, |_, b| {
                bundles.push(b);
                Ok(())
            })
            .unwrap();
        coordinator.import_bundle(&bundles[0]).unwrap()
    };
    assert_eq!(report.ahead, 2, "both ops are reported as stamped ahead");
    // The coordinator's correction, stamped with today's date, still replaces the
    // value it saw, and the coordinator's clock did not jump five years.
    set(&coordinator, id, "notes", text("corrected"));
    let record = coordinator.get(id).unwrap();
    assert_eq!(record.answer("notes"), Some(&text("corrected")));
    assert!(record.fields["notes"].stamp.wall_ms < now + 24 * 3600 * 1000);
    send(&coordinator, &wrong);
    assert_eq!(
        wrong.get(id).unwrap().answer("notes"),
        Some(&text("corrected"))
    );
    assert!(coordinator.conflicts().unwrap().is_empty());
}

#[test]
fn ops_from_a_newer_version_are_kept_and_passed_on() {
    use safekeep_core::sync::{OpId, Stamp, WireOp};
    let (d1, d2, coordinator, field) = team_of_two();
    let d3 = tempfile::tempdir().unwrap();
    let third = new_vault(d3.path());
    let invite = coordinator
        .create_invite(Role::Aftercare, Duration::from_secs(60))
        .unwrap();
    third.join_team(&invite.invite, &invite.secret).unwrap();
    // An op whose body this build cannot decode (a kind added by a later version).
    let device = safekeep_core::DeviceId([9; 16]);
    let future = WireOp {
        id: OpId { device, seq: 1 },
        record: safekeep_core::RecordId([8; 16]),
        stamp: Stamp {
            wall_ms: 1,
            counter: 0,
            device,
        },
        epoch: 1,
        body: vec![200, 1, 2, 3],
    };
    let staged = field.stage(vec![future]).unwrap();
    let report = field.apply(staged).unwrap();
    assert_eq!(report.held, 1);
    assert_eq!(report.applied, 0);
    // It counts as held, and travels on to devices that lack it.
    assert_eq!(field.summary().unwrap().marks.get(&device), Some(&1));
    send(&field, &coordinator);
    assert_eq!(coordinator.summary().unwrap().marks.get(&device), Some(&1));
    send(&coordinator, &third);
    assert_eq!(third.summary().unwrap().marks.get(&device), Some(&1));
    assert!(third.check().unwrap().is_ok());
    drop((d1, d2));
}

#[test]
fn several_bundles_import_together_or_not_at_all() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    for i in 0..20 {
        identify(&field, &format!("Person {i}"), "note");
    }
    let mut parts = Vec::new();
    field
        .export_bundles(None, 2048, |_, b| {
            parts.push(b);
            Ok(())
        })
        .unwrap();
    assert!(parts.len() >= 3, "split into {} parts", parts.len());
    let mut bad = parts.clone();
    let last = bad.len() - 1;
    let at = bad[last].len() - 5;
    bad[last][at] ^= 1;
    let (which, err) = coordinator
        .import_bundles(&bad, &mut |_, _| {})
        .unwrap_err();
    assert_eq!(which, last);
    assert!(matches!(err, SyncError::Unauthentic));
    assert!(
        coordinator.summary().unwrap().marks.is_empty(),
        "nothing applied"
    );
    // In reverse order, all together: everything arrives, progress reaches the total.
    parts.reverse();
    let mut seen = (0, 0);
    let report = coordinator
        .import_bundles(&parts, &mut |done, total| seen = (done, total))
        .unwrap();
    assert_eq!(report.applied, 40);
    assert_eq!(seen, (40, 40));
    assert_eq!(coordinator.summary().unwrap(), field.summary().unwrap());
    assert!(coordinator.check().unwrap().is_ok());
}

/// Rewrites a bundle's header (keeping the sealed part as it was).
fn with_header(bytes: &[u8], edit: impl FnOnce(&mut bundle::BundleHeader)) -> Vec<u8> {
    let mut header = bundle::read_header(bytes).unwrap();
    let old_len = postcard::to_allocvec(&header).unwrap().len();
    edit(&mut header);
    let encoded = postcard::to_allocvec(&header).unwrap();
    let mut out = bytes[..6].to_vec();
    out.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
    out.extend_from_slice(&encoded);
    out.extend_from_slice(&bytes[10 + old_len..]);
    out
}

#[test]
fn a_header_edited_to_another_device_or_epoch_is_refused() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    identify(&field, "Mina", "note");
    let mut parts = Vec::new();
    field
        .export_bundles(None, bundle::DEFAULT_MAX_BYTES, |_, b| {
            parts.push(b);
            Ok(())
        })
        .unwrap();
    let good = &parts[0];
    let other_device = with_header(good, |h| h.device = safekeep_core::DeviceId([5; 16]));
    assert!(matches!(
        coordinator.import_bundle(&other_device),
        Err(SyncError::Unauthentic)
    ));
    let other_batch = with_header(good, |h| h.batch += 1);
    assert!(matches!(
        coordinator.import_bundle(&other_batch),
        Err(SyncError::Unauthentic)
    ));
    let other_epoch = with_header(good, |h| h.epoch = 2);
    assert!(matches!(
        coordinator.import_bundle(&other_epoch),
        Err(SyncError::UnknownEpoch(2))
    ));
    let fewer = with_header(good, |h| h.op_count -= 1);
    assert!(coordinator.import_bundle(&fewer).is_err());
    assert!(
        coordinator.summary().unwrap().marks.is_empty(),
        "nothing applied"
    );
    assert_eq!(coordinator.import_bundle(good).unwrap().applied, 2);
}

#[test]
fn a_value_arriving_between_listing_and_resolving_is_not_retired_unseen() {
    let (d1, d2, coordinator, field) = team_of_two();
    let d3 = tempfile::tempdir().unwrap();
    let aftercare = new_vault(d3.path());
    let invite = coordinator
        .create_invite(Role::Aftercare, Duration::from_secs(60))
        .unwrap();
    aftercare.join_team(&invite.invite, &invite.secret).unwrap();
    let (_, id) = identify(&field, "Lakshmi", "rescued from a brothel");
    send(&field, &coordinator);
    send(&coordinator, &aftercare);
    set(&field, id, "notes", text("moved to shelter B"));
    set(&coordinator, id, "notes", text("mother contacted"));
    set(
        &aftercare,
        id,
        "notes",
        text("threatened by the agent: do not release"),
    );
    send(&field, &coordinator);

    // The coordinator looks at the conflict of two values...
    let listed = coordinator.conflicts().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].values.len(), 2);
    // ...then the third value arrives before the decision.
    send(&aftercare, &coordinator);
    let keep = Choice::Keep(listed[0].values[0].id.clone());
    assert!(matches!(
        coordinator.resolve(&listed[0].id, keep.clone()),
        Err(SyncError::ConflictChanged)
    ));
    // Nothing was decided: listed again, all three are there.
    let again = coordinator.conflicts().unwrap();
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].id, listed[0].id);
    let values: Vec<_> = again[0].values.iter().map(|v| v.value.clone()).collect();
    assert!(values.contains(&Some(text("threatened by the agent: do not release"))));
    // A position refers to the listing it was read from.
    coordinator
        .resolve(&again[0].id, Choice::Keep("3".into()))
        .unwrap();
    assert_eq!(
        coordinator.get(id).unwrap().answer("notes"),
        again[0].values[2].value.as_ref()
    );
    assert!(matches!(
        coordinator.resolve(&again[0].id, keep),
        Err(SyncError::ConflictNotFound)
    ));
    drop((d1, d2));
}

#[test]
fn a_record_added_to_a_case_deleted_elsewhere_is_a_conflict() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let (case, _) = identify(&field, "Nasrin", "home, online abuse");
    send(&field, &coordinator);
    // The coordinator deletes the case while the field worker, offline, adds a
    // follow-up submission to it.
    coordinator.delete(case).unwrap();
    let added = field
        .add_submission(
            case,
            safekeep_core::FormRef::new("victim_identification"),
            answers(&[
                ("name", text("Nasrin")),
                ("notes", text("second interview")),
            ]),
        )
        .unwrap();
    send(&field, &coordinator);
    send(&coordinator, &field);
    let (a, b) = (coordinator.conflicts().unwrap(), field.conflicts().unwrap());
    assert_eq!(a, b);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].record, case);
    assert_eq!(a[0].subject, ConflictSubject::Deletion);
    let added_value = a[0]
        .values
        .iter()
        .find(|v| v.kind == ValueKind::Added)
        .unwrap();
    assert_eq!(added_value.record, added);

    // A note written on the added submission after the listing changes the conflict:
    // keeping the delete must not remove it unseen.
    field
        .append(added, "notes", text("she asked for her sister"))
        .unwrap();
    send(&field, &coordinator);
    let delete = a[0]
        .values
        .iter()
        .find(|v| v.kind == ValueKind::Delete)
        .unwrap();
    assert!(matches!(
        coordinator.resolve(&a[0].id, Choice::Keep(delete.id.clone())),
        Err(SyncError::ConflictChanged)
    ));
    let a = coordinator.conflicts().unwrap();

    // Keeping the delete removes the late submission too, on both devices.
    let delete = a[0]
        .values
        .iter()
        .find(|v| v.kind == ValueKind::Delete)
        .unwrap();
    coordinator
        .resolve(&a[0].id, Choice::Keep(delete.id.clone()))
        .unwrap();
    send(&coordinator, &field);
    for vault in [&coordinator, &field] {
        assert!(vault.conflicts().unwrap().is_empty());
        assert!(vault.get(added).is_err());
        assert!(vault.get(case).is_err());
        assert!(vault.check().unwrap().is_ok());
    }
}

#[test]
fn a_record_added_to_a_deleted_case_comes_back_with_it() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let (case, first) = identify(&field, "Mai", "fishing boat");
    send(&field, &coordinator);
    coordinator.delete(case).unwrap();
    let added = field
        .add_submission(
            case,
            safekeep_core::FormRef::new("victim_identification"),
            answers(&[("name", text("Mai"))]),
        )
        .unwrap();
    send(&field, &coordinator);
    let conflict = &coordinator.conflicts().unwrap()[0];
    let keep = conflict
        .values
        .iter()
        .find(|v| v.kind == ValueKind::Added)
        .unwrap();
    coordinator
        .resolve(&conflict.id, Choice::Keep(keep.id.clone()))
        .unwrap();
    send(&coordinator, &field);
    for vault in [&coordinator, &field] {
        assert!(vault.conflicts().unwrap().is_empty());
        for id in [case, first, added] {
            assert_eq!(vault.get(id).unwrap().id, id);
        }
    }
}

#[test]
fn keeping_deleted_while_another_coordinator_restores_stays_open() {
    let (_d1, _d2, first, field) = team_of_two();
    let d3 = tempfile::tempdir().unwrap();
    let second = new_vault(d3.path());
    let invite = first
        .create_invite(Role::Coordinator, Duration::from_secs(60))
        .unwrap();
    second.join_team(&invite.invite, &invite.secret).unwrap();
    let (case, id) = identify(&field, "Srey", "bar, Phnom Penh");
    send(&field, &first);
    first.delete(case).unwrap();
    set(&field, id, "age", Value::Integer(15));
    send(&field, &first);
    send(&first, &second);
    let conflict = &first.conflicts().unwrap()[0];
    assert_eq!(second.conflicts().unwrap()[0], *conflict);
    // The two coordinators decide at the same time, differently.
    let pick = |deletes: bool| {
        let v = conflict
            .values
            .iter()
            .find(|v| (v.kind == ValueKind::Delete) == deletes)
            .unwrap();
        Choice::Keep(v.id.clone())
    };
    first.resolve(&conflict.id, pick(true)).unwrap();
    second.resolve(&conflict.id, pick(false)).unwrap();
    send(&first, &second);
    send(&second, &first);
    let (a, b) = (first.conflicts().unwrap(), second.conflicts().unwrap());
    assert_eq!(a, b);
    assert!(
        a.iter()
            .any(|c| c.values.iter().any(|v| v.kind == ValueKind::Restore)),
        "the restore was overruled silently: {a:?}"
    );
}

#[test]
fn ops_in_this_devices_name_that_it_never_made_never_share_an_id_with_its_own() {
    let (d1, _d2, coordinator, field) = team_of_two();
    let (_, id) = identify(&field, "Parveen", "domestic work, Dhaka");
    let mut ops = field
        .outgoing(&coordinator.summary().unwrap(), 1 << 20)
        .unwrap()
        .ops;
    assert_eq!(ops.len(), 2);
    // An op in the coordinator's name that it never made (a copy of its vault on
    // another phone wrote it), as a peer would pass it on.
    let own = coordinator.device_id().unwrap();
    let mut copied = ops[1].clone();
    copied.id.device = own;
    copied.id.seq = 1_000;
    copied.stamp.device = own;
    copied.stamp.counter += 1;
    ops.push(copied);
    let report = coordinator
        .apply(coordinator.stage(ops.clone()).unwrap())
        .unwrap();
    assert_eq!((report.applied, report.own_unknown), (3, 1));
    // Its own next op skips past the id that peers hold, also after reopening.
    let reopened = {
        drop(coordinator);
        safekeep_core::Vault::open(
            d1.path(),
            safekeep_core::Unlock::Passphrase(&passphrase()),
            options(),
        )
        .unwrap()
    };
    set(&reopened, id, "notes", text("sent to the shelter"));
    let last = reopened.history(id).unwrap().last().unwrap().id;
    assert_eq!((last.device, last.seq), (own, 1_001));
    // A sequence number no SQLite integer holds is refused outright.
    let mut huge = ops[0].clone();
    huge.id.seq = u64::MAX;
    assert!(matches!(
        reopened.stage(vec![huge]),
        Err(SyncError::Inconsistent(_))
    ));
}

#[test]
fn export_of_many_held_ops_ends_and_carries_them_all() {
    use safekeep_core::sync::{OpId, Stamp, WireOp};
    let (_d1, _d2, coordinator, field) = team_of_two();
    let device = safekeep_core::DeviceId([7; 16]);
    let held: Vec<WireOp> = (1..=40)
        .map(|seq| WireOp {
            id: OpId { device, seq },
            record: safekeep_core::RecordId([8; 16]),
            stamp: Stamp {
                wall_ms: seq,
                counter: 0,
                device,
            },
            epoch: 1,
            body: [vec![200], vec![1; 100]].concat(),
        })
        .collect();
    let report = field.apply(field.stage(held).unwrap()).unwrap();
    assert_eq!(report.held, 40);
    let mut parts = 0;
    field
        .export_bundles(Some(&coordinator.summary().unwrap()), 1024, |_, bytes| {
            parts += 1;
            assert!(parts < 100, "the export does not end");
            coordinator.import_bundle(&bytes).map(|_| ())
        })
        .unwrap();
    assert!(parts > 1);
    assert_eq!(coordinator.summary().unwrap().marks.get(&device), Some(&40));
}

#[test]
fn a_location_that_is_not_a_number_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let vault = new_vault(d.path());
    let case = vault.create_case(safekeep_core::Answers::new()).unwrap();
    let nan = Value::Location(safekeep_core::records::Location {
        latitude: f64::NAN,
        longitude: 88.3,
        altitude: None,
        accuracy: None,
    });
    assert!(vault.append(case, "sightings", nan).is_err());
    assert!(vault.get(case).unwrap().logs.is_empty());
}
