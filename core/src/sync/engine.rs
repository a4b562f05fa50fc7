//! The sync seam. Every transport (bundle files now, the sync server next) is a caller
//! of the same five steps, and none of them is a special case inside the store:
//!
//! 1. [`Vault::summary`]: what this vault holds, per device the sequence number up to
//!    which it has every op (a gap left by a missing bundle stops the count);
//! 2. [`Vault::outgoing`]: the ops another side lacks, given its summary, in chunks of
//!    a byte budget;
//! 3. [`Vault::stage`]: received ops decoded and checked, nothing written;
//! 4. [`Vault::apply`]: staged ops applied in one transaction (ops already here are
//!    skipped, so applying twice changes nothing);
//! 5. [`Vault::mark_delivered`] / [`Vault::delivered`]: what a named peer is known to
//!    hold, so the next round sends only the rest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::bundle::{self, BundleHeader, WireOp};
use super::op::{FieldSet, Resolution};
use super::team;
use super::{Op, OpBody, OpId, SyncError};
use crate::crypto::{self, KeyedHasher, Place, SecretKey};
use crate::ids::{DeviceId, TeamId};
use crate::records::{Applied, Batch, Value, check_name, run_batch, sealed};
use crate::store::{OpRow, Store, StoreError};
use crate::vault::{Unlocked, Vault};

const SUMMARY_PREFIX: &str = "SKSUM1:";

/// What a vault holds: per device, every op up to this sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Per device, the highest sequence number up to which every op is held.
    pub marks: BTreeMap<DeviceId, u64>,
}

impl Summary {
    /// Whether the op is covered by this summary.
    pub fn covers(&self, id: OpId) -> bool {
        self.marks.get(&id.device).is_some_and(|m| *m >= id.seq)
    }

    /// Total ops covered.
    pub fn op_count(&self) -> u64 {
        self.marks.values().sum()
    }
}

/// A chunk of ops another side lacks.
#[derive(Clone, Debug, Default)]
pub struct Outgoing {
    /// The ops, in device then sequence order.
    pub ops: Vec<WireOp>,
    /// Pass this as `theirs` to get the next chunk.
    pub next: Summary,
    /// Whether more chunks follow.
    pub more: bool,
}

/// Received ops, decoded and checked, not yet written.
#[derive(Debug, Default)]
pub struct Staged {
    ops: Vec<Op>,
    held: Vec<WireOp>,
    own_unknown: u64,
    /// Highest sequence number among them.
    own_unknown_max: u64,
}

impl Staged {
    /// How many ops are staged (readable and held).
    pub fn len(&self) -> usize {
        self.ops.len() + self.held.len()
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What applying received ops did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Ops received.
    pub received: u64,
    /// Of those, new to this vault and applied.
    pub applied: u64,
    /// Already here (skipped).
    pub duplicates: u64,
    /// From a newer version this build cannot read: kept and passed on, not applied.
    pub held: u64,
    /// Records changed.
    pub records: u64,
    /// Records left with an open conflict.
    pub conflicted: u64,
    /// Ops stamped more than an hour ahead of this device's clock (a phone with a
    /// wrong date). Applied unchanged; reported so someone fixes that phone's clock.
    pub ahead: u64,
    /// Ops in this device's name that it has no record of making: made by a copy of
    /// this vault on another phone, or before this vault was restored from a backup.
    /// Applied like the rest (every device must hold the same ops), and this device's
    /// numbering skips past them so its next ops are never mistaken for them. Worth
    /// reporting: two phones may be sharing one vault.
    pub own_unknown: u64,
}

impl SyncReport {
    pub(crate) fn absorb(&mut self, other: SyncReport) {
        self.received += other.received;
        self.held += other.held;
        self.own_unknown += other.own_unknown;
        self.add(Applied {
            new_ops: other.applied,
            duplicates: other.duplicates,
            records: other.records,
            conflicted: other.conflicted,
            ahead: other.ahead,
        });
    }

    fn add(&mut self, applied: Applied) {
        self.applied += applied.new_ops;
        self.duplicates += applied.duplicates;
        self.records += applied.records;
        self.conflicted += applied.conflicted;
        self.ahead += applied.ahead;
    }
}

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Bundles written.
    pub bundles: u64,
    /// Ops in them.
    pub ops: u64,
    /// Their total size.
    pub bytes: u64,
}

