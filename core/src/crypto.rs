//! The only module that touches ciphers and key-derivation functions.
//!
//! - [`SecretKey`]: 256-bit keys, boxed, zeroized on drop, never printed.
//! - [`KdfParams`] and [`derive_passphrase_key`]: Argon2id, parameters stored beside
//!   every key they derive.
//! - [`Sealer`]: XChaCha20-Poly1305 envelopes `version ‖ nonce ‖ ciphertext ‖ tag`, bound
//!   by associated data to their [`Place`] (vault id, table, row id, format version).
//! - [`KeyedHasher`]: BLAKE3 keyed hashes, one derived key per purpose, for values an
//!   index must look up without storing them in clear.
//! - [`RecoveryKey`]: a random key a person can type, shown once at vault creation.

use std::fmt;

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// Format version written as the first byte of every sealed value.
pub const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// Longest associated data a [`Place`] may produce (table and row ids are short).
const AAD_MAX: usize = 128;
/// Length of every KDF salt.
pub const SALT_LEN: usize = 16;

/// What can go wrong in this module. None of the messages carry key material or data.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The ciphertext did not authenticate: wrong key, altered bytes, or a value moved
    /// from another place.
    #[error("sealed value failed authentication")]
    Unauthentic,
    /// The sealed value is shorter than its header and tag.
    #[error("sealed value is truncated")]
    Truncated,
    /// The leading version byte is one this build does not know.
    #[error("sealed value has unknown format version {0}")]
    UnknownVersion(u8),
    /// Argon2 parameters below the enforced minimum (m=19 MiB, t=2), or rejected by argon2.
    #[error("key-derivation parameters rejected: {0}")]
    WeakKdf(&'static str),
    /// The argon2 implementation failed.
    #[error("key derivation failed")]
    Kdf,
    /// The operating system's random generator failed.
    #[error("random generator unavailable")]
    Random,
    /// A [`Place`] whose table name and row id are too long to bind.
    #[error("place of a sealed value is too long")]
    PlaceTooLong,
    /// A recovery key that is not well-formed (length, characters or checksum).
    #[error("recovery key is not valid: check every group of four characters")]
    InvalidRecoveryKey,
}

/// Fills `buf` with random bytes from the operating system.
pub fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf).map_err(|_| CryptoError::Random)
}

/// Fresh random bytes, for ids and salts.
pub fn make_random<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}

/// A 256-bit symmetric key. Boxed so moves do not leave copies behind, zeroized on drop,
/// and its `Debug` prints only that it is a key.
pub struct SecretKey(Box<Zeroizing<[u8; 32]>>);

impl SecretKey {
    /// A new random key.
    pub fn make_random() -> Result<Self, CryptoError> {
        let mut key = Box::new(Zeroizing::new([0u8; 32]));
        fill_random(key.as_mut_slice())?;
        Ok(Self(key))
    }

    /// Takes key bytes from a buffer the caller zeroizes; fails on the wrong length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 32 {
            return None;
        }
        let mut key = Box::new(Zeroizing::new([0u8; 32]));
        key.copy_from_slice(bytes);
        Some(Self(key))
    }

    /// Deterministically derives a sub-key for one named purpose.
    pub fn derive_subkey(&self, purpose: &str) -> SecretKey {
        let mut hasher = blake3::Hasher::new_derive_key("safekeep 2026-11 sub-key v1");
        hasher.update(purpose.as_bytes());
        hasher.update(&[0]);
        hasher.update(self.0.as_slice());
        let mut key = Box::new(Zeroizing::new([0u8; 32]));
        hasher.finalize_xof().fill(key.as_mut_slice());
        Self(key)
    }

    /// The raw bytes, for wrapping this key under another one. Crate-private on purpose.
    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// A passphrase typed by a person. Zeroized on drop; never printed.
pub struct Passphrase(SecretString);

impl Passphrase {
    /// Wraps a passphrase. The caller should not keep other copies.
    pub fn new(passphrase: impl Into<String>) -> Self {
        Self(SecretString::from(passphrase.into()))
    }

