//! Bundles: ops sealed under the team key for carrying between devices (a file on a
//! USB stick or SD card, a nearby share, the sync server). The byte format is in
//! `docs/bundle-format.md`; in short:
//!
//! ```text
//! "SKBD" | format u16 LE | header length u32 LE | header (postcard)
//!        | nonce (24) | XChaCha20-Poly1305( zstd( postcard(ops) ) ) | tag (16)
//! ```
//!
//! Everything before the nonce is the associated data, so an edited header (another
//! device, epoch, team or range) fails authentication like an edited op. Decoding is
//! pure (no vault), bounded (the plaintext length is checked before decompression
//! and capped), and checks the ops against the header before anything is applied.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::SyncError;
use crate::crypto::{self, CryptoError, SecretKey};
use crate::ids::{DeviceId, RecordId, TeamId};
use crate::sync::{OpId, Stamp};

/// The first four bytes of every bundle.
pub const MAGIC: &[u8; 4] = b"SKBD";
/// The format this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Bundles are split so that each is at most about this size (4 MiB): small enough to
/// resume on a slow link and to import within the memory budget of a cheap phone.
pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;
/// The largest plaintext a bundle may declare (64 MiB); anything larger is refused
/// before decompression.
pub const MAX_PLAIN_BYTES: u32 = 64 * 1024 * 1024;
/// The largest header accepted (64 KiB).
const MAX_HEADER_BYTES: u32 = 64 * 1024;
const PREAMBLE: usize = 4 + 2 + 4;
const ZSTD_LEVEL: i32 = 3;

/// The ops of one device carried in a bundle: sequence numbers `first..=last` (some
/// may be absent when the exporter itself lacks them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRange {
    /// The device that made the ops.
    pub device: DeviceId,
    /// Lowest sequence number carried.
    pub first: u64,
    /// Highest sequence number carried.
    pub last: u64,
}

/// A bundle's header: readable without the key, bound to the sealed ops as associated
/// data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    /// The team whose key seals the ops.
    pub team: TeamId,
    /// The key epoch used.
    pub epoch: u32,
    /// The device that made the bundle.
    pub device: DeviceId,
    /// That device's bundle number (1, 2, 3, ...): with `device`, identifies the bundle.
    pub batch: u64,
    /// When the bundle was made (the exporter's clock, milliseconds since the epoch).
    pub created_ms: u64,
    /// Per device, the range of ops carried.
    pub ranges: Vec<OpRange>,
    /// How many ops are carried.
    pub op_count: u32,
    /// The length of the compressed-then-sealed plaintext once decompressed.
    pub plain_len: u32,
}

/// An op as it travels: its id, record and stamp readable by every version, its body
/// encoded separately so that a body from a newer version (an op kind or value type
/// this build does not know) is kept and passed on rather than dropped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireOp {
    /// The op's id.
    pub id: OpId,
    /// The record it changes.
    pub record: RecordId,
    /// Its stamp.
    pub stamp: Stamp,
    /// The key epoch it was made in.
    pub epoch: u32,
    /// The postcard encoding of its body.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
}

impl WireOp {
    /// Bytes this op adds to a bundle's plaintext (before compression), roughly.
    pub fn encoded_len(&self) -> usize {
        16 + 10 + 16 + 10 + 4 + 16 + 5 + self.body.len()
    }
}

fn bundle_key(team_key: &SecretKey) -> SecretKey {
    team_key.derive_subkey("bundle v1")
}

