//! Sync through the exported API, as the apps call it: a team created and joined,
//! records carried both ways as bundles, a concurrent edit surfacing as the same
//! conflict on both devices and resolved by the coordinator only, tampered and foreign
//! bundles refused with nothing applied, and an import listener that calls back into
//! the vault (possible only because no lock is held while it runs).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use safekeep_ffi::{
    Answer, BundleProblem, ConflictSubject, FormRef, NewEntry, ProgressListener, ResolveChoice,
    SafekeepError, TeamRole, Vault, VaultSettings, create_vault,
};

const PASS: &[u8] = b"kiln seven rescue";

fn fast() -> Option<VaultSettings> {
    Some(VaultSettings {
        insecure_fast_kdf_for_tests: true,
    })
}

fn new_vault(dir: &tempfile::TempDir) -> Arc<Vault> {
    let folder = dir.path().join("vault").to_string_lossy().into_owned();
    create_vault(folder, PASS.to_vec(), fast()).unwrap().vault
}

fn text(value: &str) -> Answer {
    Answer::Text {
        value: value.into(),
    }
}

fn identification(name: &str) -> NewEntry {
    NewEntry {
        case_id: None,
        service_entry: false,
        form: FormRef {
            id: "victim_identification".into(),
            version: None,
        },
        answers: HashMap::from([("name".to_string(), text(name))]),
        draft: false,
    }
}

/// Everything `from` has that `to` lacks, through `to`'s summary; returns changes applied.
fn send(from: &Vault, to: &Vault) -> u64 {
    let bundles = from
        .export_bundles(Some(to.summary().unwrap()), 4 * 1024 * 1024)
        .unwrap();
    bundles
        .into_iter()
        .map(|b| to.import_bundle(b.bytes, None).unwrap().applied)
        .sum()
}

fn edit(vault: &Vault, id: &str, name: &str, value: Answer) {
    vault
        .edit(
            id.into(),
            HashMap::from([(name.to_string(), Some(value))]),
            false,
            None,
        )
        .unwrap();
}

/// A coordinator and a field worker in one team.
fn team_of_two() -> (tempfile::TempDir, tempfile::TempDir, Arc<Vault>, Arc<Vault>) {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (coordinator, field) = (new_vault(&d1), new_vault(&d2));
    let team = coordinator
        .create_team("Kolkata shelter".into(), None)
        .unwrap();
    assert_eq!(team.role, TeamRole::Coordinator);
    let invite = coordinator
        .create_invite(TeamRole::Field, 3600, None)
        .unwrap();
    assert_eq!(invite.role, TeamRole::Field);
    // Typed with other case and spacing.
    let typed = invite.secret.to_lowercase().replace('-', " ");
    let joined = field.join_team(invite.invite, typed).unwrap();
    assert_eq!(joined.id, team.id);
    assert_eq!(joined.role, TeamRole::Field);
    assert_eq!(joined.name, "Kolkata shelter");
    (d1, d2, coordinator, field)
}