    /// Whether the passphrase is empty (an empty passphrase is refused at creation).
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    fn bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

impl From<&str> for Passphrase {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// Argon2id parameters, stored beside every key they derive so they can be raised later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Set only by [`KdfParams::insecure_fast_for_tests`]; such a vault is reported by
    /// `check` and must never hold real records.
    pub insecure_test_only: bool,
}

impl KdfParams {
    /// The enforced floor (OWASP's Argon2id minimum): 19 MiB, 2 passes.
    pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
    /// The enforced floor on passes.
    pub const MIN_ITERATIONS: u32 = 2;

    /// The default for new vaults: 64 MiB, 3 passes, 4 lanes.
    pub const fn recommended() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
            insecure_test_only: false,
        }
    }

    /// INSECURE: tiny parameters so test suites can create hundreds of vaults. A vault
    /// created with them remembers it and `check` reports it.
    pub const fn insecure_fast_for_tests() -> Self {
        Self {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            insecure_test_only: true,
        }
    }

    /// Rejects parameters below the floor unless they are the explicit test setting.
    pub fn validate(&self) -> Result<(), CryptoError> {
        if self.insecure_test_only {
            return Ok(());
        }
        if self.memory_kib < Self::MIN_MEMORY_KIB {
            return Err(CryptoError::WeakKdf("memory below 19 MiB"));
        }
        if self.iterations < Self::MIN_ITERATIONS {
            return Err(CryptoError::WeakKdf("fewer than 2 passes"));
        }
        if self.parallelism == 0 {
            return Err(CryptoError::WeakKdf("zero lanes"));
        }
        Ok(())
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::recommended()
    }
}

/// Derives a key-encryption key from a passphrase with Argon2id.
pub fn derive_passphrase_key(
    passphrase: &Passphrase,
    salt: &[u8; SALT_LEN],
    params: &KdfParams,
) -> Result<SecretKey, CryptoError> {
    params.validate()?;
    let argon_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|_| CryptoError::WeakKdf("argon2 refused the parameters"))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut key = Box::new(Zeroizing::new([0u8; 32]));
    argon
        .hash_password_into(passphrase.bytes(), salt, key.as_mut_slice())
        .map_err(|_| CryptoError::Kdf)?;
    Ok(SecretKey(key))
}

/// Where a sealed value lives. Bound into the associated data so that a ciphertext
/// copied to another row or table fails to open.
#[derive(Clone, Copy, Debug)]
pub struct Place<'a> {
    /// Table (or file) name.
    pub table: &'a str,
    /// Row id bytes.
    pub row: &'a [u8],
}

/// Seals and opens values under one key for one vault.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    vault_id: [u8; 16],
}

