//! Keys: passphrase, recovery key, platform key, duress passphrase, failed-unlock limit.

mod common;

use common::*;
use safekeep_core::crypto::{Place, Sealer, SecretKey};
use safekeep_core::vault::keyslots::{KeyslotFile, SlotKind};
use safekeep_core::{
    KdfParams, KeyProvider, KeyProviderError, Passphrase, RecordFilter, RecoveryKey, Unlock, Vault,
    VaultError, VaultOptions,
};
use zeroize::Zeroizing;

fn open(dir: &std::path::Path, passphrase: &str) -> Result<Vault, VaultError> {
    Vault::open(
        dir,
        Unlock::Passphrase(&Passphrase::new(passphrase)),
        options(),
    )
}

#[test]
fn a_wrong_passphrase_is_told_apart_from_a_damaged_keyslot() {
    let dir = tempfile::tempdir().unwrap();
    new_vault(dir.path()).close().unwrap();
    assert!(matches!(
        open(dir.path(), "not it"),
        Err(VaultError::WrongPassphrase)
    ));
    assert!(open(dir.path(), PASSPHRASE).is_ok());

    // Damage the wrapped key inside the passphrase slot: the slot checksum notices.
    let path = KeyslotFile::path(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let file = KeyslotFile::load(dir.path()).unwrap();
    let wrapped = &file.passphrase_slot().unwrap().wrapped;
    let at = bytes
        .windows(wrapped.len())
        .position(|w| w == wrapped.as_slice())
        .unwrap();
    bytes[at + 30] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        open(dir.path(), PASSPHRASE),
        Err(VaultError::Corrupt(_))
    ));
}

#[test]
fn a_database_from_another_vault_is_refused_by_the_canary() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    new_vault(a.path()).close().unwrap();
    new_vault(b.path()).close().unwrap();
    std::fs::copy(b.path().join("vault.db"), a.path().join("vault.db")).unwrap();
    let err = open(a.path(), PASSPHRASE).unwrap_err();
    assert!(matches!(err, VaultError::Corrupt(_)), "{err}");
}

#[test]
fn changing_the_passphrase_rewraps_the_key_and_leaves_records_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (_, id) = identify(&vault, "Meena Kumari", "found at the loom");
    vault.checkpoint().unwrap();
    let db_before = std::fs::read(dir.path().join("vault.db")).unwrap();
    vault
        .change_passphrase(&Passphrase::new("a new passphrase"))
        .unwrap();
    vault.close().unwrap();
    let db_after = std::fs::read(dir.path().join("vault.db")).unwrap();
    assert_eq!(
        db_before, db_after,
        "changing the passphrase rewrote the database"
    );

    assert!(matches!(
        open(dir.path(), PASSPHRASE),
        Err(VaultError::WrongPassphrase)
    ));
    let vault = open(dir.path(), "a new passphrase").unwrap();
    assert_eq!(
        vault.get(id).unwrap().answer("name"),
        Some(&text("Meena Kumari"))
    );
    assert!(vault.change_passphrase(&Passphrase::new("")).is_err());
}

#[test]
fn the_recovery_key_opens_a_vault_whose_passphrase_was_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, recovery) = Vault::create(dir.path(), &passphrase(), options()).unwrap();
    let (_, id) = identify(&vault, "Sunita", "kept in the owner's house");
    let typed = recovery.to_display_string().to_lowercase();
    vault.close().unwrap();

    let recovery = RecoveryKey::parse(&typed).unwrap();
    let vault = Vault::open(dir.path(), Unlock::RecoveryKey(&recovery), options()).unwrap();
    assert_eq!(vault.get(id).unwrap().answer("name"), Some(&text("Sunita")));
    vault
        .change_passphrase(&Passphrase::new("remembered now"))
        .unwrap();
    vault.close().unwrap();
    assert!(open(dir.path(), "remembered now").is_ok());

    let other = RecoveryKey::make_random().unwrap();
    let err = Vault::open(dir.path(), Unlock::RecoveryKey(&other), options()).unwrap_err();
    assert!(matches!(err, VaultError::WrongRecoveryKey));

    // A replaced recovery key stops working.
    let vault = open(dir.path(), "remembered now").unwrap();
    let newer = vault.new_recovery_key().unwrap();
    vault.close().unwrap();
    assert!(Vault::open(dir.path(), Unlock::RecoveryKey(&recovery), options()).is_err());
    assert!(Vault::open(dir.path(), Unlock::RecoveryKey(&newer), options()).is_ok());
}

