//! The platform key: Android Keystore or the iOS Keychain / Secure Enclave, written in
//! the app. The core hands it a random key-encryption key to wrap once and asks for it
//! back at unlock; the platform never sees the data key. The core calls it without
//! holding the database lock, so an implementation may block on a biometric prompt.

use safekeep_core::{KeyProvider, KeyProviderError};
use zeroize::Zeroizing;

use crate::error::SafekeepError;

/// Implemented by the app over the platform key store.
#[uniffi::export(with_foreign)]
pub trait PlatformKeyProvider: Send + Sync {
    /// Encrypts `secret` with the platform key; the app should wipe nothing (Safekeep
    /// wipes its own copy).
    fn wrap(&self, secret: Vec<u8>) -> Result<Vec<u8>, SafekeepError>;
    /// Decrypts a blob made by `wrap`.
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, SafekeepError>;
}

/// The app's provider as the core's `KeyProvider`.
pub(crate) struct Foreign<'a>(pub(crate) &'a dyn PlatformKeyProvider);

fn provider_error(err: SafekeepError) -> KeyProviderError {
    let reason = match err {
        SafekeepError::KeyStore { detail } => detail,
        other => other.to_string(),
    };
    KeyProviderError { reason }
}

impl KeyProvider for Foreign<'_> {
    fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, KeyProviderError> {
        // The copy handed over is the app's to keep or drop; ours is wiped.
        let copy = Zeroizing::new(secret.to_vec());
        self.0.wrap(copy.to_vec()).map_err(provider_error)
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyProviderError> {
        self.0
            .unwrap_key(wrapped.to_vec())
            .map(Zeroizing::new)
            .map_err(provider_error)
    }
}
