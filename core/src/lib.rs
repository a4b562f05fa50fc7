//! The Safekeep core: an encrypted, offline-first vault of case records for
//! anti-trafficking field teams.
//!
//! Start with [`Vault`]: create or open one, then save cases, submissions and service
//! entries through its record methods. Everything on disk is sealed with
//! XChaCha20-Poly1305 under a random data key that only keyslots (passphrase, platform
//! key, recovery key) unwrap. Every change is an op in an append-only log, stamped by a
//! hybrid logical clock, so devices can later merge field by field.
//!
//! ```no_run
//! use safekeep_core::{Answers, FormRef, Passphrase, Value, Vault, VaultOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::path::Path::new("/tmp/example-vault");
//! let (vault, recovery) = Vault::create(dir, &Passphrase::new("a long passphrase"), VaultOptions::default())?;
//! println!("write this down: {}", recovery.to_display_string());
//! let case = vault.create_case(Answers::new())?;
//! let mut answers = Answers::new();
//! answers.insert("name".into(), Value::Text("Asha".into()));
//! let id = vault.add_submission(case, FormRef::new("victim_identification"), answers)?;
//! assert_eq!(vault.get(id)?.answer("name"), Some(&Value::Text("Asha".into())));
//! vault.close()?;
//! # Ok(()) }
//! ```

pub mod crypto;
pub mod forms;
pub mod ids;
pub mod records;
pub mod search;
pub mod store;
pub mod sync;
pub mod vault;

pub use crypto::{KdfParams, Passphrase, RecoveryKey};
pub use ids::{DeviceId, InvalidId, RecordId, VaultId};
pub use records::{
    Answers, Batch, Changes, FieldState, FormRef, Record, RecordError, RecordFilter, RecordKind,
    Value, ValueType,
};
pub use sync::{Clock, Stamp, SystemClock};
pub use vault::{
    CheckReport, KeyProvider, KeyProviderError, Unlock, Vault, VaultError, VaultOptions,
};