/// Seals `ops` into one bundle. `header.ranges`, `op_count` and `plain_len` are
/// filled in from the ops; the header as written is returned with the bytes.
pub fn seal(
    mut header: BundleHeader,
    ops: &[WireOp],
    team_key: &SecretKey,
) -> Result<(BundleHeader, Vec<u8>), SyncError> {
    let mut ranges: BTreeMap<DeviceId, (u64, u64)> = BTreeMap::new();
    for op in ops {
        let r = ranges.entry(op.id.device).or_insert((op.id.seq, op.id.seq));
        r.0 = r.0.min(op.id.seq);
        r.1 = r.1.max(op.id.seq);
    }
    header.ranges = ranges
        .into_iter()
        .map(|(device, (first, last))| OpRange {
            device,
            first,
            last,
        })
        .collect();
    header.op_count = u32::try_from(ops.len())
        .map_err(|_| SyncError::Inconsistent("too many ops for one bundle"))?;
    let plain = Zeroizing::new(
        postcard::to_allocvec(ops).map_err(|_| SyncError::Inconsistent("ops cannot be encoded"))?,
    );
    header.plain_len = u32::try_from(plain.len())
        .ok()
        .filter(|n| *n <= MAX_PLAIN_BYTES)
        .ok_or(SyncError::Inconsistent("the bundle is too large; split it"))?;
    let compressed = Zeroizing::new(
        zstd::bulk::compress(&plain, ZSTD_LEVEL)
            .map_err(|_| SyncError::Inconsistent("compression failed"))?,
    );
    let header_bytes = postcard::to_allocvec(&header)
        .map_err(|_| SyncError::Inconsistent("the header cannot be encoded"))?;
    let mut out = Vec::with_capacity(PREAMBLE + header_bytes.len() + compressed.len() + 40);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_bytes);
    let sealed = crypto::seal_detached(&bundle_key(team_key), &out, &compressed)?;
    out.extend_from_slice(&sealed);
    Ok((header, out))
}

/// Splits a bundle into its associated data, header and sealed part, without the key.
fn split(bytes: &[u8]) -> Result<(&[u8], BundleHeader, &[u8]), SyncError> {
    if bytes.len() < PREAMBLE {
        return Err(SyncError::MalformedBundle(
            "it is shorter than a bundle header",
        ));
    }
    if &bytes[..4] != MAGIC {
        return Err(SyncError::MalformedBundle(
            "it does not start like a bundle",
        ));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != FORMAT_VERSION {
        return Err(SyncError::UnsupportedBundle(version));
    }
    let header_len = u32::from_le_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]);
    if header_len > MAX_HEADER_BYTES {
        return Err(SyncError::MalformedBundle("the header is too long"));
    }
    let end = PREAMBLE + header_len as usize;
    if bytes.len() < end {
        return Err(SyncError::MalformedBundle("it is cut short"));
    }
    let header: BundleHeader = postcard::from_bytes(&bytes[PREAMBLE..end])
        .map_err(|_| SyncError::MalformedBundle("the header cannot be read"))?;
    Ok((&bytes[..end], header, &bytes[end..]))
}

/// Reads a bundle's header without opening it (to find its team and key epoch).
pub fn read_header(bytes: &[u8]) -> Result<BundleHeader, SyncError> {
    Ok(split(bytes)?.1)
}

/// Opens a bundle with the team key of its epoch and checks its ops against the
/// header: count, ranges, no duplicate ids, each op stamped by its own device, no op
/// from a later epoch than the bundle's.
pub fn open(bytes: &[u8], team_key: &SecretKey) -> Result<(BundleHeader, Vec<WireOp>), SyncError> {
    let (aad, header, sealed) = split(bytes)?;
    if header.plain_len > MAX_PLAIN_BYTES {
        return Err(SyncError::MalformedBundle(
            "it declares too large a content",
        ));
    }
    let compressed =
        crypto::open_detached(&bundle_key(team_key), aad, sealed).map_err(|e| match e {
            CryptoError::Truncated => SyncError::MalformedBundle("it is cut short"),
            _ => SyncError::Unauthentic,
        })?;
    let plain = Zeroizing::new(
        zstd::bulk::decompress(&compressed, header.plain_len as usize)
            .map_err(|_| SyncError::Inconsistent("the content does not decompress"))?,
    );
    if plain.len() != header.plain_len as usize {
        return Err(SyncError::Inconsistent(
            "the content length differs from the header",
        ));
    }
    let ops: Vec<WireOp> = postcard::from_bytes(&plain)
        .map_err(|_| SyncError::Inconsistent("the ops cannot be read"))?;
    check(&header, &ops)?;
    Ok((header, ops))
}