fn summary_aad(team: TeamId, epoch: u32) -> Vec<u8> {
    let mut aad = b"safekeep summary v1".to_vec();
    aad.extend_from_slice(team.as_bytes());
    aad.extend_from_slice(&epoch.to_be_bytes());
    aad
}

pub(crate) fn held_place(id: &[u8; 24]) -> Place<'_> {
    Place {
        table: "held_ops",
        row: id,
    }
}

fn peer_tag(u: &Unlocked, peer: &str) -> [u8; 32] {
    KeyedHasher::derive(&u.data_key, "sync.peer").hash(peer.as_bytes())
}

fn summary_of(u: &Unlocked) -> Result<Summary, SyncError> {
    let conn = u.store.conn();
    let mut marks = BTreeMap::new();
    for raw in Store::devices(conn)? {
        let device = DeviceId::from_slice(&raw)
            .map_err(|_| StoreError::Corrupt("a device id is not 16 bytes".into()))?;
        let mark = Store::contiguous_seq(conn, &raw)?;
        if mark > 0 {
            marks.insert(device, mark);
        }
    }
    Ok(Summary { marks })
}

fn to_wire(op: &Op) -> Result<WireOp, SyncError> {
    Ok(WireOp {
        id: op.id,
        record: op.record,
        stamp: op.stamp,
        epoch: op.epoch,
        body: postcard::to_allocvec(&op.body)
            .map_err(|_| SyncError::Inconsistent("an op cannot be encoded"))?,
    })
}

fn outgoing_of(u: &Unlocked, theirs: &Summary, max_bytes: usize) -> Result<Outgoing, SyncError> {
    let conn = u.store.conn();
    let mut devices: Vec<Vec<u8>> = Store::devices(conn)?;
    devices.sort();
    let held = Store::held_ops(conn)?;
    let mut out = Outgoing {
        next: theirs.clone(),
        ..Outgoing::default()
    };
    let mut size = 0usize;
    let mut scratch = Zeroizing::new(Vec::new());
    // Adds one op unless the budget is spent (at least one op goes in every chunk);
    // false once full.
    let mut take = |out: &mut Outgoing, wire: WireOp| -> bool {
        if size >= max_bytes && !out.ops.is_empty() {
            out.more = true;
            return false;
        }
        size += wire.encoded_len();
        out.next.marks.insert(wire.id.device, wire.id.seq);
        out.ops.push(wire);
        true
    };
    for raw in devices {
        let device = DeviceId::from_slice(&raw)
            .map_err(|_| StoreError::Corrupt("a device id is not 16 bytes".into()))?;
        let after = theirs.marks.get(&device).copied().unwrap_or(0);
        // Held ops (from a newer build) and logged ops, merged in sequence order, so
        // the marks advance past both and every chunk is within the budget.
        let mut held_here = held
            .iter()
            .filter(|h| h.device == raw && h.seq > after)
            .peekable();
        let mut full = false;
        Store::for_each_op_after(conn, &raw, after, |view| {
            while let Some(row) = held_here.next_if(|h| h.seq < view.seq) {
                if !take(&mut out, open_held(u, device, row)?) {
                    full = true;
                    return Ok(false);
                }
            }
            let op = sealed::open_op(&u.sealer, view, &mut scratch)?;
            if !take(&mut out, to_wire(&op)?) {
                full = true;
                return Ok(false);
            }
            Ok::<_, SyncError>(true)
        })?;
        if !full {
            for row in held_here {
                if !take(&mut out, open_held(u, device, row)?) {
                    full = true;
                    break;
                }
            }
        }
        if full {
            break;
        }
    }
    Ok(out)
}

fn open_held(u: &Unlocked, device: DeviceId, row: &OpRow) -> Result<WireOp, SyncError> {
    let id = OpId {
        device,
        seq: row.seq,
    };
    let plain = u
        .sealer
        .open(held_place(&id.to_bytes()), &row.body)
        .map_err(|_| {
            SyncError::Store(StoreError::Corrupt(
                "a held op failed authentication".into(),
            ))
        })?;
    postcard::from_bytes(&plain)
        .map_err(|_| SyncError::Store(StoreError::Corrupt("a held op".into())))
}

fn stage_in(u: &Unlocked, ops: Vec<WireOp>) -> Result<Staged, SyncError> {
    stage_ops(u.device, u.next_seq, ops)
}

