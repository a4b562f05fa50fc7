//! The exported API itself, from Rust: what the generated Kotlin, Swift and Python call,
//! including foreign callbacks made from several threads at once and a callback that
//! calls back into the vault (possible only because no lock is held while it runs).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use safekeep_ffi::{
    Answer, FormRef, NewEntry, PlatformKeyProvider, ProgressListener, RecordFilter, RecordKind,
    SafekeepError, Vault, VaultSettings, create_vault,
};

const PASS: &[u8] = b"kiln seven rescue";

fn fast() -> Option<VaultSettings> {
    Some(VaultSettings {
        insecure_fast_kdf_for_tests: true,
    })
}

fn folder(dir: &tempfile::TempDir) -> String {
    dir.path().join("vault").to_string_lossy().into_owned()
}

fn identification(name: &str) -> NewEntry {
    NewEntry {
        case_id: None,
        service_entry: false,
        form: FormRef {
            id: "victim_identification".into(),
            version: None,
        },
        answers: HashMap::from([("name".to_string(), Answer::Text { value: name.into() })]),
        draft: false,
    }
}

/// A key store that counts its calls and, to prove no lock is held, asks the vault
/// whether it is locked from inside the callback.
struct CountingKeys {
    calls: AtomicUsize,
    vault: OnceLock<Weak<Vault>>,
}

impl PlatformKeyProvider for CountingKeys {
    fn wrap(&self, secret: Vec<u8>) -> Result<Vec<u8>, SafekeepError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(vault) = self.vault.get().and_then(Weak::upgrade) {
            let _ = vault.is_locked();
        }
        Ok(secret.iter().map(|b| b ^ 0x5A).collect())
    }

    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, SafekeepError> {
        self.wrap(wrapped)
    }
}

#[test]
fn create_reopen_and_the_errors_a_screen_branches_on() {
    let dir = tempfile::tempdir().unwrap();
    let made = create_vault(folder(&dir), PASS.to_vec(), fast()).unwrap();
    assert_eq!(made.recovery_key.replace('-', "").len(), 32);
    let saved = made.vault.submit(identification("Asha"), None).unwrap();
    made.vault.close_vault().unwrap();
    assert!(matches!(
        made.vault.get(saved.record_id.clone()),
        Err(SafekeepError::Locked)
    ));
    assert!(matches!(
        Vault::open_with_passphrase(folder(&dir), b"wrong".to_vec(), fast()),
        Err(SafekeepError::WrongPassphrase)
    ));
    assert!(matches!(
        Vault::open_with_passphrase(folder(&dir), vec![0xff, 0xfe], fast()),
        Err(SafekeepError::InvalidInput { .. })
    ));
    let vault = Vault::open_with_recovery_key(folder(&dir), made.recovery_key, fast()).unwrap();
    let record = vault.get(saved.record_id).unwrap();
    assert_eq!(
        record.answers.get("name"),
        Some(&Answer::Text {
            value: "Asha".into()
        })
    );
    assert!(matches!(
        vault.get("nope".into()),
        Err(SafekeepError::InvalidInput { .. })
    ));
    assert!(matches!(
        vault.get("00000000000000000000000000000000".into()),
        Err(SafekeepError::NotFound { .. })
    ));
    let mut bad = identification("Ravi");
    bad.answers.insert(
        "operation_date".into(),
        Answer::Date {
            value: "2 Nov".into(),
        },
    );
    assert!(matches!(
        vault.submit(bad, None),
        Err(SafekeepError::InvalidInput { .. })
    ));
    vault.wipe().unwrap();
    assert!(!safekeep_ffi::vault_exists(folder(&dir)));
}

#[test]
fn callbacks_from_eight_threads_at_once_and_no_lock_held_while_they_run() {
    let dir = tempfile::tempdir().unwrap();
    let vault = create_vault(folder(&dir), PASS.to_vec(), fast())
        .unwrap()
        .vault;
    let keys = Arc::new(CountingKeys {
        calls: AtomicUsize::new(0),
        vault: OnceLock::new(),
    });
    let _ = keys.vault.set(Arc::downgrade(&vault));
    vault.set_platform_key(keys.clone()).unwrap();
    let before = keys.calls.load(Ordering::SeqCst);
    vault.lock().unwrap();

    std::thread::scope(|s| {
        for i in 0..8 {
            let vault = &vault;
            let keys = keys.clone();
            s.spawn(move || {
                vault.unlock_with_platform_key(keys).unwrap();
                for j in 0..5 {
                    vault
                        .submit(identification(&format!("Person {i} {j}")), None)
                        .unwrap();
                }
                assert!(!vault.search("Person".into(), 5).unwrap().is_empty());
            });
        }
    });
    assert!(
        keys.calls.load(Ordering::SeqCst) > before,
        "the key store was asked"
    );
    let filter = RecordFilter {
        kind: Some(RecordKind::Submission),
        ..RecordFilter::default()
    };
    assert_eq!(vault.list(filter).unwrap().len(), 40);
    assert!(vault.check().unwrap().ok);
}

struct StopAfter {
    after: u64,
    seen: AtomicUsize,
    stopped: AtomicBool,
}

impl ProgressListener for StopAfter {
    fn progress(&self, done: u64, total: u64) -> bool {
        assert!(done <= total);
        self.seen.fetch_add(1, Ordering::SeqCst);
        let go_on = done < self.after;
        if !go_on {
            self.stopped.store(true, Ordering::SeqCst);
        }
        go_on
    }
}

#[test]
fn a_bulk_save_reports_progress_refuses_bad_entries_and_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let vault = create_vault(folder(&dir), PASS.to_vec(), fast())
        .unwrap()
        .vault;
    let mut entries: Vec<NewEntry> = (0..6).map(|i| identification(&format!("P{i}"))).collect();
    entries[1].answers.remove("name");
    let all = Arc::new(StopAfter {
        after: 100,
        seen: AtomicUsize::new(0),
        stopped: AtomicBool::new(false),
    });
    let report = vault
        .submit_all(entries.clone(), Some(all.clone()), None)
        .unwrap();
    assert_eq!(report.saved.len(), 5);
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].index, 1);
    assert!(!report.cancelled);
    assert_eq!(all.seen.load(Ordering::SeqCst), 6);

    let stop = Arc::new(StopAfter {
        after: 3,
        seen: AtomicUsize::new(0),
        stopped: AtomicBool::new(false),
    });
    let report = vault.submit_all(entries, Some(stop.clone()), None).unwrap();
    assert!(report.cancelled && stop.stopped.load(Ordering::SeqCst));
    assert_eq!(report.saved.len() + report.refused.len(), 3);
}