impl Sealer {
    /// A sealer for `vault_id` under `key`.
    pub fn new(key: &SecretKey, vault_id: [u8; 16]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.expose().into()),
            vault_id,
        }
    }

    /// The associated data, built in a stack buffer: "safekeep/seal" ‖ version ‖
    /// vault id ‖ table (length-prefixed) ‖ row (length-prefixed).
    fn associated_data<'b>(
        &self,
        place: Place<'_>,
        version: u8,
        buf: &'b mut [u8; AAD_MAX],
    ) -> Result<&'b [u8], CryptoError> {
        let parts: [&[u8]; 7] = [
            b"safekeep/seal",
            &[version],
            &self.vault_id,
            &(place.table.len() as u32).to_le_bytes(),
            place.table.as_bytes(),
            &(place.row.len() as u32).to_le_bytes(),
            place.row,
        ];
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total > buf.len() {
            return Err(CryptoError::PlaceTooLong);
        }
        let mut at = 0;
        for part in parts {
            buf[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        Ok(&buf[..total])
    }

    /// Seals `plaintext` for `place` with a fresh random nonce.
    pub fn seal(&self, place: Place<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = make_random()?;
        let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let mut aad = [0u8; AAD_MAX];
        let aad = self.associated_data(place, SEAL_VERSION, &mut aad)?;
        let tag = self
            .cipher
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), aad, &mut out[1 + NONCE_LEN..])
            .map_err(|_| CryptoError::Unauthentic)?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens a value sealed for `place`. The plaintext is zeroized when dropped.
    pub fn open(&self, place: Place<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut out = Zeroizing::new(Vec::new());
        self.open_into(place, sealed, &mut out)?;
        Ok(out)
    }

    /// Opens a value sealed for `place` into `out` (cleared first), so a scan over many
    /// values reuses one buffer. The caller zeroizes `out` when done (a
    /// `Zeroizing<Vec<u8>>` does); on failure `out` is left empty.
    pub fn open_into(
        &self,
        place: Place<'_>,
        sealed: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        out.clear();
        let (&version, rest) = sealed.split_first().ok_or(CryptoError::Truncated)?;
        if version != SEAL_VERSION {
            return Err(CryptoError::UnknownVersion(version));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Truncated);
        }
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut aad = [0u8; AAD_MAX];
        let aad = self.associated_data(place, version, &mut aad)?;
        out.extend_from_slice(ciphertext);
        let opened = self.cipher.decrypt_in_place_detached(
            XNonce::from_slice(nonce),
            aad,
            out,
            Tag::from_slice(tag),
        );
        if opened.is_err() {
            // The buffer holds unauthenticated bytes: never hand them out.
            out.clear();
            return Err(CryptoError::Unauthentic);
        }
        Ok(())
    }

    /// Wraps another key for `place` (a keyslot).
    pub fn wrap_key(&self, place: Place<'_>, key: &SecretKey) -> Result<Vec<u8>, CryptoError> {
        self.seal(place, key.expose())
    }

    /// Unwraps a key sealed by [`Sealer::wrap_key`].
    pub fn unwrap_key(&self, place: Place<'_>, wrapped: &[u8]) -> Result<SecretKey, CryptoError> {
        let bytes = self.open(place, wrapped)?;
        SecretKey::from_slice(&bytes).ok_or(CryptoError::Unauthentic)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(..)")
    }
}

/// Seals `plain` under `key` with a fresh random nonce, binding `aad`:
/// `nonce(24) ‖ ciphertext ‖ tag(16)`. For values that travel (bundles, invites), whose
/// associated data is a whole header rather than a place in this vault.
pub fn seal_detached(key: &SecretKey, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let nonce: [u8; NONCE_LEN] = make_random()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plain);
    let tag = cipher
        .encrypt_in_place_detached(XNonce::from_slice(&nonce), aad, &mut out[NONCE_LEN..])
        .map_err(|_| CryptoError::Unauthentic)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens a value made by [`seal_detached`]. The plaintext is zeroized when dropped.
pub fn open_detached(
    key: &SecretKey,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Truncated);
    }
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut out = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_in_place_detached(
            XNonce::from_slice(nonce),
            aad,
            out.as_mut_slice(),
            Tag::from_slice(tag),
        )
        .map_err(|_| CryptoError::Unauthentic)?;
    Ok(out)
}

/// BLAKE3 keyed hashing with a key derived for one purpose (an index, a table), so the
/// same value hashes differently for two purposes and nobody without the data key can
/// test a guess against the index.
pub struct KeyedHasher {
    key: SecretKey,
}

impl KeyedHasher {
    /// A hasher for `purpose`, its key derived from `data_key`.
    pub fn derive(data_key: &SecretKey, purpose: &str) -> Self {
        Self {
            key: data_key.derive_subkey(&format!("keyed-hash/{purpose}")),
        }
    }

    /// The 32-byte keyed hash of `value`.
    pub fn hash(&self, value: &[u8]) -> [u8; 32] {
        *blake3::keyed_hash(self.key.expose(), value).as_bytes()
    }
}

impl fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedHasher(..)")
    }
}

