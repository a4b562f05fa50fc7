//! The vault: a folder holding one SQLite database, an attachments folder, and the
//! keyslot file. Create, open (passphrase, platform key, recovery key), lock, close,
//! change passphrase, duress passphrase, failed-unlock limit, wipe, check.
//!
//! The data key is random and never stored unwrapped; every way in is a keyslot that
//! wraps it. A canary sealed in the database under the data key tells "this database
//! does not belong to these keys / is damaged" apart from a wrong passphrase (which
//! the keyslot itself reports, its checksum telling damage from a wrong key).

pub mod keyslots;
mod wipe;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use zeroize::Zeroizing;

use crate::crypto::{
    self, CryptoError, KdfParams, KeyedHasher, Passphrase, Place, RecoveryKey, Sealer, SecretKey,
};
use crate::ids::{DeviceId, VaultId};
use crate::store::{Store, StoreError};
use crate::sync::{Clock, Hlc, SystemClock};
use keyslots::{DuressSlot, Keyslot, KeyslotError, KeyslotFile, SlotKind};

/// The database file's name inside a vault folder.
pub const DB_FILE: &str = "vault.db";
/// The attachments folder's name inside a vault folder.
pub const ATTACHMENTS_DIR: &str = "attachments";
const CANARY: &[u8] = b"safekeep canary v1";

/// What can go wrong with a vault. Messages never carry a passphrase, key or record.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The folder holds no vault.
    #[error("no vault in this folder")]
    NotFound,
    /// `create` on a folder that already holds a vault.
    #[error("a vault already exists in this folder")]
    AlreadyExists,
    /// The passphrase does not open the vault.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The recovery key is well-formed but does not open this vault.
    #[error("this recovery key does not open this vault")]
    WrongRecoveryKey,
    /// The platform key does not open this vault.
    #[error("the platform key does not open this vault")]
    WrongPlatformKey,
    /// The vault has no platform-key slot.
    #[error("this vault has no platform key set up")]
    NoPlatformKey,
    /// The platform key store (Keystore / Keychain) failed.
    #[error("platform key store failed: {0}")]
    KeyProvider(#[from] KeyProviderError),
    /// The vault is locked; unlock it first.
    #[error("the vault is locked")]
    Locked,
    /// The vault wiped itself after too many failed unlock attempts.
    #[error("the vault was wiped after too many failed unlock attempts")]
    Wiped,
    /// A setting or argument that cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The vault's files are damaged or do not belong together.
    #[error("the vault is damaged: {0}")]
    Corrupt(String),
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Cipher, KDF or random generator failure.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// File system failure.
    #[error("vault file i/o: {0}")]
    Io(#[from] io::Error),
}

impl From<KeyslotError> for VaultError {
    fn from(err: KeyslotError) -> Self {
        match err {
            KeyslotError::Missing => VaultError::NotFound,
            KeyslotError::Corrupt(what) => VaultError::Corrupt(what.to_owned()),
            KeyslotError::Io(e) => VaultError::Io(e),
            KeyslotError::Crypto(e) => VaultError::Crypto(e),
        }
    }
}

/// The platform key store failed. `reason` is written by the shell and must not carry
/// personal data.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct KeyProviderError {
    /// What went wrong, for developers.
    pub reason: String,
}

/// A key held by the platform (Android Keystore, iOS Keychain / Secure Enclave). The
/// vault gives it a random key-encryption key to wrap once, stores the wrapped blob in
/// a keyslot, and asks for it back to unlock. The platform never sees the data key.
pub trait KeyProvider: Send + Sync {
    /// Wraps (encrypts) `secret` with the platform key.
    fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, KeyProviderError>;
    /// Unwraps a blob made by [`KeyProvider::wrap`].
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyProviderError>;
}

/// How to unlock.
#[derive(Clone, Copy)]
pub enum Unlock<'a> {
    /// The person's passphrase (or, if set up, the duress passphrase).
    Passphrase(&'a Passphrase),
    /// The platform key.
    Platform(&'a dyn KeyProvider),
    /// The recovery key shown at creation.
    RecoveryKey(&'a RecoveryKey),
}

impl fmt::Debug for Unlock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unlock::Passphrase(_) => "Unlock::Passphrase(..)",
            Unlock::Platform(_) => "Unlock::Platform(..)",
            Unlock::RecoveryKey(_) => "Unlock::RecoveryKey(..)",
        })
    }
}

