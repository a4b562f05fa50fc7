//! Turning ops and record states into sealed rows and back. A sealed value is bound to
//! its row (record id, or op id), and the plaintext columns beside it are checked
//! against the sealed copy, so rows swapped or edited on disk read as tampered.

use rusqlite::Connection;

use super::RecordError;
use crate::crypto::{CryptoError, KeyedHasher, Place, Sealer};
use crate::ids::RecordId;
use crate::store::{OpRow, OpView, RecordRow, RecordView, Store};
use crate::sync::merge::RecordState;
use crate::sync::{Op, OpBody};

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How an op row is named in reports: its record's id.
pub(crate) fn op_label(row: &OpRow) -> String {
    hex(&row.record)
}

fn tampered(table: &'static str, id: &[u8]) -> RecordError {
    RecordError::Tampered { table, id: hex(id) }
}

fn opened(err: CryptoError, table: &'static str, id: &[u8]) -> RecordError {
    match err {
        CryptoError::UnknownVersion(_) => RecordError::Undecodable { table, id: hex(id) },
        _ => tampered(table, id),
    }
}

pub(crate) fn seal_op(sealer: &Sealer, op: &Op) -> Result<OpRow, RecordError> {
    let plain = zeroize::Zeroizing::new(
        postcard::to_allocvec(op).map_err(|_| RecordError::InvalidInput("op cannot be encoded"))?,
    );
    let body = sealer.seal(
        Place {
            table: "ops",
            row: &op.id.to_bytes(),
        },
        &plain,
    )?;
    Ok(OpRow {
        device: op.id.device.0.to_vec(),
        seq: op.id.seq,
        record: op.record.0.to_vec(),
        body,
    })
}

/// Opens an op row. `scratch` is reused across calls to avoid an allocation per op.
pub(crate) fn open_op(
    sealer: &Sealer,
    row: OpView<'_>,
    scratch: &mut Vec<u8>,
) -> Result<Op, RecordError> {
    let mut place = [0u8; 24];
    let device: &[u8; 16] = row
        .device
        .try_into()
        .map_err(|_| tampered("ops", row.record))?;
    place[..16].copy_from_slice(device);
    place[16..].copy_from_slice(&row.seq.to_be_bytes());
    sealer
        .open_into(
            Place {
                table: "ops",
                row: &place,
            },
            row.body,
            scratch,
        )
        .map_err(|e| opened(e, "ops", row.record))?;
    let op: Op = postcard::from_bytes(scratch).map_err(|_| RecordError::Undecodable {
        table: "ops",
        id: hex(row.record),
    })?;
    if op.record.0.as_slice() != row.record || op.id.to_bytes() != place {
        return Err(tampered("ops", row.record));
    }
    Ok(op)
}

fn form_tag(form_hasher: &KeyedHasher, form: Option<&crate::records::FormRef>) -> Option<Vec<u8>> {
    form.map(|f| form_hasher.hash(f.id.as_bytes()).to_vec())
}

/// The row of a record just created by `op` (stored at `local_seq`): no state of its
/// own, it points at the op, whose replay is its state.
pub(crate) fn created_row(form_hasher: &KeyedHasher, op: &Op, local_seq: i64) -> RecordRow {
    let (case, form) = match &op.body {
        OpBody::Create { case, form, .. } => (*case, form.as_ref()),
        _ => (None, None),
    };
    RecordRow {
        id: op.record.0.to_vec(),
        case_id: case.map(|c| c.0.to_vec()),
        form_tag: form_tag(form_hasher, form),
        live: true,
        state: None,
        origin: Some(local_seq),
        origin_op: None,
        conflicted: false,
    }
}

/// The row of a changed record: its state sealed at ("records", id).
pub(crate) fn sealed_row(
    sealer: &Sealer,
    form_hasher: &KeyedHasher,
    id: RecordId,
    state: &RecordState,
) -> Result<RecordRow, RecordError> {
    let plain = zeroize::Zeroizing::new(
        postcard::to_allocvec(state)
            .map_err(|_| RecordError::InvalidInput("record cannot be encoded"))?,
    );
    let sealed = sealer.seal(
        Place {
            table: "records",
            row: id.as_bytes(),
        },
        &plain,
    )?;
    let header = state.header.as_ref();
    Ok(RecordRow {
        id: id.0.to_vec(),
        case_id: header.and_then(|h| h.case).map(|c| c.0.to_vec()),
        form_tag: form_tag(form_hasher, header.and_then(|h| h.form.as_ref())),
        live: state.deleted.is_none(),
        state: Some(sealed),
        origin: None,
        origin_op: None,
        conflicted: state.has_conflict(),
    })
}

/// Opens a record row into its id and state. `scratch` is reused across calls.
pub(crate) fn open_state(
    sealer: &Sealer,
    row: RecordView<'_>,
    scratch: &mut Vec<u8>,
) -> Result<(RecordId, RecordState), RecordError> {
    let id = RecordId::from_slice(row.id).map_err(|_| tampered("records", row.id))?;
    let state = match (row.state, row.origin_op) {
        (Some(sealed), _) => {
            sealer
                .open_into(
                    Place {
                        table: "records",
                        row: id.as_bytes(),
                    },
                    sealed,
                    scratch,
                )
                .map_err(|e| opened(e, "records", row.id))?;
            postcard::from_bytes(scratch).map_err(|_| RecordError::Undecodable {
                table: "records",
                id: id.to_string(),
            })?
        }
        (None, Some(op_row)) => {
            let op = open_op(sealer, op_row, scratch).map_err(|_| tampered("records", row.id))?;
            if op.record != id || !matches!(op.body, OpBody::Create { .. }) {
                return Err(tampered("records", row.id));
            }
            let mut state = RecordState::default();
            state.apply_owned(op);
            state
        }
        (None, None) => return Err(tampered("records", row.id)),
    };
    let case = state.header.as_ref().and_then(|h| h.case);
    if case.as_ref().map(|c| c.0.as_slice()) != row.case_id || row.live != state.deleted.is_none() {
        return Err(tampered("records", row.id));
    }
    Ok((id, state))
}

pub(crate) fn load_state(
    conn: &Connection,
    sealer: &Sealer,
    id: RecordId,
) -> Result<Option<RecordState>, RecordError> {
    match Store::record(conn, id.as_bytes())? {
        Some(row) => {
            let mut scratch = zeroize::Zeroizing::new(Vec::new());
            Ok(Some(open_state(sealer, row.view(), &mut scratch)?.1))
        }
        None => Ok(None),
    }
}
