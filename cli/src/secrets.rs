//! Passphrases, recovery keys and invite secrets: from the environment (for scripts) or
//! a hidden prompt.

use safekeep_core::sync::InviteSecret;
use safekeep_core::{Passphrase, RecoveryKey};
use zeroize::Zeroizing;

use crate::Failure;

fn read(var: &str, prompt: &str) -> Result<Zeroizing<String>, Failure> {
    if let Ok(value) = std::env::var(var) {
        return Ok(Zeroizing::new(value));
    }
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|_| Failure::new(format!("no terminal to ask on: set {var}")))
}

/// An existing passphrase.
pub fn passphrase(var: &str, prompt: &str) -> Result<Passphrase, Failure> {
    Ok(Passphrase::new(read(var, prompt)?.as_str()))
}

/// A new passphrase: asked twice when typed, refused when empty.
pub fn new_passphrase(var: &str, prompt: &str) -> Result<Passphrase, Failure> {
    let first = read(var, prompt)?;
    if std::env::var_os(var).is_none() {
        let again = read(var, "Again: ")?;
        if *again != *first {
            return Err(Failure::new("the two entries differ"));
        }
    }
    if first.is_empty() {
        return Err(Failure::new("the passphrase must not be empty"));
    }
    Ok(Passphrase::new(first.as_str()))
}

/// The recovery key, from SAFEKEEP_RECOVERY_KEY or a prompt.
pub fn recovery_key() -> Result<RecoveryKey, Failure> {
    let typed = read("SAFEKEEP_RECOVERY_KEY", "Recovery key: ")?;
    RecoveryKey::parse(&typed).map_err(|e| Failure::new(e.to_string()))
}

/// An invite's one-time secret, from SAFEKEEP_INVITE_SECRET or a prompt.
pub fn invite_secret() -> Result<InviteSecret, Failure> {
    let typed = read("SAFEKEEP_INVITE_SECRET", "Invite secret: ")?;
    Ok(InviteSecret::parse(&typed)?)
}
