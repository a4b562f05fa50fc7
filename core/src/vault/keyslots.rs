//! The keyslot file: the data key wrapped under each way in (passphrase, platform key,
//! recovery key), a duress verifier, and the failed-unlock counter.
//!
//! Layout: `SAFEKEEP-SLOTS` magic, a format byte, then postcard. Each slot carries a
//! BLAKE3 checksum of its own bytes, so a damaged slot reads as corrupt, and only an
//! intact slot that fails to open reads as a wrong passphrase.
//!
//! Every file in this layout has a duress slot: random bytes when no duress passphrase
//! is set, so the file does not tell whether one is.
//!
//! Updates are crash-safe (write a temporary file, fsync, rename, fsync the folder)
//! and then overwrite the replaced file's blocks through a handle kept open across the
//! rename, so an old passphrase slot does not linger in a file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::{self, CryptoError, KdfParams, Place, SALT_LEN, Sealer, SecretKey};
use crate::ids::VaultId;

const MAGIC: &[u8] = b"SAFEKEEP-SLOTS";
const FORMAT: u8 = 1;
/// The keyslot file's name inside a vault folder.
pub const FILE_NAME: &str = "keyslots";
/// Plaintext of the duress verifier.
const DURESS_CANARY: &[u8] = b"safekeep duress v1";

/// The ways into a vault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SlotKind {
    /// Argon2id over a passphrase.
    Passphrase {
        /// KDF parameters.
        kdf: KdfParams,
        /// KDF salt.
        salt: [u8; SALT_LEN],
    },
    /// A key-encryption key held by the platform (Keystore / Keychain), stored here
    /// wrapped by the platform.
    Platform {
        /// The platform's wrapping of the key-encryption key.
        provider_blob: Vec<u8>,
    },
    /// A typed recovery key.
    Recovery {
        /// Derivation salt.
        salt: [u8; SALT_LEN],
    },
}

/// One wrapped copy of the data key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Keyslot {
    /// Random slot id, bound into the wrapping.
    pub id: [u8; 16],
    /// How the key-encryption key is obtained.
    pub kind: SlotKind,
    /// The data key sealed under the key-encryption key.
    pub wrapped: Vec<u8>,
    checksum: [u8; 32],
}

/// Verifies a duress passphrase without holding anything that opens the data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DuressSlot {
    /// KDF parameters (the passphrase slot's, so timing does not differ).
    pub kdf: KdfParams,
    /// KDF salt.
    pub salt: [u8; SALT_LEN],
    /// A known value sealed under the duress key, or random bytes when unset.
    pub verifier: Vec<u8>,
    checksum: [u8; 32],
}

/// The whole keyslot file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyslotFile {
    /// The vault these slots open.
    pub vault_id: VaultId,
    /// The slots.
    pub slots: Vec<Keyslot>,
    /// Always present (random when unset).
    pub duress: DuressSlot,
    /// Failed unlock attempts since the last success.
    pub failed_unlocks: u32,
    /// Wipe when `failed_unlocks` reaches this; `None` = never.
    pub max_failed_unlocks: Option<u32>,
}