/// Most bases one field write may name, and most stamps a delete may have seen:
/// far above anything a device writes, low enough that a forged op cannot make every
/// device that merges it hold millions of stamps.
const MAX_BASES: usize = 4096;
const MAX_SEEN: usize = 1 << 20;

fn stage_ops(device: DeviceId, next_seq: u64, ops: Vec<WireOp>) -> Result<Staged, SyncError> {
    let mut staged = Staged::default();
    for wire in ops {
        if wire.id.seq == 0 || i64::try_from(wire.id.seq).is_err() {
            return Err(SyncError::Inconsistent(
                "an op's sequence number is out of range",
            ));
        }
        if wire.stamp.device != wire.id.device {
            return Err(SyncError::Inconsistent(
                "an op's id does not match its stamp",
            ));
        }
        if wire.id.device == device && wire.id.seq >= next_seq {
            staged.own_unknown += 1;
            staged.own_unknown_max = staged.own_unknown_max.max(wire.id.seq);
        }
        match postcard::from_bytes::<OpBody>(&wire.body) {
            Ok(body) => {
                check_body(&body)?;
                staged.ops.push(Op {
                    id: wire.id,
                    record: wire.record,
                    stamp: wire.stamp,
                    epoch: wire.epoch,
                    body,
                })
            }
            Err(_) => staged.held.push(wire),
        }
    }
    Ok(staged)
}

/// The limits a device applies to its own writes, applied to received ops.
fn check_body(body: &OpBody) -> Result<(), SyncError> {
    let malformed = SyncError::Inconsistent("an op breaks the limits every device keeps");
    let fields_ok = |fields: &[FieldSet]| {
        fields.iter().all(|f| {
            check_name(&f.name).is_ok()
                && f.bases.len() <= MAX_BASES
                && f.value.as_ref().is_none_or(Value::is_well_formed)
        })
    };
    let ok = match body {
        OpBody::Create { fields, .. }
        | OpBody::Set { fields }
        | OpBody::Resolve(Resolution::Fields(fields)) => fields_ok(fields),
        OpBody::Tombstone { seen, .. } | OpBody::Resolve(Resolution::KeepDeleted { seen }) => {
            seen.len() <= MAX_SEEN
        }
        OpBody::Resolve(Resolution::Restore { tombstones }) => tombstones.len() <= MAX_BASES,
        OpBody::Append { log, entry } => check_name(log).is_ok() && entry.is_well_formed(),
        OpBody::Link { .. } => true,
    };
    if ok { Ok(()) } else { Err(malformed) }
}

/// Applies staged ops inside a batch (the caller's transaction).
fn apply_staged(
    b: &mut Batch<'_>,
    staged: Staged,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport {
        received: staged.len() as u64,
        own_unknown: staged.own_unknown,
        ..SyncReport::default()
    };
    let Staged {
        ops,
        held,
        own_unknown_max,
        ..
    } = staged;
    if own_unknown_max > 0 {
        b.skip_seq_through(own_unknown_max)?;
    }
    for wire in &held {
        if b.hold_wire(wire)? {
            report.held += 1;
        } else {
            report.duplicates += 1;
        }
    }
    report.add(b.apply_remote(ops, progress)?);
    Ok(report)
}

