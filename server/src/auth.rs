//! Device authentication: every request after enrollment is signed with the device's
//! Ed25519 key over method, path, body hash, time and nonce. Stale times and reused
//! nonces are refused, so a captured request cannot be replayed.

use axum::http::{HeaderMap, StatusCode};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::ApiError;
use crate::protocol::{self, MAX_SKEW_MS};
use crate::storage::{Device, Id, Storage};

/// The signature headers of a request, parsed.
pub struct Signed {
    /// The device claimed.
    pub device: Id,
    time_ms: u64,
    nonce: [u8; 16],
    nonce_hex: String,
    signature: Signature,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::unauthenticated(
            "the request is not signed (x-safekeep-* headers missing)",
        ))
}

fn hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Hex digits to a fixed-size array (ids, keys, hashes in JSON bodies).
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    hex_array(text)
}

impl Signed {
    /// Reads the signature headers (nothing is checked yet).
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let bad = ApiError::unauthenticated("the request's signature headers are malformed");
        let device = hex_array::<16>(header(headers, protocol::DEVICE)?).ok_or(bad.clone())?;
        let time_ms = header(headers, protocol::TIME)?
            .parse::<u64>()
            .map_err(|_| bad.clone())?;
        let nonce_hex = header(headers, protocol::NONCE)?.to_ascii_lowercase();
        let nonce = hex_array::<16>(&nonce_hex).ok_or(bad.clone())?;
        let signature = hex_array::<64>(header(headers, protocol::SIGNATURE)?).ok_or(bad)?;
        Ok(Self {
            device,
            time_ms,
            nonce,
            nonce_hex,
            signature: Signature::from_bytes(&signature),
        })
    }

    /// Checks the signature against `key`, the time against the server's clock, and
    /// that the nonce is new (recording it).
    pub fn verify(
        &self,
        key: &[u8; 32],
        storage: &dyn Storage,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now_ms: u64,
    ) -> Result<(), ApiError> {
        let key = VerifyingKey::from_bytes(key)
            .map_err(|_| ApiError::bad_request("the public key is not an Ed25519 key"))?;
        let text =
            protocol::signed_text(method, path_and_query, body, self.time_ms, &self.nonce_hex);
        key.verify_strict(text.as_bytes(), &self.signature)
            .map_err(|_| ApiError::unauthenticated("the signature does not match the request"))?;
        if self.time_ms.abs_diff(now_ms) > MAX_SKEW_MS {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "stale",
                "the request time is more than 5 minutes from the server's clock",
            ));
        }
        // Nonces are kept for twice the window: any request old enough to be forgotten
        // is refused as stale.
        let forget_before = now_ms.saturating_sub(2 * MAX_SKEW_MS);
        if !storage.use_nonce(&self.device, &self.nonce, now_ms, forget_before)? {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "replayed",
                "this request was already received",
            ));
        }
        Ok(())
    }
}

/// Authenticates a request from an enrolled device: known, signed, fresh, not revoked.
pub fn device(
    storage: &dyn Storage,
    headers: &HeaderMap,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now_ms: u64,
) -> Result<Device, ApiError> {
    let signed = Signed::from_headers(headers)?;
    let device = storage
        .device(&signed.device)?
        .ok_or(ApiError::unauthenticated("this device is not enrolled"))?;
    signed.verify(
        &device.public_key,
        storage,
        method,
        path_and_query,
        body,
        now_ms,
    )?;
    if device.revoked_ms.is_some() {
        return Err(ApiError::new(
            StatusCode::GONE,
            "revoked",
            "this device was removed from its team: wipe its data",
        ));
    }
    Ok(device)
}
