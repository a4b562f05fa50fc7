//! The wire contract shared with devices (`docs/server-protocol.md`): header names,
//! what a signature covers, and the limits a request must keep.

/// Header: the requesting device's id (32 hex digits).
pub const DEVICE: &str = "x-safekeep-device";
/// Header: the request time, milliseconds since the Unix epoch.
pub const TIME: &str = "x-safekeep-time";
/// Header: 16 random bytes (32 hex digits), never reused by a device.
pub const NONCE: &str = "x-safekeep-nonce";
/// Header: Ed25519 signature (128 hex digits) over [`signed_text`].
pub const SIGNATURE: &str = "x-safekeep-signature";

/// How far a request's time may be from the server's clock.
pub const MAX_SKEW_MS: u64 = 5 * 60 * 1000;

/// The exact text a device signs for one request: a domain tag, the device id, the
/// method, the path with its query, the BLAKE3 of the body, the time and the nonce, one
/// per line. The time is decimal without leading zeros, ids and nonce lower-case hex.
pub fn signed_text(
    device_hex: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    time_ms: u64,
    nonce: &str,
) -> String {
    format!(
        "safekeep-request-v1\n{device_hex}\n{method}\n{path_and_query}\n{}\n{time_ms}\n{nonce}",
        blake3::hash(body).to_hex()
    )
}

/// Longest validity of an enrollment token.
pub const MAX_ENROLLMENT_MS: u64 = 30 * 24 * 60 * 60 * 1000;

/// The hash under which an enrollment or operator token is stored (the token itself
/// is never kept).
pub fn token_hash(token: &[u8]) -> [u8; 32] {
    blake3::derive_key("safekeep 2026-11 server token", token)
}