#[test]
fn a_concurrent_edit_is_the_same_conflict_on_both_and_only_the_coordinator_resolves() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let saved = field.submit(identification("Rekha"), None).unwrap();
    let mine = coordinator.submit(identification("Farida"), None).unwrap();
    assert_eq!(send(&field, &coordinator), 2);
    assert_eq!(send(&coordinator, &field), 2);
    assert_eq!(send(&field, &coordinator), 0, "nothing left to send");
    assert_eq!(
        coordinator.get(saved.record_id.clone()).unwrap().answers["name"],
        text("Rekha")
    );
    assert_eq!(
        field.get(mine.record_id.clone()).unwrap().answers["name"],
        text("Farida")
    );

    let id = saved.record_id;
    edit(&field, &id, "notes", text("moved to shelter B"));
    edit(&coordinator, &id, "notes", text("mother contacted"));
    let report = {
        let bundles = field
            .export_bundles(Some(coordinator.summary().unwrap()), 4 * 1024 * 1024)
            .unwrap();
        assert_eq!(bundles.len(), 1);
        assert_eq!(bundles[0].info.op_count, 1);
        coordinator
            .import_bundle(bundles[0].bytes.clone(), None)
            .unwrap()
    };
    assert_eq!((report.applied, report.conflicted), (1, 1));
    send(&coordinator, &field);

    let (a, b) = (coordinator.conflicts().unwrap(), field.conflicts().unwrap());
    assert_eq!(a, b, "the same conflict, ids and values, on both devices");
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].subject,
        ConflictSubject::Field {
            name: "notes".into()
        }
    );
    assert_eq!(a[0].record_id, id);
    let values: Vec<_> = a[0].values.iter().map(|v| v.value.clone()).collect();
    assert!(values.contains(&Some(text("moved to shelter B"))));
    assert!(values.contains(&Some(text("mother contacted"))));
    assert_eq!(a[0].values.iter().filter(|v| v.shown).count(), 1);
    assert!(field.get(id.clone()).unwrap().has_conflict);

    let keep = a[0]
        .values
        .iter()
        .find(|v| v.value == Some(text("mother contacted")))
        .unwrap()
        .id
        .clone();
    let choice = ResolveChoice::Keep {
        value_id: keep.clone(),
    };
    assert!(matches!(
        field.resolve(a[0].id.clone(), choice.clone()),
        Err(SafekeepError::NotCoordinator { .. })
    ));
    assert!(matches!(
        coordinator.resolve(
            a[0].id.clone(),
            ResolveChoice::Keep {
                value_id: "ffffffff".into()
            }
        ),
        Err(SafekeepError::InvalidInput { .. })
    ));
    coordinator
        .resolve(a[0].id.clone(), choice.clone())
        .unwrap();
    assert!(matches!(
        coordinator.resolve(a[0].id.clone(), choice),
        Err(SafekeepError::ConflictNotFound)
    ));
    send(&coordinator, &field);
    for vault in [&coordinator, &field] {
        assert!(vault.conflicts().unwrap().is_empty());
        let record = vault.get(id.clone()).unwrap();
        assert_eq!(record.answers["notes"], text("mother contacted"));
        assert!(!record.has_conflict);
        assert!(vault.check().unwrap().ok);
    }
}

#[test]
fn a_new_value_resolves_a_conflict_and_notes_from_both_devices_are_kept() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let id = field
        .submit(identification("Sokha"), None)
        .unwrap()
        .record_id;
    send(&field, &coordinator);
    field
        .append_note(id.clone(), "first visit done".into())
        .unwrap();
    coordinator
        .append_note(id.clone(), "school enrolment".into())
        .unwrap();
    edit(&field, &id, "age", Answer::Integer { value: 15 });
    edit(&coordinator, &id, "age", Answer::Integer { value: 16 });
    send(&field, &coordinator);
    send(&coordinator, &field);
    let conflicts = coordinator.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "notes never conflict: {conflicts:?}");
    coordinator
        .resolve(
            conflicts[0].id.clone(),
            ResolveChoice::SetValue {
                answer: Some(Answer::Integer { value: 17 }),
            },
        )
        .unwrap();
    send(&coordinator, &field);
    for vault in [&coordinator, &field] {
        let record = vault.get(id.clone()).unwrap();
        assert_eq!(record.answers["age"], Answer::Integer { value: 17 });
        let notes: Vec<_> = record.logs["notes"].iter().map(|e| &e.value).collect();
        assert_eq!(notes.len(), 2);
        assert!(notes.contains(&&text("first visit done")));
        assert!(notes.contains(&&text("school enrolment")));
    }
}

/// Why a bundle was refused (fails the test if it was not).
fn rejected<T: std::fmt::Debug>(result: Result<T, SafekeepError>) -> BundleProblem {
    match result {
        Err(SafekeepError::BundleRejected { reason, .. }) => reason,
        other => panic!("expected BundleRejected, got {other:?}"),
    }
}

