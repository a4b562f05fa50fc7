//! Applying ops that arrived from other devices: each new op is appended to the log
//! (an op already there is skipped, so applying twice changes nothing), then each
//! touched record's state is recomputed once from its new ops, all inside the caller's
//! transaction.

use std::collections::BTreeMap;

use super::{Batch, RecordError, RecordKind, sealed};
use zeroize::Zeroizing;

use crate::ids::{DeviceId, RecordId};
use crate::store::{OpRow, Store};
use crate::sync::engine::held_place;
use crate::sync::merge::RecordState;
use crate::sync::{Op, OpBody, OpId, WireOp};

/// What applying a set of received ops did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Ops new to this vault.
    pub new_ops: u64,
    /// Ops this vault already had.
    pub duplicates: u64,
    /// Records whose state changed.
    pub records: u64,
    /// Of those, records left with an open conflict.
    pub conflicted: u64,
    /// Ops stamped more than an hour ahead of this device's clock.
    pub ahead: u64,
}

impl Batch<'_> {
    /// Appends `ops` (from other devices) to the log and applies the new ones.
    /// `progress(done, total)` is called as ops are written.
    pub(crate) fn apply_remote(
        &mut self,
        ops: Vec<Op>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Applied, RecordError> {
        let mut applied = Applied::default();
        let total = ops.len() as u64;
        let mut by_record: BTreeMap<RecordId, Vec<(Op, i64)>> = BTreeMap::new();
        for (done, op) in ops.into_iter().enumerate() {
            if done % 4096 == 0 {
                progress(done as u64, total);
            }
            let row = sealed::seal_op(self.sealer, &op)?;
            match Store::append_op_if_new(&self.tx, &row)? {
                Some(local_seq) => {
                    applied.new_ops += 1;
                    if !self.hlc.observe(op.stamp) {
                        applied.ahead += 1;
                    }
                    by_record
                        .entry(op.record)
                        .or_default()
                        .push((op, local_seq));
                }
                None => applied.duplicates += 1,
            }
        }
        for (id, ops) in by_record {
            let creates_only = matches!(ops.as_slice(), [(op, _)] if op_kind(op).is_some());
            // A record arriving with only its creating op is usually new here: a cheap
            // existence check spares opening a state that is not there.
            let existing =
                if creates_only && Store::record_flags(&self.tx, id.as_bytes())?.is_none() {
                    None
                } else {
                    sealed::load_state(&self.tx, self.sealer, id)?
                };
            let row = match (existing, ops.as_slice()) {
                (None, [(op, local_seq)]) if creates_only => {
                    // A record seen for the first time, with only its creating op: its
                    // state is that op, as for a record created here.
                    if self.indexing && op_kind(op) == Some(RecordKind::Submission) {
                        let state = RecordState::replay([op]);
                        self.queue_names(id, &state);
                    }
                    sealed::created_row(self.form_hasher, op, *local_seq)
                }
                (existing, _) => {
                    let mut state = existing.unwrap_or_default();
                    for (op, _) in ops {
                        state.apply_owned(op);
                    }
                    if self.indexing
                        && state.header.as_ref().map(|h| h.kind) == Some(RecordKind::Submission)
                    {
                        self.queue_names(id, &state);
                    }
                    let row = sealed::sealed_row(self.sealer, self.form_hasher, id, &state)?;
                    if row.conflicted {
                        applied.conflicted += 1;
                    }
                    row
                }
            };
            Store::put_record(&self.tx, &row)?;
            self.touch_case(&row);
            applied.records += 1;
        }
        progress(total, total);
        Ok(applied)
    }

    /// Keeps an op this build cannot read, sealed; true when it was new.
    pub(crate) fn hold_wire(&mut self, wire: &WireOp) -> Result<bool, RecordError> {
        let device = wire.id.device.as_bytes();
        if Store::has_op(&self.tx, device, wire.id.seq)? {
            return Ok(false);
        }
        let plain = Zeroizing::new(
            postcard::to_allocvec(wire)
                .map_err(|_| RecordError::InvalidInput("op cannot be encoded"))?,
        );
        let row = OpRow {
            device: device.to_vec(),
            seq: wire.id.seq,
            record: wire.record.0.to_vec(),
            body: self.sealer.seal(held_place(&wire.id.to_bytes()), &plain)?,
        };
        Ok(Store::hold_op(&self.tx, &row)?)
    }

    /// Held ops that this build can read (kept by an older version of the app): taken
    /// out of `held_ops`, to be applied.
    pub(crate) fn release_readable_held(&mut self) -> Result<Vec<Op>, RecordError> {
        let mut out = Vec::new();
        for row in Store::held_ops(&self.tx)? {
            let Ok(device) = DeviceId::from_slice(&row.device) else {
                continue;
            };
            let id = OpId {
                device,
                seq: row.seq,
            };
            if let Ok(plain) = self.sealer.open(held_place(&id.to_bytes()), &row.body)
                && let Ok(wire) = postcard::from_bytes::<WireOp>(&plain)
                && let Ok(body) = postcard::from_bytes::<OpBody>(&wire.body)
            {
                Store::release_held_op(&self.tx, &row.device, row.seq)?;
                out.push(Op {
                    id,
                    record: wire.record,
                    stamp: wire.stamp,
                    epoch: wire.epoch,
                    body,
                });
            }
        }
        Ok(out)
    }
}

fn op_kind(op: &Op) -> Option<RecordKind> {
    match &op.body {
        crate::sync::OpBody::Create { kind, .. } => Some(*kind),
        _ => None,
    }
}