/// Settings for creating and opening a vault.
#[derive(Clone)]
pub struct VaultOptions {
    kdf: KdfParams,
    clock: Arc<dyn Clock>,
}

impl Default for VaultOptions {
    fn default() -> Self {
        Self {
            kdf: KdfParams::recommended(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for VaultOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultOptions")
            .field("kdf", &self.kdf)
            .finish_non_exhaustive()
    }
}

impl VaultOptions {
    /// Argon2id parameters for new passphrase slots (validated against the floor).
    pub fn with_kdf(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// INSECURE, for test suites only: a tiny KDF. The vault remembers it and `check`
    /// reports it.
    pub fn insecure_fast_kdf_for_tests(self) -> Self {
        self.with_kdf(KdfParams::insecure_fast_for_tests())
    }

    /// The physical clock for stamps (tests inject one they can set back).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// What an unlocked vault holds in memory. Dropped (and its keys zeroized) on lock.
pub(crate) struct Unlocked {
    pub(crate) store: Store,
    pub(crate) data_key: SecretKey,
    pub(crate) sealer: Sealer,
    pub(crate) form_hasher: KeyedHasher,
    pub(crate) hlc: Hlc,
    pub(crate) device: DeviceId,
    /// Sequence number of this device's next op.
    pub(crate) next_seq: u64,
    pub(crate) vault_id: VaultId,
    /// Forms loaded into this vault, parsed once (dropped when a form is loaded).
    pub(crate) loaded_forms: Option<std::sync::Arc<Vec<crate::forms::Form>>>,
    /// The name index, built at the first search after unlock and kept current by
    /// every save; in memory only, wiped on lock.
    pub(crate) search: Option<crate::search::SearchIndex>,
    /// The team key epoch new ops are made in (0 outside a team).
    pub(crate) epoch: u32,
}

/// The result of `check`: what a coordinator or the app shows after a health check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Findings of `PRAGMA integrity_check` (empty when the file is sound).
    pub integrity_problems: Vec<String>,
    /// Sealed values that opened and decoded.
    pub sealed_values_ok: u64,
    /// Values that failed to open or decode: (table, id).
    pub damaged: Vec<(String, String)>,
    /// Records whose stored state differs from a replay of their ops.
    pub replay_mismatches: Vec<String>,
    /// The vault was created with the insecure test KDF.
    pub insecure_test_kdf: bool,
    /// The failed-unlock limit, if set.
    pub failed_unlock_limit: Option<u32>,
}

impl CheckReport {
    /// True when nothing is damaged (an insecure KDF is reported, not a failure).
    pub fn is_ok(&self) -> bool {
        self.integrity_problems.is_empty()
            && self.damaged.is_empty()
            && self.replay_mismatches.is_empty()
    }
}

/// An encrypted vault. `Send + Sync`: calls are serialized by an internal lock; they
/// block (Argon2id takes a fraction of a second by design), so shells call them off the
/// main thread.
pub struct Vault {
    dir: PathBuf,
    options: VaultOptions,
    inner: Mutex<Option<Unlocked>>,
    /// Serializes writers of the keyslot file.
    slots: Mutex<()>,
    /// Serializes unlocks: two at once would each open the (exclusively locked)
    /// database. Not the state lock, so the key provider runs without it held.
    unlocking: Mutex<()>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("locked", &self.is_locked())
            .finish_non_exhaustive()
    }
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

fn canary_place() -> Place<'static> {
    Place {
        table: "meta",
        row: b"canary",
    }
}

impl Vault {
    /// Whether `dir` holds a vault.
    pub fn exists(dir: &Path) -> bool {
        KeyslotFile::path(dir).exists()
    }

    /// Creates a vault in `dir` (created if missing; must not hold a vault) and opens it.
    /// Returns the recovery key: show it once, it is not stored anywhere readable.
    pub fn create(
        dir: &Path,
        passphrase: &Passphrase,
        options: VaultOptions,
    ) -> Result<(Self, RecoveryKey), VaultError> {
        if passphrase.is_empty() {
            return Err(VaultError::InvalidInput("the passphrase must not be empty"));
        }
        options.kdf.validate()?;
        if Self::exists(dir) {
            return Err(VaultError::AlreadyExists);
        }
        if db_path(dir).exists() {
            // A database without keyslots: an interrupted creation, or a vault whose
            // keyslot file was lost (and may still be restored from a backup). Never
            // overwrite it; a person decides.
            return Err(VaultError::Corrupt(
                "this folder holds a vault database without its keyslot file; restore the \
                 keyslot file, or remove the folder to start a new vault"
                    .into(),
            ));
        }
        let (unlocked, recovery) = Self::initialize(dir, passphrase, &options)?;
        Ok((Self::from_unlocked(dir, options, unlocked), recovery))
    }

    fn from_unlocked(dir: &Path, options: VaultOptions, unlocked: Unlocked) -> Self {
        Self {
            dir: dir.to_owned(),
            options,
            inner: Mutex::new(Some(unlocked)),
            slots: Mutex::new(()),
            unlocking: Mutex::new(()),
        }
    }

    /// Lays down a new vault's files in a folder holding none: database first, keyslot
    /// file last (its presence is what makes a folder a vault).
    fn initialize(
        dir: &Path,
        passphrase: &Passphrase,
        options: &VaultOptions,
    ) -> Result<(Unlocked, RecoveryKey), VaultError> {
        fs::create_dir_all(dir.join(ATTACHMENTS_DIR))?;
        let vault_id = VaultId::make_random()?;
        let device = DeviceId::make_random()?;
        let data_key = SecretKey::make_random()?;

        let mut store = Store::open(&db_path(dir), true)?;
        let sealer = Sealer::new(&data_key, vault_id.0);
        {
            let tx = store.write()?;
            Store::set_meta(&tx, "vault_id", vault_id.as_bytes())?;
            Store::set_meta(&tx, "device_id", device.as_bytes())?;
            Store::set_meta(&tx, "canary", &sealer.seal(canary_place(), CANARY)?)?;
            tx.commit().map_err(StoreError::from)?;
        }

        let salt = crypto::make_random()?;
        let kek = crypto::derive_passphrase_key(passphrase, &salt, &options.kdf)?;
        let pass_slot = Keyslot::make(
            vault_id,
            SlotKind::Passphrase {
                kdf: options.kdf,
                salt,
            },
            &kek,
            &data_key,
        )?;
        let recovery = RecoveryKey::make_random()?;
        let recovery_salt = crypto::make_random()?;
        let recovery_slot = Keyslot::make(
            vault_id,
            SlotKind::Recovery {
                salt: recovery_salt,
            },
            &recovery.derive_kek(&recovery_salt),
            &data_key,
        )?;
        let file = KeyslotFile {
            vault_id,
            slots: vec![pass_slot, recovery_slot],
            duress: DuressSlot::unset(options.kdf)?,
            failed_unlocks: 0,
            max_failed_unlocks: None,
        };
        file.store(dir)?;
        let unlocked = Self::unlocked(store, data_key, vault_id, options)?;
        Ok((unlocked, recovery))
    }

    /// Opens the vault in `dir`.
    ///
    /// With the duress passphrase, the vault's keyslots are destroyed, then its data
    /// files, and a new empty vault (opened by that same passphrase) is returned in its
    /// place. After too many failed attempts (if a limit is set) the vault wipes itself
    /// and this returns [`VaultError::Wiped`].
    pub fn open(dir: &Path, how: Unlock<'_>, options: VaultOptions) -> Result<Self, VaultError> {
        let unlocked = Self::unlock_dir(dir, how, &options)?;
        Ok(Self::from_unlocked(dir, options, unlocked))
    }

    fn unlock_dir(
        dir: &Path,
        how: Unlock<'_>,
        options: &VaultOptions,
    ) -> Result<Unlocked, VaultError> {
        let mut file = match KeyslotFile::load(dir) {
            Err(KeyslotError::Missing) if db_path(dir).exists() => {
                return Err(VaultError::Corrupt("the keyslot file is missing".into()));
            }
            other => other?,
        };
        let vault_id = file.vault_id;
        if let Some(limit) = file.max_failed_unlocks {
            if file.failed_unlocks >= limit {
                wipe::wipe_dir(dir)?;
                return Err(VaultError::Wiped);
            }
            // Count the attempt before the KDF runs, so killing the app mid-attempt
            // does not give a free guess.
            file.failed_unlocks += 1;
            file.store(dir)?;
        }
        let opened = match how {
            Unlock::Passphrase(passphrase) => {
                let slot = file
                    .passphrase_slot()
                    .ok_or_else(|| VaultError::Corrupt("no passphrase keyslot".into()))?;
                let SlotKind::Passphrase { kdf, salt } = &slot.kind else {
                    return Err(VaultError::Corrupt("keyslot kind".into()));
                };
                let kek = crypto::derive_passphrase_key(passphrase, salt, kdf)?;
                match slot.open(vault_id, &kek) {
                    Ok(key) => Ok(key),
                    Err(_) => {
                        let duress = &file.duress;
                        let duress_kek =
                            crypto::derive_passphrase_key(passphrase, &duress.salt, &duress.kdf)?;
                        if duress.matches(vault_id, &duress_kek) {
                            return Self::duress(dir, passphrase, *kdf, options);
                        }
                        Err(VaultError::WrongPassphrase)
                    }
                }
            }
            Unlock::RecoveryKey(recovery) => {
                let mut found = None;
                for slot in &file.slots {
                    if let SlotKind::Recovery { salt } = &slot.kind
                        && let Ok(key) = slot.open(vault_id, &recovery.derive_kek(salt))
                    {
                        found = Some(key);
                        break;
                    }
                }
                found.ok_or(VaultError::WrongRecoveryKey)
            }
            Unlock::Platform(provider) => {
                let slot = file
                    .slots
                    .iter()
                    .find(|s| matches!(s.kind, SlotKind::Platform { .. }))
                    .ok_or(VaultError::NoPlatformKey)?;
                let SlotKind::Platform { provider_blob } = &slot.kind else {
                    return Err(VaultError::Corrupt("keyslot kind".into()));
                };
                let kek_bytes = provider.unwrap(provider_blob)?;
                let kek = SecretKey::from_slice(&kek_bytes).ok_or(VaultError::WrongPlatformKey)?;
                slot.open(vault_id, &kek)
                    .map_err(|_| VaultError::WrongPlatformKey)
            }
        };
        match opened {
            Ok(data_key) => {
                if file.failed_unlocks != 0 {
                    file.failed_unlocks = 0;
                    file.store(dir)?;
                }
                let store = match Store::open(&db_path(dir), false) {
                    Ok(store) => store,
                    Err(StoreError::Sqlite(_)) if !db_path(dir).exists() => {
                        return Err(VaultError::Corrupt("the database file is missing".into()));
                    }
                    Err(e) => return Err(e.into()),
                };
                Self::unlocked(store, data_key, vault_id, options)
            }
            Err(err) => {
                if let Some(limit) = file.max_failed_unlocks
                    && file.failed_unlocks >= limit
                {
                    wipe::wipe_dir(dir)?;
                    return Err(VaultError::Wiped);
                }
                Err(err)
            }
        }
    }

    /// Destroys the vault in `dir` and puts a fresh one, opened by `passphrase`, in its
    /// place. The recovery key of the fresh vault is discarded, as nobody saw it.
    fn duress(
        dir: &Path,
        passphrase: &Passphrase,
        kdf: KdfParams,
        options: &VaultOptions,
    ) -> Result<Unlocked, VaultError> {
        wipe::wipe_dir(dir)?;
        let options = options.clone().with_kdf(kdf);
        let (unlocked, _recovery) = Self::initialize(dir, passphrase, &options)?;
        Ok(unlocked)
    }

    /// Builds the in-memory state after the data key is known, checking the canary.
    fn unlocked(
        store: Store,
        data_key: SecretKey,
        vault_id: VaultId,
        options: &VaultOptions,
    ) -> Result<Unlocked, VaultError> {
        let conn = store.conn();
        let stored_id = Store::meta(conn, "vault_id")?;
        if stored_id.as_deref() != Some(vault_id.as_bytes().as_slice()) {
            return Err(VaultError::Corrupt(
                "the database belongs to another vault".into(),
            ));
        }
        let sealer = Sealer::new(&data_key, vault_id.0);
        let canary = Store::meta(conn, "canary")?
            .ok_or_else(|| VaultError::Corrupt("the canary is missing".into()))?;
        match sealer.open(canary_place(), &canary) {
            Ok(plain) if plain.as_slice() == CANARY => {}
            _ => {
                return Err(VaultError::Corrupt(
                    "the database does not open with this vault's key".into(),
                ));
            }
        }
        let device = Store::meta(conn, "device_id")?
            .and_then(|b| DeviceId::from_slice(&b).ok())
            .ok_or_else(|| VaultError::Corrupt("the device id is missing".into()))?;
        let last_seq = Store::last_seq(conn, device.as_bytes())?;
        // The clock resumes from this device's last op: every tick is committed with
        // its op, so the newest op's stamp is the persisted high-water mark.
        let last_op_stamp = match last_seq {
            Some(seq) => Store::op(conn, device.as_bytes(), seq)?
                .map(|row| crate::records::open_op_stamp(&sealer, &row))
                .transpose()
                .map_err(|e| VaultError::Corrupt(e.to_string()))?,
            None => None,
        };
        // Sequence numbers claimed in this device's name by ops it refused (a copy of
        // this vault, or a forgery) are never issued here: peers already hold them.
        let floor = Store::meta(conn, crate::sync::SEQ_FLOOR_KEY)?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map_or(0, u64::from_be_bytes);
        let next_seq = last_seq.unwrap_or(0).max(floor) + 1;
        let hlc = Hlc::resume(options.clock.clone(), device, last_op_stamp);
        let form_hasher = KeyedHasher::derive(&data_key, "records.form");
        let epoch = crate::sync::team::load(conn, &sealer)
            .map_err(|e| VaultError::Corrupt(e.to_string()))?
            .map_or(0, |t| t.epoch);
        Ok(Unlocked {
            store,
            data_key,
            sealer,
            form_hasher,
            hlc,
            device,
            next_seq,
            vault_id,
            loaded_forms: None,
            search: None,
            epoch,
        })
    }

    fn state(&self) -> MutexGuard<'_, Option<Unlocked>> {
        // A panic inside a call leaves nothing half-written (SQLite rolls back), so a
        // poisoned lock is safe to take over.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the unlocked state, or fails with `locked`.
    pub(crate) fn with_unlocked<T, E>(
        &self,
        locked: E,
        f: impl FnOnce(&mut Unlocked) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut guard = self.state();
        match guard.as_mut() {
            Some(unlocked) => f(unlocked),
            None => Err(locked),
        }
    }

    /// Whether the vault is locked.
    pub fn is_locked(&self) -> bool {
        self.state().is_none()
    }

    /// The vault's id.
    pub fn id(&self) -> Result<VaultId, VaultError> {
        self.with_unlocked(VaultError::Locked, |u| Ok(u.vault_id))
    }

    /// This device's id.
    pub fn device_id(&self) -> Result<DeviceId, VaultError> {
        self.with_unlocked(VaultError::Locked, |u| Ok(u.device))
    }

    /// The vault folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Forgets the keys (zeroized) and closes the database. `unlock` opens it again.
    pub fn lock(&self) {
        let taken = self.state().take();
        if let Some(unlocked) = taken {
            // A failure here loses nothing committed: the WAL is replayed at next open.
            let _ = unlocked.store.checkpoint();
            let _ = unlocked.store.close();
        }
    }

    /// Unlocks a locked vault (a no-op if it is unlocked). The duress passphrase and
    /// the failed-unlock limit behave as in [`Vault::open`].
    pub fn unlock(&self, how: Unlock<'_>) -> Result<(), VaultError> {
        let _one_at_a_time = self.unlocking.lock().unwrap_or_else(|p| p.into_inner());
        if !self.is_locked() {
            return Ok(());
        }
        let unlocked = Self::unlock_dir(&self.dir, how, &self.options)?;
        *self.state() = Some(unlocked);
        Ok(())
    }

    /// Closes the vault, checkpointing the database.
    pub fn close(self) -> Result<(), VaultError> {
        let taken = self.state().take();
        if let Some(unlocked) = taken {
            unlocked.store.checkpoint()?;
            unlocked.store.close()?;
        }
        Ok(())
    }

    /// Copies the write-ahead log into the database file and empties the log.
    pub fn checkpoint(&self) -> Result<(), VaultError> {
        self.with_unlocked(VaultError::Locked, |u| Ok(u.store.checkpoint()?))
    }

    /// Edits the keyslot file under the slots lock, with the data key at hand. `f` must
    /// not call foreign code.
    fn edit_slots(
        &self,
        f: impl FnOnce(&mut KeyslotFile, &SecretKey) -> Result<(), VaultError>,
    ) -> Result<(), VaultError> {
        let _slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = KeyslotFile::load(&self.dir)?;
        self.with_unlocked(VaultError::Locked, |u| {
            if file.vault_id != u.vault_id {
                return Err(VaultError::Corrupt(
                    "the keyslot file belongs to another vault".into(),
                ));
            }
            f(&mut file, &u.data_key)
        })?;
        file.store(&self.dir)?;
        Ok(())
    }

    /// Sets a new passphrase. Only the passphrase keyslot is rewritten; no record is
    /// touched. The old passphrase stops working at once.
    pub fn change_passphrase(&self, new: &Passphrase) -> Result<(), VaultError> {
        if new.is_empty() {
            return Err(VaultError::InvalidInput("the passphrase must not be empty"));
        }
        let kdf = self.options.kdf;
        kdf.validate()?;
        self.edit_slots(|file, data_key| {
            let salt = crypto::make_random()?;
            let kek = crypto::derive_passphrase_key(new, &salt, &kdf)?;
            let slot = Keyslot::make(
                file.vault_id,
                SlotKind::Passphrase { kdf, salt },
                &kek,
                data_key,
            )?;
            file.replace_kind(slot);
            Ok(())
        })
    }

    /// Replaces the recovery key; the old one stops working. Show the new one once.
    pub fn new_recovery_key(&self) -> Result<RecoveryKey, VaultError> {
        let recovery = RecoveryKey::make_random()?;
        self.edit_slots(|file, data_key| {
            let salt = crypto::make_random()?;
            let slot = Keyslot::make(
                file.vault_id,
                SlotKind::Recovery { salt },
                &recovery.derive_kek(&salt),
                data_key,
            )?;
            file.replace_kind(slot);
            Ok(())
        })?;
        Ok(recovery)
    }

    /// Sets (or with `None` removes) the duress passphrase. Entering it at unlock
    /// destroys this vault and opens an empty one. It must differ from the passphrase.
    pub fn set_duress_passphrase(&self, duress: Option<&Passphrase>) -> Result<(), VaultError> {
        self.edit_slots(|file, _| {
            let slot = file
                .passphrase_slot()
                .ok_or_else(|| VaultError::Corrupt("no passphrase keyslot".into()))?;
            let SlotKind::Passphrase { kdf, salt } = slot.kind.clone() else {
                return Err(VaultError::Corrupt("keyslot kind".into()));
            };
            file.duress = match duress {
                None => DuressSlot::unset(kdf)?,
                Some(p) if p.is_empty() => {
                    return Err(VaultError::InvalidInput(
                        "the duress passphrase must not be empty",
                    ));
                }
                Some(p) => {
                    if slot
                        .open(
                            file.vault_id,
                            &crypto::derive_passphrase_key(p, &salt, &kdf)?,
                        )
                        .is_ok()
                    {
                        return Err(VaultError::InvalidInput(
                            "the duress passphrase must differ from the passphrase",
                        ));
                    }
                    let duress_salt = crypto::make_random()?;
                    let kek = crypto::derive_passphrase_key(p, &duress_salt, &kdf)?;
                    DuressSlot::set(file.vault_id, kdf, duress_salt, &kek)?
                }
            };
            Ok(())
        })
    }

    /// Sets how many failed unlock attempts in a row wipe the vault (`None`: never, the
    /// default). Counts passphrase and recovery-key attempts.
    pub fn set_failed_unlock_limit(&self, limit: Option<u32>) -> Result<(), VaultError> {
        if limit == Some(0) {
            return Err(VaultError::InvalidInput(
                "the failed-unlock limit must be at least 1",
            ));
        }
        self.edit_slots(|file, _| {
            file.max_failed_unlocks = limit;
            file.failed_unlocks = 0;
            Ok(())
        })
    }

    /// Adds (or replaces) the platform-key slot. `provider` is called without any lock
    /// held.
    pub fn set_platform_key(&self, provider: &dyn KeyProvider) -> Result<(), VaultError> {
        if self.is_locked() {
            return Err(VaultError::Locked);
        }
        let kek = SecretKey::make_random()?;
        let provider_blob = provider.wrap(kek.expose())?;
        // Check the round trip now rather than at the next unlock.
        let back = provider.unwrap(&provider_blob)?;
        if back.as_slice() != kek.expose().as_slice() {
            return Err(VaultError::WrongPlatformKey);
        }
        self.edit_slots(|file, data_key| {
            let slot = Keyslot::make(
                file.vault_id,
                SlotKind::Platform { provider_blob },
                &kek,
                data_key,
            )?;
            file.replace_kind(slot);
            Ok(())
        })
    }

    /// Removes the platform-key slot.
    pub fn remove_platform_key(&self) -> Result<(), VaultError> {
        self.edit_slots(|file, _| {
            file.slots
                .retain(|s| !matches!(s.kind, SlotKind::Platform { .. }));
            Ok(())
        })
    }

    /// Destroys the vault now: keyslots first (after which nothing can be decrypted),
    /// then the data files.
    pub fn wipe(self) -> Result<(), VaultError> {
        self.wipe_now()
    }

    /// [`Vault::wipe`] through a shared handle (a revoked device wipes itself in the
    /// middle of a sync): locks, then destroys the files.
    pub(crate) fn wipe_now(&self) -> Result<(), VaultError> {
        let taken = self.state().take();
        drop(taken);
        wipe::wipe_dir(&self.dir)?;
        Ok(())
    }

    /// Destroys the vault files in `dir` (keyslots first) without opening the vault:
    /// for a vault that is locked or held elsewhere in this process (lock it first).
    pub fn wipe_folder(dir: &Path) -> Result<(), VaultError> {
        wipe::wipe_dir(dir)?;
        Ok(())
    }

    /// Checks the vault: SQLite's integrity check, every sealed value (ops, records,
    /// loaded forms) opened, every record's state compared with a replay of its ops.
    pub fn check(&self) -> Result<CheckReport, VaultError> {
        let file = KeyslotFile::load(&self.dir)?;
        let mut report = self.with_unlocked(VaultError::Locked, |u| {
            let mut report = CheckReport {
                integrity_problems: u.store.integrity_problems()?,
                ..CheckReport::default()
            };
            crate::records::check_sealed(u, &mut report)?;
            for (tag, body) in Store::forms(u.store.conn())? {
                match u.sealer.open(
                    Place {
                        table: "forms",
                        row: &tag,
                    },
                    &body,
                ) {
                    Ok(_) => report.sealed_values_ok += 1,
                    Err(_) => {
                        let id: String = tag.iter().take(16).map(|b| format!("{b:02x}")).collect();
                        report.damaged.push(("forms".into(), id));
                    }
                }
            }
            Ok(report)
        })?;
        report.insecure_test_kdf = file.uses_insecure_kdf();
        report.failed_unlock_limit = file.max_failed_unlocks;
        Ok(report)
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        self.lock();
    }
}