/// Stands in for the Android Keystore: wraps with a key the "hardware" keeps.
struct TestKeystore(SecretKey);

impl KeyProvider for TestKeystore {
    fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, KeyProviderError> {
        Sealer::new(&self.0, [0; 16])
            .seal(
                Place {
                    table: "keystore",
                    row: b"",
                },
                secret,
            )
            .map_err(|e| KeyProviderError {
                reason: e.to_string(),
            })
    }
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyProviderError> {
        Sealer::new(&self.0, [0; 16])
            .open(
                Place {
                    table: "keystore",
                    row: b"",
                },
                wrapped,
            )
            .map_err(|e| KeyProviderError {
                reason: e.to_string(),
            })
    }
}

#[test]
fn the_platform_key_opens_the_vault_and_another_device_key_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (_, id) = identify(&vault, "Lakshmi", "");
    let keystore = TestKeystore(SecretKey::make_random().unwrap());
    let no_slot = Vault::open(dir.path(), Unlock::Platform(&keystore), options());
    assert!(matches!(no_slot, Err(VaultError::NoPlatformKey)));
    vault.set_platform_key(&keystore).unwrap();
    vault.lock();
    assert!(vault.is_locked());
    assert!(matches!(
        vault.get(id),
        Err(safekeep_core::RecordError::Locked)
    ));
    vault.unlock(Unlock::Platform(&keystore)).unwrap();
    assert!(vault.get(id).is_ok());
    vault.close().unwrap();

    let stranger = TestKeystore(SecretKey::make_random().unwrap());
    let err = Vault::open(dir.path(), Unlock::Platform(&stranger), options()).unwrap_err();
    assert!(matches!(err, VaultError::KeyProvider(_)), "{err}");
    assert!(
        open(dir.path(), PASSPHRASE).is_ok(),
        "the passphrase still opens it"
    );
}

#[test]
fn the_duress_passphrase_destroys_the_vault_and_opens_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    identify(&vault, "Anjali Tamang", "taken across the border at Raxaul");
    let old_id = vault.id().unwrap();
    vault
        .set_duress_passphrase(Some(&Passphrase::new("open sesame")))
        .unwrap();
    assert!(
        vault.set_duress_passphrase(Some(&passphrase())).is_err(),
        "the real passphrase cannot become the duress passphrase"
    );
    vault.close().unwrap();
    let old_slots = KeyslotFile::load(dir.path()).unwrap();

    let coerced = open(dir.path(), "open sesame").unwrap();
    assert!(coerced.list(&RecordFilter::default()).unwrap().is_empty());
    assert_ne!(coerced.id().unwrap(), old_id);
    coerced.close().unwrap();

    // It looks like any fresh vault: a passphrase slot, a recovery slot, a duress slot.
    let new_slots = KeyslotFile::load(dir.path()).unwrap();
    let kinds: Vec<_> = new_slots
        .slots
        .iter()
        .map(|s| std::mem::discriminant(&s.kind))
        .collect();
    let old_kinds: Vec<_> = old_slots
        .slots
        .iter()
        .map(|s| std::mem::discriminant(&s.kind))
        .collect();
    assert_eq!(kinds, old_kinds);
    assert_eq!(new_slots.max_failed_unlocks, None);

    // No file holds any old slot, and the real passphrase opens nothing.
    for slot in &old_slots.slots {
        assert!(files_containing_bytes(dir.path(), &slot.wrapped).is_empty());
        if let SlotKind::Passphrase { salt, .. } = &slot.kind {
            assert!(files_containing_bytes(dir.path(), salt).is_empty());
        }
    }
    assert!(files_containing_bytes(dir.path(), old_id.as_bytes()).is_empty());
    assert!(files_containing_text(dir.path(), "Anjali").is_empty());
    assert!(matches!(
        open(dir.path(), PASSPHRASE),
        Err(VaultError::WrongPassphrase)
    ));
    // The coercer can open it again with the same passphrase.
    assert!(open(dir.path(), "open sesame").is_ok());
}