/// Reading or writing the keyslot file failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyslotError {
    /// No keyslot file.
    #[error("no keyslot file")]
    Missing,
    /// Unreadable layout or a slot whose checksum does not match.
    #[error("keyslot file is damaged ({0})")]
    Corrupt(&'static str),
    /// File system error.
    #[error("keyslot file i/o: {0}")]
    Io(#[from] io::Error),
    /// Random generator or sealing failure.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

fn slot_checksum(id: &[u8; 16], kind: &SlotKind, wrapped: &[u8]) -> Result<[u8; 32], KeyslotError> {
    let kind = postcard::to_allocvec(kind).map_err(|_| KeyslotError::Corrupt("slot encoding"))?;
    Ok(crypto::checksum(&[b"keyslot", id, &kind, wrapped]))
}

fn duress_checksum(d: &DuressSlot) -> Result<[u8; 32], KeyslotError> {
    let kdf = postcard::to_allocvec(&d.kdf).map_err(|_| KeyslotError::Corrupt("slot encoding"))?;
    Ok(crypto::checksum(&[b"duress", &kdf, &d.salt, &d.verifier]))
}

fn slot_place(id: &[u8; 16]) -> Place<'_> {
    Place {
        table: "keyslot",
        row: id,
    }
}

impl Keyslot {
    /// Wraps `data_key` under `kek` in a new slot of `kind`.
    pub fn make(
        vault_id: VaultId,
        kind: SlotKind,
        kek: &SecretKey,
        data_key: &SecretKey,
    ) -> Result<Self, KeyslotError> {
        let id: [u8; 16] = crypto::make_random()?;
        let wrapped = Sealer::new(kek, vault_id.0).wrap_key(slot_place(&id), data_key)?;
        let checksum = slot_checksum(&id, &kind, &wrapped)?;
        Ok(Self {
            id,
            kind,
            wrapped,
            checksum,
        })
    }

    /// Unwraps the data key; `Unauthentic` means the key-encryption key is wrong.
    pub fn open(&self, vault_id: VaultId, kek: &SecretKey) -> Result<SecretKey, CryptoError> {
        Sealer::new(kek, vault_id.0).unwrap_key(slot_place(&self.id), &self.wrapped)
    }
}

impl DuressSlot {
    /// A duress slot that no passphrase opens (random verifier, random salt).
    pub fn unset(kdf: KdfParams) -> Result<Self, KeyslotError> {
        let mut verifier = vec![0u8; DURESS_CANARY.len() + crypto::SEAL_OVERHEAD];
        crypto::fill_random(&mut verifier)?;
        verifier[0] = crypto::SEAL_VERSION;
        Self::finish(kdf, crypto::make_random()?, verifier)
    }

    /// A duress slot that `kek` (derived from the duress passphrase with `kdf`, `salt`) opens.
    pub fn set(
        vault_id: VaultId,
        kdf: KdfParams,
        salt: [u8; SALT_LEN],
        kek: &SecretKey,
    ) -> Result<Self, KeyslotError> {
        let verifier = Sealer::new(kek, vault_id.0).seal(slot_place(&[0xd0; 16]), DURESS_CANARY)?;
        Self::finish(kdf, salt, verifier)
    }

    fn finish(
        kdf: KdfParams,
        salt: [u8; SALT_LEN],
        verifier: Vec<u8>,
    ) -> Result<Self, KeyslotError> {
        let mut slot = Self {
            kdf,
            salt,
            verifier,
            checksum: [0; 32],
        };
        slot.checksum = duress_checksum(&slot)?;
        Ok(slot)
    }

    /// Whether `kek` is the duress key.
    pub fn matches(&self, vault_id: VaultId, kek: &SecretKey) -> bool {
        Sealer::new(kek, vault_id.0)
            .open(slot_place(&[0xd0; 16]), &self.verifier)
            .is_ok_and(|plain| plain.as_slice() == DURESS_CANARY)
    }
}

impl KeyslotFile {
    /// The path of the keyslot file in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE_NAME)
    }

    /// Reads and verifies the keyslot file in `dir`.
    pub fn load(dir: &Path) -> Result<Self, KeyslotError> {
        let bytes = match fs::read(Self::path(dir)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(KeyslotError::Missing),
            Err(e) => return Err(e.into()),
        };
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or(KeyslotError::Corrupt("not a keyslot file"))?;
        let (&format, body) = body
            .split_first()
            .ok_or(KeyslotError::Corrupt("truncated"))?;
        if format != FORMAT {
            return Err(KeyslotError::Corrupt("unknown keyslot format"));
        }
        let file: KeyslotFile =
            postcard::from_bytes(body).map_err(|_| KeyslotError::Corrupt("unreadable"))?;
        for slot in &file.slots {
            if slot_checksum(&slot.id, &slot.kind, &slot.wrapped)? != slot.checksum {
                return Err(KeyslotError::Corrupt("a keyslot's checksum does not match"));
            }
        }
        if duress_checksum(&file.duress)? != file.duress.checksum {
            return Err(KeyslotError::Corrupt(
                "the duress slot's checksum does not match",
            ));
        }
        Ok(file)
    }

    fn encode(&self) -> Result<Vec<u8>, KeyslotError> {
        let mut out = MAGIC.to_vec();
        out.push(FORMAT);
        out.extend(postcard::to_allocvec(self).map_err(|_| KeyslotError::Corrupt("encoding"))?);
        Ok(out)
    }

    /// Writes the file atomically, then overwrites the blocks of the file it replaced.
    pub fn store(&self, dir: &Path) -> Result<(), KeyslotError> {
        let path = Self::path(dir);
        let old = OpenOptions::new().read(true).write(true).open(&path).ok();
        let tmp = dir.join(format!("{FILE_NAME}.tmp"));
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(&self.encode()?)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        sync_dir(dir)?;
        if let Some(old) = old {
            overwrite(old, false)?;
        }
        Ok(())
    }

    /// The first slot of the passphrase kind.
    pub fn passphrase_slot(&self) -> Option<&Keyslot> {
        self.slots
            .iter()
            .find(|s| matches!(s.kind, SlotKind::Passphrase { .. }))
    }

    /// Whether any passphrase slot was made with the insecure test KDF.
    pub fn uses_insecure_kdf(&self) -> bool {
        self.slots
            .iter()
            .any(|s| matches!(s.kind, SlotKind::Passphrase { kdf, .. } if kdf.insecure_test_only))
            || self.duress.kdf.insecure_test_only
    }

    /// Replaces every slot of the same kind as `slot` with `slot`.
    pub fn replace_kind(&mut self, slot: Keyslot) {
        let same =
            |s: &Keyslot| std::mem::discriminant(&s.kind) == std::mem::discriminant(&slot.kind);
        self.slots.retain(|s| !same(s));
        self.slots.push(slot);
    }
}

/// Fsyncs a directory so a rename or unlink in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Overwrites a whole open file in place (random bytes or zeros) and syncs it.
pub fn overwrite(mut file: File, random: bool) -> io::Result<()> {
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    let mut chunk = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        if random {
            crypto::fill_random(&mut chunk[..n]).map_err(io::Error::other)?;
        }
        file.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}
