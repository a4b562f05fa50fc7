//! Turning ops and record states into sealed rows and back. A sealed value is bound to
//! its row (record id, or op id), and the plaintext columns beside it are checked
//! against the sealed copy, so rows swapped or edited on disk read as tampered.

use rusqlite::Connection;

use super::RecordError;
use crate::crypto::{CryptoError, KeyedHasher, Place, Sealer};
use crate::ids::RecordId;
use crate::store::{OpRow, RecordRow, Store};
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

pub(crate) fn open_op(sealer: &Sealer, row: &OpRow) -> Result<Op, RecordError> {
    let mut place = Vec::with_capacity(24);
    place.extend_from_slice(&row.device);
    place.extend_from_slice(&row.seq.to_be_bytes());
    let plain = sealer
        .open(
            Place {
                table: "ops",
                row: &place,
            },
            &row.body,
        )
        .map_err(|e| opened(e, "ops", &row.record))?;
    let op: Op = postcard::from_bytes(&plain).map_err(|_| RecordError::Undecodable {
        table: "ops",
        id: hex(&row.record),
    })?;
    if op.record.0.as_slice() != row.record.as_slice()
        || op.id.to_bytes().as_slice() != place.as_slice()
    {
        return Err(tampered("ops", &row.record));
    }
    Ok(op)
}

/// The row for a record's state: sealed, or (with `origin`, the creating op's
/// `local_seq`) no copy at all when the state is exactly that op's replay.
pub(crate) fn seal_state(
    sealer: &Sealer,
    form_hasher: &KeyedHasher,
    id: RecordId,
    state: &RecordState,
    origin: Option<i64>,
) -> Result<RecordRow, RecordError> {
    let sealed = match origin {
        Some(_) => None,
        None => {
            let plain = zeroize::Zeroizing::new(
                postcard::to_allocvec(state)
                    .map_err(|_| RecordError::InvalidInput("record cannot be encoded"))?,
            );
            Some(sealer.seal(
                Place {
                    table: "records",
                    row: id.as_bytes(),
                },
                &plain,
            )?)
        }
    };
    let header = state.header.as_ref();
    Ok(RecordRow {
        id: id.0.to_vec(),
        case_id: header.and_then(|h| h.case).map(|c| c.0.to_vec()),
        form_tag: header
            .and_then(|h| h.form.as_ref())
            .map(|f| form_hasher.hash(f.id.as_bytes()).to_vec()),
        live: state.deleted.is_none(),
        state: sealed,
        origin,
        origin_op: None,
    })
}

pub(crate) fn open_state(
    sealer: &Sealer,
    row: &RecordRow,
) -> Result<(RecordId, RecordState), RecordError> {
    let id = RecordId::from_slice(&row.id).map_err(|_| tampered("records", &row.id))?;
    let state = match (&row.state, &row.origin_op) {
        (Some(sealed), _) => {
            let plain = sealer
                .open(
                    Place {
                        table: "records",
                        row: id.as_bytes(),
                    },
                    sealed,
                )
                .map_err(|e| opened(e, "records", &row.id))?;
            postcard::from_bytes(&plain).map_err(|_| RecordError::Undecodable {
                table: "records",
                id: id.to_string(),
            })?
        }
        (None, Some(op_row)) => {
            let op = open_op(sealer, op_row).map_err(|_| tampered("records", &row.id))?;
            if op.record != id || !matches!(op.body, OpBody::Create { .. }) {
                return Err(tampered("records", &row.id));
            }
            let mut state = RecordState::default();
            state.apply_owned(op);
            state
        }
        (None, None) => return Err(tampered("records", &row.id)),
    };
    let case = state
        .header
        .as_ref()
        .and_then(|h| h.case)
        .map(|c| c.0.to_vec());
    if case != row.case_id || row.live != state.deleted.is_none() {
        return Err(tampered("records", &row.id));
    }
    Ok((id, state))
}

pub(crate) fn load_state(
    conn: &Connection,
    sealer: &Sealer,
    id: RecordId,
) -> Result<Option<RecordState>, RecordError> {
    match Store::record(conn, id.as_bytes())? {
        Some(row) => Ok(Some(open_state(sealer, &row)?.1)),
        None => Ok(None),
    }
}
