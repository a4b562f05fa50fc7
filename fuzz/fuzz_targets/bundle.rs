//! Bundle decoding: any bytes as a bundle file, and any bytes as the content of an
//! authentic bundle (so decompression, op decoding, the header checks and the merge
//! are reached, not only the authentication failure). Errors are fine; panics, hangs
//! and unbounded allocations are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safekeep_core::crypto::{self, SecretKey};
use safekeep_core::ids::{DeviceId, TeamId};
use safekeep_core::sync::bundle::{self, BundleHeader, OpRange, WireOp};
use safekeep_core::sync::merge::RecordState;
use safekeep_core::sync::{Op, OpBody};

fn key() -> SecretKey {
    SecretKey::from_slice(&[7u8; 32]).unwrap_or_else(|| unreachable!())
}

/// Seals `content` as a bundle the way `docs/bundle-format.md` describes.
fn authentic(header: &BundleHeader, content: &[u8]) -> Vec<u8> {
    let Ok(header_bytes) = postcard::to_allocvec(header) else {
        return Vec::new();
    };
    let mut out = bundle::MAGIC.to_vec();
    out.extend_from_slice(&bundle::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_bytes);
    let Ok(sealed) = crypto::seal_detached(&key().derive_subkey("bundle v1"), &out, content) else {
        return Vec::new();
    };
    out.extend_from_slice(&sealed);
    out
}

fuzz_target!(|data: &[u8]| {
    let key = key();
    let _ = bundle::read_header(data);
    let _ = bundle::open(data, &key);

    let Some((&mode, rest)) = data.split_first() else { return };
    // When the bytes decode as ops, describe them truthfully in the header so the
    // checks pass and the ops reach the merge.
    let ops: Vec<WireOp> = postcard::from_bytes(rest).unwrap_or_default();
    let mut ranges: Vec<OpRange> = Vec::new();
    for op in &ops {
        match ranges.iter_mut().find(|r| r.device == op.id.device) {
            Some(r) => {
                r.first = r.first.min(op.id.seq);
                r.last = r.last.max(op.id.seq);
            }
            None => ranges.push(OpRange { device: op.id.device, first: op.id.seq, last: op.id.seq }),
        }
    }
    let content = if mode & 1 == 0 {
        zstd::bulk::compress(rest, 1).unwrap_or_default()
    } else {
        rest.to_vec()
    };
    let plain_len = if mode & 2 == 0 { rest.len() as u32 } else { u32::from(mode) << 20 };
    let header = BundleHeader {
        team: TeamId([1; 16]),
        epoch: u32::from(mode >> 4),
        device: DeviceId([2; 16]),
        batch: 1,
        created_ms: 0,
        ranges,
        op_count: ops.len() as u32,
        plain_len,
    };
    let bytes = authentic(&header, &content);
    if let Ok((_, opened)) = bundle::open(&bytes, &key) {
        let mut state = RecordState::default();
        for wire in opened {
            if let Ok(body) = postcard::from_bytes::<OpBody>(&wire.body) {
                state.apply_owned(Op {
                    id: wire.id,
                    record: wire.record,
                    stamp: wire.stamp,
                    epoch: wire.epoch,
                    body,
                });
            }
        }
        let _ = state.has_conflict();
    }
});