#[test]
fn too_many_failed_unlocks_wipe_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    identify(&vault, "Priya", "");
    vault.set_failed_unlock_limit(Some(3)).unwrap();
    assert!(vault.set_failed_unlock_limit(Some(0)).is_err());
    vault.close().unwrap();

    // Two failures, then a success: the counter starts over.
    for _ in 0..2 {
        assert!(matches!(
            open(dir.path(), "guess"),
            Err(VaultError::WrongPassphrase)
        ));
    }
    open(dir.path(), PASSPHRASE).unwrap().close().unwrap();
    assert_eq!(KeyslotFile::load(dir.path()).unwrap().failed_unlocks, 0);

    for _ in 0..2 {
        assert!(matches!(
            open(dir.path(), "guess"),
            Err(VaultError::WrongPassphrase)
        ));
    }
    assert!(matches!(open(dir.path(), "guess"), Err(VaultError::Wiped)));
    assert!(!Vault::exists(dir.path()));
    assert!(!dir.path().join("vault.db").exists());
    assert!(matches!(
        open(dir.path(), PASSPHRASE),
        Err(VaultError::NotFound)
    ));
}

#[test]
fn the_insecure_test_kdf_is_remembered_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    assert!(vault.check().unwrap().insecure_test_kdf);
    vault.close().unwrap();

    let real = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(real.path(), &passphrase(), VaultOptions::default()).unwrap();
    let report = vault.check().unwrap();
    assert!(report.is_ok() && !report.insecure_test_kdf);
    vault.close().unwrap();
    let slots = KeyslotFile::load(real.path()).unwrap();
    let SlotKind::Passphrase { kdf, .. } = &slots.passphrase_slot().unwrap().kind else {
        panic!()
    };
    assert_eq!(*kdf, KdfParams::recommended());

    let weak = VaultOptions::default().with_kdf(KdfParams {
        memory_kib: 1024,
        ..KdfParams::recommended()
    });
    let other = tempfile::tempdir().unwrap();
    assert!(Vault::create(other.path(), &passphrase(), weak).is_err());
}

#[test]
fn an_existing_vault_is_never_overwritten_by_create() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (_, id) = identify(&vault, "Kavita", "");
    vault.close().unwrap();
    assert!(matches!(
        Vault::create(dir.path(), &passphrase(), options()),
        Err(VaultError::AlreadyExists)
    ));
    assert!(open(dir.path(), PASSPHRASE).unwrap().get(id).is_ok());

    // A lost keyslot file does not make the folder fair game: the database stays.
    let slots = std::fs::read(KeyslotFile::path(dir.path())).unwrap();
    std::fs::remove_file(KeyslotFile::path(dir.path())).unwrap();
    let db = std::fs::read(dir.path().join("vault.db")).unwrap();
    assert!(matches!(
        Vault::create(dir.path(), &passphrase(), options()),
        Err(VaultError::Corrupt(_))
    ));
    assert!(matches!(
        open(dir.path(), PASSPHRASE),
        Err(VaultError::Corrupt(_))
    ));
    assert_eq!(std::fs::read(dir.path().join("vault.db")).unwrap(), db);
    std::fs::write(KeyslotFile::path(dir.path()), slots).unwrap();
    assert!(
        open(dir.path(), PASSPHRASE).unwrap().get(id).is_ok(),
        "restored from backup"
    );
}