fn check(header: &BundleHeader, ops: &[WireOp]) -> Result<(), SyncError> {
    if ops.len() != header.op_count as usize {
        return Err(SyncError::Inconsistent(
            "the op count differs from the header",
        ));
    }
    let mut ranges: BTreeMap<DeviceId, (u64, u64)> = BTreeMap::new();
    for r in &header.ranges {
        if r.first == 0 || r.first > r.last || ranges.insert(r.device, (r.first, r.last)).is_some()
        {
            return Err(SyncError::Inconsistent(
                "the header's op ranges are malformed",
            ));
        }
    }
    let mut ids = std::collections::HashSet::with_capacity(ops.len());
    for op in ops {
        let Some((first, last)) = ranges.get(&op.id.device) else {
            return Err(SyncError::Inconsistent(
                "an op's device is not in the header",
            ));
        };
        if op.id.seq < *first || op.id.seq > *last {
            return Err(SyncError::Inconsistent(
                "an op lies outside the header's range",
            ));
        }
        if op.stamp.device != op.id.device {
            return Err(SyncError::Inconsistent(
                "an op is stamped by another device",
            ));
        }
        if op.epoch > header.epoch {
            return Err(SyncError::Inconsistent("an op is from a later key epoch"));
        }
        if !ids.insert(op.id) {
            return Err(SyncError::Inconsistent("an op appears twice"));
        }
    }
    Ok(())
}

/// Splits `ops` (in order) into runs whose encoded size stays under `max_bytes`,
/// each run at least one op.
pub fn split_runs(ops: &[WireOp], max_bytes: usize) -> Vec<&[WireOp]> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, op) in ops.iter().enumerate() {
        let len = op.encoded_len();
        if i > start && size + len > max_bytes {
            runs.push(&ops[start..i]);
            start = i;
            size = 0;
        }
        size += len;
    }
    if start < ops.len() {
        runs.push(&ops[start..]);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> BundleHeader {
        BundleHeader {
            team: TeamId([1; 16]),
            epoch: 1,
            device: DeviceId([2; 16]),
            batch: 1,
            created_ms: 0,
            ranges: vec![],
            op_count: 0,
            plain_len: 0,
        }
    }

    fn op(seq: u64) -> WireOp {
        let device = DeviceId([2; 16]);
        WireOp {
            id: OpId { device, seq },
            record: RecordId([3; 16]),
            stamp: Stamp {
                wall_ms: seq,
                counter: 0,
                device,
            },
            epoch: 1,
            body: vec![7; 40],
        }
    }

    #[test]
    fn a_sealed_bundle_opens_and_any_change_is_refused() {
        let key = SecretKey::make_random().unwrap();
        let ops: Vec<WireOp> = (1..=5).map(op).collect();
        let (sealed_header, bytes) = seal(header(), &ops, &key).unwrap();
        let (h, opened) = open(&bytes, &key).unwrap();
        assert_eq!(opened, ops);
        assert_eq!(h.op_count, 5);
        assert_eq!(h, sealed_header);
        assert_eq!(h.ranges[0].first, 1);
        assert_eq!(h.ranges[0].last, 5);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(open(&bad, &key).is_err(), "flipped byte {i} was accepted");
        }
        for len in 0..bytes.len() {
            assert!(open(&bytes[..len], &key).is_err());
        }
        let other = SecretKey::make_random().unwrap();
        assert!(matches!(open(&bytes, &other), Err(SyncError::Unauthentic)));
    }

    #[test]
    fn runs_respect_the_size_limit() {
        let ops: Vec<WireOp> = (1..=100).map(op).collect();
        let one = ops[0].encoded_len();
        let runs = split_runs(&ops, one * 10);
        assert_eq!(runs.len(), 10);
        assert!(runs.iter().all(|r| r.len() == 10));
        assert_eq!(split_runs(&ops, 1).len(), 100);
    }
}