fn apply_in(
    u: &mut Unlocked,
    staged: Staged,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SyncReport, SyncError> {
    run_batch(u, |b| {
        // Ops held by an older build that this one can read now go in with the rest.
        let released = b.release_readable_held()?;
        let mut report = apply_staged(b, staged, progress)?;
        if !released.is_empty() {
            let again = b.apply_remote(released, &mut |_, _| {})?;
            report.add(again);
        }
        Ok(report)
    })
}

impl Vault {
    /// What this vault holds: per device, every op up to a sequence number.
    pub fn summary(&self) -> Result<Summary, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| summary_of(u))
    }

    /// The summary as a text another team device can read (sealed under the team key:
    /// it says how much each device has recorded, which is nobody else's business).
    pub fn summary_text(&self) -> Result<String, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let (team, key) = team::current(u)?;
            let summary = summary_of(u)?;
            let plain = postcard::to_allocvec(&summary)
                .map_err(|_| SyncError::InvalidSummary("cannot encode"))?;
            let mut bytes = team.epoch.to_be_bytes().to_vec();
            bytes.extend(crypto::seal_detached(
                &key.derive_subkey("summary v1"),
                &summary_aad(team.id, team.epoch),
                &plain,
            )?);
            Ok(format!(
                "{SUMMARY_PREFIX}{}",
                data_encoding::BASE32_NOPAD.encode(&bytes)
            ))
        })
    }

    /// Reads a summary text made by a device of this team.
    pub fn read_summary(&self, text: &str) -> Result<Summary, SyncError> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let body = text
            .strip_prefix(SUMMARY_PREFIX)
            .ok_or(SyncError::InvalidSummary("it does not start with SKSUM1:"))?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|_| SyncError::InvalidSummary("it is cut short or mistyped"))?;
        if bytes.len() < 4 {
            return Err(SyncError::InvalidSummary("it is cut short"));
        }
        let epoch = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
            let key = team::key(conn, &u.sealer, epoch)?.ok_or(SyncError::UnknownEpoch(epoch))?;
            let plain = crypto::open_detached(
                &key.derive_subkey("summary v1"),
                &summary_aad(team.id, epoch),
                &bytes[4..],
            )
            .map_err(|_| SyncError::InvalidSummary("made by another team, or altered"))?;
            postcard::from_bytes(&plain).map_err(|_| SyncError::InvalidSummary("unreadable"))
        })
    }

    /// The ops `theirs` lacks, up to about `max_bytes` of them. Call again with
    /// `next` while `more` is true.
    pub fn outgoing(&self, theirs: &Summary, max_bytes: usize) -> Result<Outgoing, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| outgoing_of(u, theirs, max_bytes))
    }

    /// Decodes and checks received ops; writes nothing. Ops whose body this build
    /// cannot read are staged to be held, not dropped.
    pub fn stage(&self, ops: Vec<WireOp>) -> Result<Staged, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| stage_in(u, ops))
    }

    /// Applies staged ops in one transaction: all of them, or (on any error) none.
    pub fn apply(&self, staged: Staged) -> Result<SyncReport, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| apply_in(u, staged, &mut |_, _| {}))
    }

    /// What `peer` (a server address, a device) is known to hold.
    pub fn delivered(&self, peer: &str) -> Result<Summary, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let mut marks = BTreeMap::new();
            for (raw, seq) in Store::delivered(u.store.conn(), &peer_tag(u, peer))? {
                if let Ok(device) = DeviceId::from_slice(&raw) {
                    marks.insert(device, seq);
                }
            }
            Ok(Summary { marks })
        })
    }

    /// Records that `peer` now holds everything in `held` (marks never go down).
    pub fn mark_delivered(&self, peer: &str, held: &Summary) -> Result<(), SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let tag = peer_tag(u, peer);
            let tx = u.store.write()?;
            for (device, seq) in &held.marks {
                Store::mark_delivered(&tx, &tag, device.as_bytes(), *seq)?;
            }
            tx.commit().map_err(StoreError::from)?;
            Ok(())
        })
    }

    /// Writes the ops that `theirs` lacks (everything, when `None`) as bundles of at
    /// most about `max_bytes` each, sealed under the current team key, handing each
    /// to `emit`.
    pub fn export_bundles(
        &self,
        theirs: Option<&Summary>,
        max_bytes: usize,
        mut emit: impl FnMut(&BundleHeader, Vec<u8>) -> Result<(), SyncError>,
    ) -> Result<ExportReport, SyncError> {
        let max_bytes = max_bytes.max(1024);
        let mut cursor = theirs.cloned().unwrap_or_default();
        let mut report = ExportReport::default();
        loop {
            let (header, bytes, chunk) = self.with_unlocked(SyncError::Locked, |u| {
                let (team, key) = team::current(u)?;
                let chunk = outgoing_of(u, &cursor, max_bytes)?;
                if chunk.ops.is_empty() {
                    return Ok((None, Vec::new(), chunk));
                }
                let batch = next_batch(u)?;
                let header = BundleHeader {
                    team: team.id,
                    epoch: team.epoch,
                    device: u.device,
                    batch,
                    created_ms: u.hlc.now_ms(),
                    ranges: Vec::new(),
                    op_count: 0,
                    plain_len: 0,
                };
                let (header, bytes) = bundle::seal(header, &chunk.ops, &key)?;
                Ok((Some(header), bytes, chunk))
            })?;
            let Some(header) = header else { break };
            report.bundles += 1;
            report.ops += chunk.ops.len() as u64;
            report.bytes += bytes.len() as u64;
            emit(&header, bytes)?;
            cursor = chunk.next;
            if !chunk.more {
                break;
            }
        }
        Ok(report)
    }

    /// Opens a bundle and checks it against this vault (team, epoch, ops) without
    /// applying anything; returns its header.
    pub fn verify_bundle(&self, bytes: &[u8]) -> Result<BundleHeader, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let (header, ops) = open_for(u, bytes)?;
            stage_in(u, ops)?;
            Ok(header)
        })
    }

    /// Imports a bundle: verifies all of it, then applies it in one transaction.
    /// Importing the same bundle again changes nothing.
    pub fn import_bundle(&self, bytes: &[u8]) -> Result<SyncReport, SyncError> {
        self.import_bundle_with_progress(bytes, &mut |_, _| {})
    }

    /// Imports several bundles (the parts of a split export, or the files gathered
    /// from several phones) in one transaction: if any is bad, none is applied, and
    /// the error names which one (by position).
    /// `progress(done, total)` counts ops across all of them.
    pub fn import_bundles(
        &self,
        bundles: &[Vec<u8>],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, (usize, SyncError)> {
        self.with_unlocked((0, SyncError::Locked), |u| {
            // Team, epoch and header of every bundle first; the rest is checked inside
            // the transaction, where any failure rolls back every bundle.
            let team = team::load(u.store.conn(), &u.sealer)
                .map_err(|e| (0, e))?
                .ok_or((0, SyncError::NoTeam))?;
            let mut total = 0u64;
            for (i, bytes) in bundles.iter().enumerate() {
                let header = bundle::read_header(bytes).map_err(|e| (i, e))?;
                if header.team != team.id {
                    return Err((i, SyncError::OtherTeam));
                }
                total += u64::from(header.op_count);
            }
            let keys = keys_for(u, bundles)?;
            let (device, next_seq) = (u.device, u.next_seq);
            let mut index = 0;
            run_batch(u, |b| {
                let mut report = SyncReport::default();
                let mut done = 0u64;
                let released = b.release_readable_held()?;
                for (i, bytes) in bundles.iter().enumerate() {
                    index = i;
                    let (header, ops) = bundle::open(bytes, &keys[i])?;
                    let staged = stage_ops(device, next_seq, ops)?;
                    let part = apply_staged(b, staged, &mut |d, _| progress(done + d, total))?;
                    done += u64::from(header.op_count);
                    report.absorb(part);
                }
                if !released.is_empty() {
                    report.add(b.apply_remote(released, &mut |_, _| {})?);
                }
                Ok(report)
            })
            .map_err(|e| (index, e))
        })
    }

    /// [`Vault::import_bundle`], calling `progress(done, total)` as ops are applied.
    pub fn import_bundle_with_progress(
        &self,
        bytes: &[u8],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let (_, ops) = open_for(u, bytes)?;
            let staged = stage_in(u, ops)?;
            apply_in(u, staged, progress)
        })
    }
}