#[test]
fn bad_bundles_change_nothing_and_say_why() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    field.submit(identification("Mina"), None).unwrap();
    let bundles = field.export_bundles(None, 4 * 1024 * 1024).unwrap();
    let good = bundles[0].bytes.clone();
    let info = coordinator.verify_bundle(good.clone()).unwrap();
    assert_eq!(info, bundles[0].info);
    assert_eq!(info.team_id, coordinator.team().unwrap().unwrap().id);
    assert_eq!((info.batch, info.op_count), (1, 2));

    let mut flipped = good.clone();
    let at = flipped.len() - 20;
    flipped[at] ^= 0x40;
    assert_eq!(
        rejected(coordinator.import_bundle(flipped.clone(), None)),
        BundleProblem::Unauthentic
    );
    assert_eq!(
        rejected(coordinator.verify_bundle(flipped)),
        BundleProblem::Unauthentic
    );
    // Cut short: the sealed part does not say its length, so a cut there reads as
    // altered; a cut in the header is malformed.
    assert_eq!(
        rejected(coordinator.import_bundle(good[..good.len() / 2].to_vec(), None)),
        BundleProblem::Unauthentic
    );
    assert_eq!(
        rejected(coordinator.import_bundle(good[..8].to_vec(), None)),
        BundleProblem::Malformed
    );
    assert_eq!(
        rejected(coordinator.import_bundle(b"not a bundle at all".to_vec(), None)),
        BundleProblem::Malformed
    );
    assert!(coordinator.list(Default::default()).unwrap().is_empty());

    let d3 = tempfile::tempdir().unwrap();
    let stranger = new_vault(&d3);
    assert!(matches!(
        stranger.import_bundle(good.clone(), None),
        Err(SafekeepError::NoTeam)
    ));
    stranger.create_team("another team".into(), None).unwrap();
    assert_eq!(
        rejected(stranger.import_bundle(good.clone(), None)),
        BundleProblem::OtherTeam
    );
    assert!(matches!(
        stranger.export_bundles(Some(coordinator.summary().unwrap()), 4096),
        Err(SafekeepError::InvalidSummary { .. })
    ));

    let report = coordinator.import_bundle(good.clone(), None).unwrap();
    assert_eq!((report.received, report.applied), (2, 2));
    let again = coordinator.import_bundle(good, None).unwrap();
    assert_eq!((again.applied, again.duplicates), (0, 2));
}

