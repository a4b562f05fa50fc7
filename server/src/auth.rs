//! Device authentication: every request after enrollment is signed with the device's
//! Ed25519 key over method, path, body hash, time and nonce. Stale times and reused
//! nonces are refused, so a captured request cannot be replayed.

use axum::http::{HeaderMap, StatusCode};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::ApiError;
use crate::protocol::{self, MAX_SKEW_MS};
use crate::storage::{Device, Id, Identity, Storage};

/// The signature headers of a request, parsed.
pub struct Signed {
    /// The device claimed.
    pub device: Id,
    device_hex: String,
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

/// Bytes as lowercase hex, as the API writes them.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    // Lower-case hex only: what is parsed is exactly what was signed.
    if text.len() != N * 2 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
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

/// Hex digits (lower case, even length) to bytes.
pub fn parse_hex_vec(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2)
        || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect()
}

impl Signed {
    /// Reads the signature headers (nothing is checked yet).
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let bad = ApiError::unauthenticated("the request's signature headers are malformed");
        let device_hex = header(headers, protocol::DEVICE)?.to_owned();
        let device = hex_array::<16>(&device_hex).ok_or(bad.clone())?;
        let time_text = header(headers, protocol::TIME)?;
        let time_ms = time_text.parse::<u64>().map_err(|_| bad.clone())?;
        if time_ms.to_string() != time_text {
            return Err(bad);
        }
        let nonce_hex = header(headers, protocol::NONCE)?.to_owned();
        let nonce = hex_array::<16>(&nonce_hex).ok_or(bad.clone())?;
        let signature = hex_array::<64>(header(headers, protocol::SIGNATURE)?).ok_or(bad)?;
        Ok(Self {
            device,
            device_hex,
            time_ms,
            nonce,
            nonce_hex,
            signature: Signature::from_bytes(&signature),
        })
    }

    /// Checks the signature against `key` and the time against the server's clock.
    /// Nothing is written.
    pub fn check(
        &self,
        key: &[u8; 32],
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now_ms: u64,
    ) -> Result<(), ApiError> {
        let key = VerifyingKey::from_bytes(key)
            .map_err(|_| ApiError::bad_request("the public key is not an Ed25519 key"))?;
        let text = protocol::signed_text(
            &self.device_hex,
            method,
            path_and_query,
            body,
            self.time_ms,
            &self.nonce_hex,
        );
        key.verify_strict(text.as_bytes(), &self.signature)
            .map_err(|_| ApiError::unauthenticated("the signature does not match the request"))?;
        if self.time_ms.abs_diff(now_ms) > MAX_SKEW_MS {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "stale",
                "the request time is more than 5 minutes from the server's clock",
            ));
        }
        Ok(())
    }

    /// Records the nonce; refuses a request already received. Call after [`check`]
    /// (and after any cheaper refusal), so that only signed requests write.
    ///
    /// [`check`]: Signed::check
    pub fn use_nonce(&self, storage: &dyn Storage, now_ms: u64) -> Result<(), ApiError> {
        if !storage.use_nonce(
            &self.device,
            &self.nonce,
            now_ms,
            forget_nonces_before(now_ms),
        )? {
            return Err(REPLAYED);
        }
        Ok(())
    }
}

/// The revocation answer: the instruction to wipe, and nothing else.
pub const REVOKED: ApiError = ApiError::new(
    StatusCode::GONE,
    "revoked",
    "this device was removed from its team: wipe its data",
);

/// What a request is, for checking its signature.
pub struct Request<'a> {
    /// Its headers (the signature's among them).
    pub headers: &'a HeaderMap,
    /// Its method.
    pub method: &'a str,
    /// Its path and query.
    pub path_and_query: &'a str,
    /// Its body.
    pub body: &'a [u8],
}

fn not_enrolled() -> ApiError {
    ApiError::unauthenticated("this device is not enrolled")
}

/// Checks the signature of `request` with `key` (known, signed, fresh) and takes one
/// request from the device's rate budget (`allow`).
fn signed_by(
    signed: &Signed,
    key: &[u8; 32],
    request: &Request,
    now_ms: u64,
    allow: impl FnOnce(&Id) -> bool,
) -> Result<(), ApiError> {
    signed.check(
        key,
        request.method,
        request.path_and_query,
        request.body,
        now_ms,
    )?;
    if !allow(&signed.device) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this device; retry shortly",
        ));
    }
    Ok(())
}

/// The answer to a removed device: the instruction to wipe, with the coordinator's
/// signed removal.
pub fn revoked(device: &Device) -> ApiError {
    ApiError {
        proof: device.revocation.as_deref().map(hex),
        ..REVOKED
    }
}

/// Authenticates a request from an enrolled device: known, signed, fresh, within its
/// rate (`allow`), not replayed, not revoked. Only then is anything written.
pub fn device(
    storage: &dyn Storage,
    request: &Request,
    now_ms: u64,
    allow: impl FnOnce(&Id) -> bool,
) -> Result<Device, ApiError> {
    let signed = Signed::from_headers(request.headers)?;
    let device = storage.device(&signed.device)?.ok_or_else(not_enrolled)?;
    signed_by(&signed, &device.public_key, request, now_ms, allow)?;
    signed.use_nonce(storage, now_ms)?;
    if device.revoked_ms.is_some() {
        return Err(revoked(&device));
    }
    Ok(device)
}

/// Authenticates a push like [`device`], from the device's [`Identity`] (which a
/// store may hold in memory), and leaves two checks to the push's own transaction:
/// the nonce (recorded with the bundle: one commit, not two) and revocation.
pub fn pusher(
    storage: &dyn Storage,
    request: &Request,
    now_ms: u64,
    allow: impl FnOnce(&Id) -> bool,
) -> Result<(Identity, [u8; 16]), ApiError> {
    let signed = Signed::from_headers(request.headers)?;
    let identity = storage.identity(&signed.device)?.ok_or_else(not_enrolled)?;
    signed_by(&signed, &identity.public_key, request, now_ms, allow)?;
    Ok((identity, signed.nonce))
}

/// When a nonce recorded now may be forgotten: twice the time window, so that any
/// request old enough to be forgotten is refused as stale.
pub fn forget_nonces_before(now_ms: u64) -> u64 {
    now_ms.saturating_sub(2 * MAX_SKEW_MS)
}

/// The answer to a nonce the device already used.
pub const REPLAYED: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "replayed",
    "this request was already received",
);