fn open_for(u: &Unlocked, bytes: &[u8]) -> Result<(BundleHeader, Vec<WireOp>), SyncError> {
    let header = bundle::read_header(bytes)?;
    let conn = u.store.conn();
    let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
    if header.team != team.id {
        return Err(SyncError::OtherTeam);
    }
    let key: SecretKey =
        team::key(conn, &u.sealer, header.epoch)?.ok_or(SyncError::UnknownEpoch(header.epoch))?;
    bundle::open(bytes, &key)
}

/// The team key of each bundle's epoch.
fn keys_for(u: &Unlocked, bundles: &[Vec<u8>]) -> Result<Vec<SecretKey>, (usize, SyncError)> {
    let conn = u.store.conn();
    bundles
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let epoch = bundle::read_header(bytes).map_err(|e| (i, e))?.epoch;
            team::key(conn, &u.sealer, epoch)
                .map_err(|e| (i, e))?
                .ok_or((i, SyncError::UnknownEpoch(epoch)))
        })
        .collect()
}

fn next_batch(u: &Unlocked) -> Result<u64, SyncError> {
    let conn = u.store.conn();
    let last = Store::meta(conn, "bundle_batch")?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(0, u64::from_be_bytes);
    let next = last + 1;
    Store::set_meta(conn, "bundle_batch", &next.to_be_bytes())?;
    Ok(next)
}