#[test]
fn invites_and_teams_give_the_errors_a_screen_branches_on() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (coordinator, newcomer) = (new_vault(&d1), new_vault(&d2));
    assert_eq!(coordinator.team().unwrap(), None);
    assert!(matches!(coordinator.summary(), Err(SafekeepError::NoTeam)));
    assert!(matches!(
        coordinator.create_invite(TeamRole::Field, 60, None),
        Err(SafekeepError::NoTeam)
    ));
    assert!(matches!(
        coordinator.create_team("  ".into(), None),
        Err(SafekeepError::InvalidInput { .. })
    ));
    assert!(matches!(
        coordinator.create_team("Dhaka".into(), Some("ftp://x".into())),
        Err(SafekeepError::InvalidInput { .. })
    ));
    let team = coordinator
        .create_team("Dhaka".into(), Some("https://sync.example.org/".into()))
        .unwrap();
    assert_eq!(team.server.as_deref(), Some("https://sync.example.org"));
    assert_eq!(team.epoch, 1);
    assert!(matches!(
        coordinator.create_team("again".into(), None),
        Err(SafekeepError::AlreadyInTeam)
    ));
    let invite = coordinator
        .create_invite(TeamRole::Aftercare, 600, None)
        .unwrap();
    let now = std::time::SystemTime::now();
    assert!(invite.expires > now && invite.expires < now + std::time::Duration::from_secs(601));
    assert!(matches!(
        newcomer.join_team("SKINV1:AAAA".into(), invite.secret.clone()),
        Err(SafekeepError::InvalidInvite { .. })
    ));
    assert!(matches!(
        newcomer.join_team("hello".into(), invite.secret.clone()),
        Err(SafekeepError::InvalidInvite { .. })
    ));
    let other = coordinator
        .create_invite(TeamRole::Field, 600, None)
        .unwrap();
    assert!(matches!(
        newcomer.join_team(invite.invite.clone(), other.secret),
        Err(SafekeepError::WrongInviteSecret)
    ));
    assert!(matches!(
        newcomer.join_team(invite.invite.clone(), "not a secret".into()),
        Err(SafekeepError::WrongInviteSecret)
    ));
    let expired = coordinator.create_invite(TeamRole::Field, 0, None).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(matches!(
        newcomer.join_team(expired.invite, expired.secret),
        Err(SafekeepError::InviteExpired)
    ));
    assert_eq!(newcomer.team().unwrap(), None);
    let joined = newcomer.join_team(invite.invite, invite.secret).unwrap();
    assert_eq!(joined.role, TeamRole::Aftercare);
    assert_eq!(joined.server, team.server);
    let err = newcomer
        .create_invite(TeamRole::Field, 60, None)
        .unwrap_err();
    assert!(matches!(err, SafekeepError::NotCoordinator { .. }));
    assert_eq!(err.to_string(), "only a coordinator can invite members");
    let moved = newcomer.set_team_server(None).unwrap();
    assert_eq!(moved.server, None);
    // Only a coordinator resolves: said before anything is looked up.
    assert!(matches!(
        newcomer.resolve(
            "abc".into(),
            ResolveChoice::Keep {
                value_id: "1".into()
            }
        ),
        Err(SafekeepError::NotCoordinator { .. })
    ));
    assert!(matches!(
        coordinator.resolve(
            "abc".into(),
            ResolveChoice::Keep {
                value_id: "1".into()
            }
        ),
        Err(SafekeepError::ConflictNotFound)
    ));
    coordinator.close_vault().unwrap();
    assert!(matches!(coordinator.team(), Err(SafekeepError::Locked)));
}

/// Records progress and, from inside the callback, calls back into the vault.
struct Reentrant {
    vault: OnceLock<Weak<Vault>>,
    last: AtomicU64,
    total: AtomicU64,
    called_back: AtomicBool,
}

impl ProgressListener for Reentrant {
    fn progress(&self, done: u64, total: u64) -> bool {
        assert!(done <= total);
        self.last.store(done, Ordering::SeqCst);
        self.total.store(total, Ordering::SeqCst);
        if let Some(vault) = self.vault.get().and_then(Weak::upgrade) {
            // Waits for the import's transaction; no deadlock.
            assert!(vault.team().unwrap().is_some());
            self.called_back.store(true, Ordering::SeqCst);
        }
        false // ignored: an import cannot stop halfway
    }
}

#[test]
fn the_import_listener_runs_with_no_lock_held_and_cannot_cut_an_import_short() {
    let (_d1, _d2, coordinator, field) = team_of_two();
    let entries: Vec<_> = (0..30)
        .map(|i| identification(&format!("Person {i}")))
        .collect();
    field.submit_all(entries, None, None).unwrap();
    let bundles = field.export_bundles(None, 1024).unwrap();
    assert!(bundles.len() > 1, "split into {} bundles", bundles.len());
    let listener = Arc::new(Reentrant {
        vault: OnceLock::new(),
        last: AtomicU64::new(0),
        total: AtomicU64::new(0),
        called_back: AtomicBool::new(false),
    });
    let _ = listener.vault.set(Arc::downgrade(&coordinator));
    let mut applied = 0;
    for bundle in bundles {
        let ops = u64::from(bundle.info.op_count);
        let report = coordinator
            .import_bundle(bundle.bytes, Some(listener.clone()))
            .unwrap();
        assert_eq!(report.applied, ops);
        assert_eq!(listener.last.load(Ordering::SeqCst), ops);
        assert_eq!(listener.total.load(Ordering::SeqCst), ops);
        applied += report.applied;
    }
    assert_eq!(applied, 60);
    assert!(listener.called_back.load(Ordering::SeqCst));
    assert_eq!(coordinator.list(Default::default()).unwrap().len(), 60);
}