/// Plain BLAKE3 digest, for integrity checksums of non-secret structures.
pub fn checksum(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RECOVERY_KEY_BYTES: usize = 16;
const RECOVERY_CHECK_BYTES: usize = 4;

/// A 128-bit random key that a person can type: 32 Crockford base32 characters in
/// groups of four, the last seven carrying a checksum so a typo is caught before any
/// unlock attempt. Shown once at vault creation; opens the vault if the passphrase is
/// forgotten.
pub struct RecoveryKey(Zeroizing<[u8; RECOVERY_KEY_BYTES]>);

impl RecoveryKey {
    /// A new random recovery key.
    pub fn make_random() -> Result<Self, CryptoError> {
        let mut key = Zeroizing::new([0u8; RECOVERY_KEY_BYTES]);
        fill_random(key.as_mut_slice())?;
        Ok(Self(key))
    }

    fn check_bytes(key: &[u8]) -> [u8; RECOVERY_CHECK_BYTES] {
        let digest = blake3::derive_key("safekeep 2026-11 recovery checksum", key);
        let mut out = [0u8; RECOVERY_CHECK_BYTES];
        out.copy_from_slice(&digest[..RECOVERY_CHECK_BYTES]);
        out
    }

    /// The key as a person types it: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
    /// The string cannot be zeroized by its receiver; show it and drop it.
    pub fn to_display_string(&self) -> String {
        let mut bytes = Zeroizing::new([0u8; RECOVERY_KEY_BYTES + RECOVERY_CHECK_BYTES]);
        bytes[..RECOVERY_KEY_BYTES].copy_from_slice(self.0.as_slice());
        bytes[RECOVERY_KEY_BYTES..].copy_from_slice(&Self::check_bytes(self.0.as_slice()));
        // 160 bits are exactly 32 five-bit characters.
        let mut out = String::with_capacity(39);
        let mut acc: u64 = 0;
        let mut bits = 0;
        let mut written = 0;
        for byte in bytes.iter() {
            acc = (acc << 8) | u64::from(*byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                if written > 0 && written % 4 == 0 {
                    out.push('-');
                }
                out.push(char::from(CROCKFORD[((acc >> bits) & 31) as usize]));
                written += 1;
            }
        }
        acc.zeroize();
        out
    }

    /// Parses a typed recovery key. Case, spaces and dashes do not matter; `O` reads as
    /// `0` and `I`/`L` as `1`, as in Crockford's base32.
    pub fn parse(typed: &str) -> Result<Self, CryptoError> {
        let mut values = Zeroizing::new(Vec::with_capacity(32));
        for c in typed.chars() {
            let c = c.to_ascii_uppercase();
            let c = match c {
                ' ' | '-' | '\t' | '\n' | '\r' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let v = CROCKFORD
                .iter()
                .position(|&x| char::from(x) == c)
                .ok_or(CryptoError::InvalidRecoveryKey)?;
            values.push(v as u8);
        }
        if values.len() != 32 {
            return Err(CryptoError::InvalidRecoveryKey);
        }
        let mut bytes = Zeroizing::new([0u8; RECOVERY_KEY_BYTES + RECOVERY_CHECK_BYTES]);
        let mut acc: u64 = 0;
        let mut bits = 0;
        let mut at = 0;
        for v in values.iter() {
            acc = (acc << 5) | u64::from(*v);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes[at] = ((acc >> bits) & 0xff) as u8;
                at += 1;
            }
        }
        acc.zeroize();
        let (key, check) = bytes.split_at(RECOVERY_KEY_BYTES);
        if Self::check_bytes(key) != check {
            return Err(CryptoError::InvalidRecoveryKey);
        }
        let mut out = Zeroizing::new([0u8; RECOVERY_KEY_BYTES]);
        out.copy_from_slice(key);
        Ok(Self(out))
    }

    /// The key-encryption key for a recovery keyslot with this salt. The recovery key
    /// carries 128 random bits, so a fast derivation is enough.
    pub fn derive_kek(&self, salt: &[u8; SALT_LEN]) -> SecretKey {
        let mut hasher = blake3::Hasher::new_derive_key("safekeep 2026-11 recovery kek v1");
        hasher.update(salt);
        hasher.update(self.0.as_slice());
        let mut key = Box::new(Zeroizing::new([0u8; 32]));
        hasher.finalize_xof().fill(key.as_mut_slice());
        SecretKey(key)
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&SecretKey::make_random().unwrap(), [7; 16])
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_own_place() {
        let s = sealer();
        let here = Place {
            table: "records",
            row: b"row-1",
        };
        let sealed = s.seal(here, "आशा देवी".as_bytes()).unwrap();
        assert_eq!(&**s.open(here, &sealed).unwrap(), "आशा देवी".as_bytes());
        let other_row = Place {
            table: "records",
            row: b"row-2",
        };
        assert!(matches!(
            s.open(other_row, &sealed),
            Err(CryptoError::Unauthentic)
        ));
        let other_table = Place {
            table: "ops",
            row: b"row-1",
        };
        assert!(matches!(
            s.open(other_table, &sealed),
            Err(CryptoError::Unauthentic)
        ));
        let other_vault = Sealer {
            cipher: s.cipher.clone(),
            vault_id: [8; 16],
        };
        assert!(other_vault.open(here, &sealed).is_err());
    }

    #[test]
    fn every_flipped_bit_is_caught_and_versions_are_checked() {
        let s = sealer();
        let here = Place {
            table: "t",
            row: b"r",
        };
        let sealed = s.seal(here, b"withheld documents").unwrap();
        for i in 1..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                s.open(here, &bad).is_err(),
                "flip at byte {i} went unnoticed"
            );
        }
        let mut future = sealed.clone();
        future[0] = 9;
        assert!(matches!(
            s.open(here, &future),
            Err(CryptoError::UnknownVersion(9))
        ));
        assert!(matches!(
            s.open(here, &sealed[..10]),
            Err(CryptoError::Truncated)
        ));
        assert!(matches!(s.open(here, &[]), Err(CryptoError::Truncated)));
    }

    #[test]
    fn two_seals_of_the_same_value_differ() {
        let s = sealer();
        let here = Place {
            table: "t",
            row: b"r",
        };
        assert_ne!(s.seal(here, b"x").unwrap(), s.seal(here, b"x").unwrap());
    }

    #[test]
    fn weak_kdf_parameters_are_refused_unless_marked_as_test_only() {
        let weak = KdfParams {
            memory_kib: 8 * 1024,
            ..KdfParams::recommended()
        };
        assert!(weak.validate().is_err());
        let one_pass = KdfParams {
            iterations: 1,
            ..KdfParams::recommended()
        };
        assert!(one_pass.validate().is_err());
        assert!(KdfParams::recommended().validate().is_ok());
        assert!(KdfParams::insecure_fast_for_tests().validate().is_ok());
        let salt = [1u8; SALT_LEN];
        let fast = KdfParams::insecure_fast_for_tests();
        let a = derive_passphrase_key(&"one".into(), &salt, &fast).unwrap();
        let b = derive_passphrase_key(&"one".into(), &salt, &fast).unwrap();
        let c = derive_passphrase_key(&"two".into(), &salt, &fast).unwrap();
        assert_eq!(a.expose(), b.expose());
        assert_ne!(a.expose(), c.expose());
    }

    #[test]
    fn keyed_hashes_differ_per_purpose_and_key() {
        let key = SecretKey::make_random().unwrap();
        let names = KeyedHasher::derive(&key, "names");
        let forms = KeyedHasher::derive(&key, "forms");
        assert_eq!(names.hash(b"Asha"), names.hash(b"Asha"));
        assert_ne!(names.hash(b"Asha"), forms.hash(b"Asha"));
        let other = KeyedHasher::derive(&SecretKey::make_random().unwrap(), "names");
        assert_ne!(names.hash(b"Asha"), other.hash(b"Asha"));
    }

    #[test]
    fn a_recovery_key_survives_being_typed_sloppily_and_catches_typos() {
        let key = RecoveryKey::make_random().unwrap();
        let shown = key.to_display_string();
        assert_eq!(shown.len(), 39);
        let sloppy = shown.to_lowercase().replace('-', " ").replace('0', "o");
        let parsed = RecoveryKey::parse(&sloppy).unwrap();
        assert_eq!(parsed.0.as_slice(), key.0.as_slice());
        // Change one character: the checksum notices.
        let mut chars: Vec<char> = shown.chars().collect();
        chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
        let typo: String = chars.into_iter().collect();
        assert!(matches!(
            RecoveryKey::parse(&typo),
            Err(CryptoError::InvalidRecoveryKey)
        ));
        assert!(RecoveryKey::parse("too short").is_err());
        assert!(format!("{key:?}").find(&shown[..4]).is_none());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let key = SecretKey::make_random().unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey(..)");
        let p = Passphrase::new("correct horse");
        assert!(!format!("{p:?}").contains("horse"));
    }
}
