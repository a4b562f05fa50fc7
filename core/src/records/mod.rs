//! Records: cases, form submissions bound to a case, service entries. Every change is
//! written as an op to the sealed, append-only log and applied to the record's sealed,
//! materialized state in the same transaction, so a record is either wholly saved
//! with its op or not at all.
//!
//! Forms and validation come later; here answers are typed values keyed by question
//! name.

mod conflicts;
mod remote;
pub(crate) mod sealed;
mod value;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use conflicts::{Choice, Conflict, ConflictSubject, ConflictValue, ValueKind};
pub use remote::Applied;
pub use value::{InvalidValue, Location, Value, ValueType};

use crate::crypto::{CryptoError, KeyedHasher, Sealer};
use crate::ids::{DeviceId, RecordId};
use crate::store::{RecordRow, RowFilter, Store, StoreError};
use crate::sync::merge::RecordState;
use crate::sync::{FieldSet, Hlc, Op, OpBody, OpId, Stamp};
use crate::vault::{CheckReport, Unlocked, Vault};

/// What can go wrong with records. Messages name random record ids, never content.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The vault is locked.
    #[error("the vault is locked")]
    Locked,
    /// No record with this id.
    #[error("no record {0}")]
    NotFound(RecordId),
    /// The record was deleted.
    #[error("record {0} was deleted")]
    Deleted(RecordId),
    /// A submission or service entry must belong to a case.
    #[error("record {0} is not a case")]
    NotACase(RecordId),
    /// A stored value failed authentication: altered, damaged, or moved from elsewhere.
    #[error(
        "record {id} in {table} failed authentication: the vault file was altered or is damaged"
    )]
    Tampered {
        /// Table holding the value.
        table: &'static str,
        /// Record (or op) id.
        id: String,
    },
    /// A stored value opened but could not be decoded (written by an unknown version).
    #[error("record {id} in {table} could not be decoded")]
    Undecodable {
        /// Table holding the value.
        table: &'static str,
        /// Record (or op) id.
        id: String,
    },
    /// Input that cannot be saved.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Random generator or cipher failure while sealing.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// The kind of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordKind {
    /// What is known about one person; everything else hangs off a case.
    Case,
    /// One filled form (identification, intake, legal milestone, ...).
    Submission,
    /// One entry in a case's log of restoration services.
    ServiceEntry,
}

impl RecordKind {
    /// Lower-case name for output.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Case => "case",
            RecordKind::Submission => "submission",
            RecordKind::ServiceEntry => "service_entry",
        }
    }
}

/// The form a submission was filled with.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FormRef {
    /// Form id (XLSForm `form_id`).
    pub id: String,
    /// Form version, when known.
    pub version: Option<String>,
}

impl FormRef {
    /// A form id without a version.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            version: None,
        }
    }
}

/// A field's current value and the stamp of the op that set it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldState {
    /// `None` once cleared.
    pub value: Option<Value>,
    /// When, and by which device, it was set.
    pub stamp: Stamp,
}

/// A record as the app shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Random id.
    pub id: RecordId,
    /// Kind.
    pub kind: RecordKind,
    /// Owning case (none for a case).
    pub case: Option<RecordId>,
    /// Form used.
    pub form: Option<FormRef>,
    /// Every field ever set, with its stamp; cleared fields have `value: None`.
    pub fields: BTreeMap<String, FieldState>,
    /// Stamp of creation.
    pub created: Stamp,
    /// Stamp of the latest change.
    pub updated: Stamp,
    /// Stamp of deletion, if deleted.
    pub deleted: Option<Stamp>,
    /// For a case: other cases a coordinator linked to it as the same person.
    pub same_person: Vec<RecordId>,
    /// Append-only logs (notes, follow-ups): entries in stamp order.
    pub logs: BTreeMap<String, Vec<(Stamp, Value)>>,
    /// Whether a conflict on this record waits for a coordinator.
    pub has_conflict: bool,
}

impl Record {
    /// Current answers (cleared fields left out).
    pub fn answers(&self) -> BTreeMap<String, Value> {
        self.fields
            .iter()
            .filter_map(|(k, f)| f.value.clone().map(|v| (k.clone(), v)))
            .collect()
    }

    /// One current answer.
    pub fn answer(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).and_then(|f| f.value.as_ref())
    }

    fn from_state(id: RecordId, state: RecordState) -> Option<Self> {
        let has_conflict = state.has_conflict();
        let header = state.header?;
        Some(Self {
            id,
            kind: header.kind,
            case: header.case,
            form: header.form,
            fields: state.fields,
            created: header.created,
            updated: state.updated.unwrap_or(header.created),
            deleted: state.deleted,
            same_person: state
                .links
                .iter()
                .filter(|(_, (same, _))| *same)
                .map(|(id, _)| *id)
                .collect(),
            logs: state
                .entries
                .into_iter()
                .map(|(log, entries)| (log, entries.into_iter().collect()))
                .collect(),
            has_conflict,
        })
    }
}

/// Which records to list.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    /// Only this kind.
    pub kind: Option<RecordKind>,
    /// Only records of this case (the case itself included).
    pub case: Option<RecordId>,
    /// Only submissions of this form id.
    pub form: Option<String>,
    /// Include deleted records.
    pub include_deleted: bool,
}

/// Answers to save: question name → value.
pub type Answers = BTreeMap<String, Value>;
/// Changes to make: question name → new value, or `None` to clear.
pub type Changes = BTreeMap<String, Option<Value>>;

/// Longest field or log name accepted, from this device or another.
pub(crate) const MAX_NAME_BYTES: usize = 256;

pub(crate) fn check_name(name: &str) -> Result<(), RecordError> {
    if name.trim().is_empty() {
        return Err(RecordError::InvalidInput("a field name is empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(RecordError::InvalidInput(
            "a field name is longer than 256 bytes",
        ));
    }
    Ok(())
}

fn check_names<'a>(names: impl IntoIterator<Item = &'a String>) -> Result<(), RecordError> {
    names.into_iter().try_for_each(|name| check_name(name))
}

pub(crate) fn check_values<'a>(
    values: impl IntoIterator<Item = &'a Value>,
) -> Result<(), RecordError> {
    if values.into_iter().all(Value::is_well_formed) {
        Ok(())
    } else {
        Err(RecordError::InvalidInput(
            "a location has a coordinate that is not a number",
        ))
    }
}

/// Several changes written in one transaction: all of them are saved, or none.
pub struct Batch<'a> {
    tx: rusqlite::Transaction<'a>,
    sealer: &'a Sealer,
    form_hasher: &'a KeyedHasher,
    hlc: &'a mut Hlc,
    device: DeviceId,
    next_seq: u64,
    /// The team key epoch new ops are made in.
    epoch: u32,
    /// A case already found live in this batch (bulk saves into one case look it up once).
    live_case: Option<RecordId>,
    /// Whether the search index is built: only then are names collected.
    indexing: bool,
    /// Names of persons saved in this batch, applied to the search index on commit
    /// (an empty list removes the record from it).
    index_updates: Vec<(RecordId, Vec<Zeroizing<String>>)>,
    /// Cases written in this batch, or whose records were: a deleted case with a
    /// record no delete covers has a conflict, settled before commit.
    touched_cases: BTreeSet<Vec<u8>>,
}

/// The answers that name a person: `name` and `alias` of a submission (the question
/// names of the identification form, a stable contract).
pub(crate) const NAME_FIELDS: [&str; 2] = ["name", "alias"];

pub(crate) fn names_in<'v>(
    values: impl Iterator<Item = (&'v str, Option<&'v Value>)>,
) -> Vec<Zeroizing<String>> {
    values
        .filter(|(name, _)| NAME_FIELDS.contains(name))
        .filter_map(|(_, value)| match value {
            Some(Value::Text(text)) if !text.trim().is_empty() => {
                Some(Zeroizing::new(text.clone()))
            }
            _ => None,
        })
        .collect()
}

impl Batch<'_> {
    /// Writes one op and the record state it produces.
    fn write(
        &mut self,
        record: RecordId,
        mut state: RecordState,
        body: OpBody,
    ) -> Result<(), RecordError> {
        let creates = matches!(body, OpBody::Create { .. });
        let created_names = match &body {
            OpBody::Create {
                kind: RecordKind::Submission,
                fields,
                ..
            } if self.indexing => Some(names_in(
                fields.iter().map(|f| (f.name.as_str(), f.value.as_ref())),
            )),
            _ => None,
        };
        let op = Op {
            id: OpId {
                device: self.device,
                seq: self.next_seq,
            },
            record,
            stamp: self.hlc.tick(),
            epoch: self.epoch,
            body,
        };
        let local_seq = Store::append_op(&self.tx, &sealed::seal_op(self.sealer, &op)?)?;
        let row = if creates {
            // A new record's state is its creating op: point at it instead of sealing a copy.
            if let Some(names) = created_names.filter(|n| !n.is_empty()) {
                self.index_updates.push((record, names));
            }
            sealed::created_row(self.form_hasher, &op, local_seq)
        } else {
            state.apply_owned(op);
            if self.indexing
                && state.header.as_ref().map(|h| h.kind) == Some(RecordKind::Submission)
            {
                self.queue_names(record, &state);
            }
            sealed::sealed_row(self.sealer, self.form_hasher, record, &state)?
        };
        Store::put_record(&self.tx, &row)?;
        self.touch_case(&row);
        self.next_seq += 1;
        Ok(())
    }

    /// Remembers the case a written record row belongs to (or is).
    pub(crate) fn touch_case(&mut self, row: &RecordRow) {
        let case = row.case_id.as_ref().unwrap_or(&row.id);
        if !self.touched_cases.contains(case) {
            self.touched_cases.insert(case.clone());
        }
    }

    /// Flags each touched case that is deleted while one of its records is not (added
    /// elsewhere while the case was being deleted): a conflict for a coordinator, read
    /// across records, so it is settled once the whole batch is written.
    fn settle_cases(&mut self) -> Result<(), RecordError> {
        for case in std::mem::take(&mut self.touched_cases) {
            if Store::record_flags(&self.tx, &case)? != Some((false, false)) {
                continue; // live, absent, or not a case: its own state decides
            }
            let id = RecordId::from_slice(&case)
                .map_err(|_| StoreError::Corrupt("a record id is not 16 bytes".into()))?;
            let Some(state) = sealed::load_state(&self.tx, self.sealer, id)? else {
                continue;
            };
            let conflicted = state.has_conflict() || Store::has_live_child(&self.tx, &case)?;
            Store::set_conflicted(&self.tx, &case, conflicted)?;
        }
        Ok(())
    }

    /// Never issue sequence numbers up to `seq`: ops in this device's name that it
    /// did not make carry them, and peers that hold those would drop ours as copies.
    pub(crate) fn skip_seq_through(&mut self, seq: u64) -> Result<(), RecordError> {
        if seq >= self.next_seq {
            self.next_seq = seq.saturating_add(1);
            Store::set_meta(&self.tx, crate::sync::SEQ_FLOOR_KEY, &seq.to_be_bytes())?;
        }
        Ok(())
    }

    /// Queues the search index update for a submission's state: its person names, or
    /// none once deleted.
    fn queue_names(&mut self, id: RecordId, state: &RecordState) {
        let names = if state.deleted.is_some() {
            Vec::new()
        } else {
            names_in(
                state
                    .fields
                    .iter()
                    .map(|(k, f)| (k.as_str(), f.value.as_ref())),
            )
        };
        self.index_updates.push((id, names));
    }

    /// A live record as stored now, inside this batch's transaction.
    pub fn get(&self, id: RecordId) -> Result<Record, RecordError> {
        let state = self.live(id)?;
        Record::from_state(id, state).ok_or(RecordError::NotFound(id))
    }

    fn live(&self, id: RecordId) -> Result<RecordState, RecordError> {
        let state =
            sealed::load_state(&self.tx, self.sealer, id)?.ok_or(RecordError::NotFound(id))?;
        if state.header.is_none() {
            return Err(RecordError::NotFound(id));
        }
        if state.deleted.is_some() {
            return Err(RecordError::Deleted(id));
        }
        Ok(state)
    }

    fn create(
        &mut self,
        kind: RecordKind,
        case: Option<RecordId>,
        form: Option<FormRef>,
        answers: Answers,
    ) -> Result<RecordId, RecordError> {
        check_names(answers.keys())?;
        check_values(answers.values())?;
        if let Some(case_id) = case.filter(|c| self.live_case != Some(*c)) {
            // Only cases have no case of their own; no need to open the case to know.
            match Store::record_flags(&self.tx, case_id.as_bytes())? {
                None => return Err(RecordError::NotFound(case_id)),
                Some((false, _)) => return Err(RecordError::Deleted(case_id)),
                Some((true, true)) => return Err(RecordError::NotACase(case_id)),
                Some((true, false)) => self.live_case = Some(case_id),
            }
        }
        if form.as_ref().is_some_and(|f| f.id.trim().is_empty()) {
            return Err(RecordError::InvalidInput("the form id is empty"));
        }
        let id = RecordId::make_random()?;
        let fields = answers
            .into_iter()
            .map(|(name, value)| FieldSet {
                name,
                value: Some(value),
                bases: Vec::new(),
            })
            .collect();
        self.write(
            id,
            RecordState::default(),
            OpBody::Create {
                kind,
                case,
                form,
                fields,
            },
        )?;
        Ok(id)
    }

    /// Creates a case, with optional case-level fields.
    pub fn create_case(&mut self, fields: Answers) -> Result<RecordId, RecordError> {
        self.create(RecordKind::Case, None, None, fields)
    }

    /// Adds a filled form to a case.
    pub fn add_submission(
        &mut self,
        case: RecordId,
        form: FormRef,
        answers: Answers,
    ) -> Result<RecordId, RecordError> {
        self.create(RecordKind::Submission, Some(case), Some(form), answers)
    }

    /// Adds an entry to a case's service log.
    pub fn add_service_entry(
        &mut self,
        case: RecordId,
        form: FormRef,
        answers: Answers,
    ) -> Result<RecordId, RecordError> {
        self.create(RecordKind::ServiceEntry, Some(case), Some(form), answers)
    }

    /// Sets or clears fields. Each change records the stamp of the value it replaces.
    /// Changes that set a field to the value it already has are skipped. Editing a
    /// field with an open conflict replaces only the value shown: the conflict stays
    /// open for a coordinator.
    pub fn edit(&mut self, id: RecordId, changes: Changes) -> Result<(), RecordError> {
        check_names(changes.keys())?;
        check_values(changes.values().flatten())?;
        let state = self.live(id)?;
        let fields: Vec<FieldSet> = changes
            .into_iter()
            .filter_map(|(name, value)| {
                let current = state.fields.get(&name);
                let unchanged = match current {
                    Some(f) => f.value == value,
                    None => value.is_none(),
                };
                let heads = state.heads(&name);
                // Heads that agree (two devices typed the same) are all replaced; heads
                // that disagree are a conflict this edit does not decide.
                let agree = heads
                    .iter()
                    .all(|h| Some(&h.value) == current.map(|c| &c.value));
                let bases = if agree {
                    heads.iter().map(|h| h.stamp).collect()
                } else {
                    current.map(|f| f.stamp).into_iter().collect()
                };
                (!unchanged).then_some(FieldSet { bases, name, value })
            })
            .collect();
        if fields.is_empty() {
            return Ok(());
        }
        self.write(id, state, OpBody::Set { fields })
    }

    /// Records two cases as the same person (identified twice, on two devices or at
    /// two operations), or withdraws that with `same: false`. The op is written on
    /// both cases, so either one shows the link and it syncs like any change.
    pub fn link(&mut self, a: RecordId, b: RecordId, same: bool) -> Result<(), RecordError> {
        if a == b {
            return Err(RecordError::InvalidInput(
                "a case cannot be linked to itself",
            ));
        }
        let (state_a, state_b) = (self.live(a)?, self.live(b)?);
        for (id, state) in [(a, &state_a), (b, &state_b)] {
            if state.header.as_ref().map(|h| h.kind) != Some(RecordKind::Case) {
                return Err(RecordError::NotACase(id));
            }
        }
        for (id, other, state) in [(a, b, state_a), (b, a, state_b)] {
            if state.links.get(&other).map(|(s, _)| *s).unwrap_or(false) == same {
                continue;
            }
            self.write(id, state, OpBody::Link { other, same })?;
        }
        Ok(())
    }

    /// Deletes a record (a tombstone). Deleting a case deletes its submissions and
    /// service entries too.
    pub fn delete(&mut self, id: RecordId) -> Result<(), RecordError> {
        self.live_case = None;
        let state = self.live(id)?;
        if state.header.as_ref().map(|h| h.kind) == Some(RecordKind::Case) {
            let mut children = Vec::new();
            let filter = RowFilter {
                case_id: Some(id.0.to_vec()),
                ..RowFilter::default()
            };
            Store::for_each_record(&self.tx, &filter, |row| {
                children.push(row.id.to_vec());
                Ok::<_, StoreError>(())
            })?;
            for child in children {
                let child = RecordId::from_slice(&child)
                    .map_err(|_| StoreError::Corrupt("a record id is not 16 bytes".into()))?;
                let child_state = self.live(child)?;
                let seen = child_state.seen_stamps();
                let with_case = true;
                self.write(child, child_state, OpBody::Tombstone { seen, with_case })?;
            }
        }
        let seen = state.seen_stamps();
        let with_case = false;
        self.write(id, state, OpBody::Tombstone { seen, with_case })
    }

    /// Appends an entry to one of a record's logs (a note, a follow-up). Entries from
    /// several devices never conflict; they are shown in stamp order.
    pub fn append(&mut self, id: RecordId, log: &str, entry: Value) -> Result<(), RecordError> {
        check_name(log)?;
        check_values([&entry])?;
        let state = self.live(id)?;
        self.write(
            id,
            state,
            OpBody::Append {
                log: log.to_owned(),
                entry,
            },
        )
    }
}

/// Runs `f` in one transaction on the unlocked state (see [`Vault::batch`]).
pub(crate) fn run_batch<T, E: From<RecordError>>(
    u: &mut Unlocked,
    f: impl FnOnce(&mut Batch<'_>) -> Result<T, E>,
) -> Result<T, E> {
    let Unlocked {
        store,
        sealer,
        form_hasher,
        hlc,
        device,
        next_seq,
        search,
        epoch,
        ..
    } = u;
    let tx = store.write().map_err(|e| E::from(RecordError::Store(e)))?;
    let mut batch = Batch {
        tx,
        sealer,
        form_hasher,
        hlc,
        device: *device,
        next_seq: *next_seq,
        epoch: *epoch,
        live_case: None,
        indexing: search.is_some(),
        index_updates: Vec::new(),
        touched_cases: BTreeSet::new(),
    };
    let out = f(&mut batch)?;
    batch.settle_cases().map_err(E::from)?;
    let Batch {
        tx,
        next_seq: after,
        index_updates,
        ..
    } = batch;
    // The clock's high-water mark is persisted by the ops themselves: the newest op's
    // stamp is read back at unlock.
    tx.commit()
        .map_err(|e| E::from(RecordError::Store(StoreError::from(e))))?;
    *next_seq = after;
    if let Some(index) = search {
        for (id, names) in &index_updates {
            let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
            index.set(*id, &names);
        }
    }
    Ok(out)
}

impl Vault {
    /// Runs `f` in one transaction: every change it makes is saved, or (if it returns
    /// an error) none. The fastest way to save many records.
    pub fn batch<T>(
        &self,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T, RecordError>,
    ) -> Result<T, RecordError> {
        self.with_unlocked(RecordError::Locked, |u| run_batch(u, f))
    }

    /// Creates a case with optional case-level fields; returns its id.
    pub fn create_case(&self, fields: Answers) -> Result<RecordId, RecordError> {
        self.batch(|b| b.create_case(fields))
    }

    /// Adds a filled form to a case; returns the submission's id.
    pub fn add_submission(
        &self,
        case: RecordId,
        form: FormRef,
        answers: Answers,
    ) -> Result<RecordId, RecordError> {
        self.batch(|b| b.add_submission(case, form, answers))
    }

    /// Adds an entry to a case's service log; returns its id.
    pub fn add_service_entry(
        &self,
        case: RecordId,
        form: FormRef,
        answers: Answers,
    ) -> Result<RecordId, RecordError> {
        self.batch(|b| b.add_service_entry(case, form, answers))
    }

    /// Sets or clears fields of a record.
    pub fn edit(&self, id: RecordId, changes: Changes) -> Result<(), RecordError> {
        self.batch(|b| b.edit(id, changes))
    }

    /// Links two cases as the same person (`same: true`) or unlinks them.
    pub fn link(&self, a: RecordId, b: RecordId, same: bool) -> Result<(), RecordError> {
        self.batch(|batch| batch.link(a, b, same))
    }

    /// Deletes a record (and, for a case, everything in it).
    pub fn delete(&self, id: RecordId) -> Result<(), RecordError> {
        self.batch(|b| b.delete(id))
    }

    /// Appends an entry to one of a record's logs (a note, a follow-up).
    pub fn append(&self, id: RecordId, log: &str, entry: Value) -> Result<(), RecordError> {
        self.batch(|b| b.append(id, log, entry))
    }

    /// One record. A deleted record is `Deleted`, not returned.
    pub fn get(&self, id: RecordId) -> Result<Record, RecordError> {
        self.with_unlocked(RecordError::Locked, |u| {
            let state = sealed::load_state(u.store.conn(), &u.sealer, id)?
                .ok_or(RecordError::NotFound(id))?;
            if state.deleted.is_some() {
                return Err(RecordError::Deleted(id));
            }
            Record::from_state(id, state).ok_or(RecordError::NotFound(id))
        })
    }

    /// Visits records matching `filter` one at a time, in storage order, without
    /// holding them all in memory (for exports and reports over large caseloads).
    pub fn for_each(
        &self,
        filter: &RecordFilter,
        mut visit: impl FnMut(Record),
    ) -> Result<(), RecordError> {
        self.with_unlocked(RecordError::Locked, |u| {
            let conn = u.store.conn();
            let form_tag = filter
                .form
                .as_ref()
                .map(|f| u.form_hasher.hash(f.as_bytes()).to_vec());
            let mut scratch = zeroize::Zeroizing::new(Vec::new());
            let mut visit_row = |row: crate::store::RecordView<'_>| {
                let (id, state) = sealed::open_state(&u.sealer, row, &mut scratch)?;
                if let Some(record) = Record::from_state(id, state)
                    && filter.kind.is_none_or(|k| k == record.kind)
                {
                    visit(record);
                }
                Ok::<_, RecordError>(())
            };
            if let Some(case) = filter.case {
                // The case itself, then its records through the case index.
                if let Some(row) = Store::record(conn, case.as_bytes())?
                    && row.case_id.is_none()
                    && (filter.include_deleted || row.live)
                    && form_tag.is_none()
                {
                    visit_row(row.view())?;
                }
            }
            let row_filter = RowFilter {
                case_id: filter.case.map(|c| c.0.to_vec()),
                form_tag,
                include_deleted: filter.include_deleted,
            };
            Store::for_each_record(conn, &row_filter, visit_row)
        })
    }

    /// Records matching `filter`, oldest first.
    pub fn list(&self, filter: &RecordFilter) -> Result<Vec<Record>, RecordError> {
        let mut out = Vec::new();
        self.for_each(filter, |record| out.push(record))?;
        out.sort_by_key(|r| r.created);
        Ok(out)
    }

    /// Every op that touched a record, oldest first: who changed what, and when.
    pub fn history(&self, id: RecordId) -> Result<Vec<Op>, RecordError> {
        self.with_unlocked(RecordError::Locked, |u| {
            let mut scratch = zeroize::Zeroizing::new(Vec::new());
            let mut ops = Store::ops_of(u.store.conn(), id.as_bytes())?
                .iter()
                .map(|row| sealed::open_op(&u.sealer, row.view(), &mut scratch))
                .collect::<Result<Vec<_>, _>>()?;
            if ops.is_empty() {
                return Err(RecordError::NotFound(id));
            }
            ops.sort_by_key(|op| op.stamp);
            Ok(ops)
        })
    }
}

/// The stamp of a stored op (used to resume the clock at unlock).
pub(crate) fn open_op_stamp(
    sealer: &Sealer,
    row: &crate::store::OpRow,
) -> Result<Stamp, RecordError> {
    let mut scratch = zeroize::Zeroizing::new(Vec::new());
    Ok(sealed::open_op(sealer, row.view(), &mut scratch)?.stamp)
}

/// Opens every sealed value and compares each record's state with a replay of its ops.
/// Streams record by record (its ops through the `ops_by_record` index), so memory stays
/// bounded on a phone with a large caseload.
pub(crate) fn check_sealed(u: &Unlocked, report: &mut CheckReport) -> Result<(), StoreError> {
    let conn = u.store.conn();
    let mut scratch = zeroize::Zeroizing::new(Vec::new());
    let mut op_scratch = zeroize::Zeroizing::new(Vec::new());
    let filter = RowFilter {
        include_deleted: true,
        ..RowFilter::default()
    };
    Store::for_each_record(conn, &filter, |row| {
        let mut ops = Vec::new();
        let mut ops_damaged = false;
        for op_row in Store::ops_of(conn, row.id)? {
            match sealed::open_op(&u.sealer, op_row.view(), &mut op_scratch) {
                Ok(op) => {
                    report.sealed_values_ok += 1;
                    ops.push(op);
                }
                Err(_) => {
                    ops_damaged = true;
                    report
                        .damaged
                        .push(("ops".into(), sealed::op_label(&op_row)));
                }
            }
        }
        match sealed::open_state(&u.sealer, row, &mut scratch) {
            Ok((id, state)) => {
                if row.state.is_some() {
                    report.sealed_values_ok += 1;
                }
                if !ops_damaged && RecordState::replay(&ops) != state {
                    report.replay_mismatches.push(id.to_string());
                }
            }
            Err(_) => report.damaged.push(("records".into(), sealed::hex(row.id))),
        }
        Ok::<_, StoreError>(())
    })?;
    // Ops of a record that has no row at all.
    for op_row in Store::orphan_ops(conn)? {
        match sealed::open_op(&u.sealer, op_row.view(), &mut op_scratch) {
            Ok(_) => report.replay_mismatches.push(sealed::op_label(&op_row)),
            Err(_) => report
                .damaged
                .push(("ops".into(), sealed::op_label(&op_row))),
        }
    }
    Ok(())
}

/// Every live submission's person names (`name`, `alias`), for building the search
/// index at the first search after unlock.
pub(crate) fn for_each_person_names(
    u: &Unlocked,
    mut visit: impl FnMut(RecordId, Vec<Zeroizing<String>>),
) -> Result<(), RecordError> {
    let mut scratch = Zeroizing::new(Vec::new());
    Store::for_each_record(u.store.conn(), &RowFilter::default(), |row| {
        if row.case_id.is_none() {
            return Ok(());
        }
        let (id, state) = sealed::open_state(&u.sealer, row, &mut scratch)?;
        let submission = state.header.as_ref().map(|h| h.kind) == Some(RecordKind::Submission);
        if submission && state.deleted.is_none() {
            let names = names_in(
                state
                    .fields
                    .iter()
                    .map(|(k, f)| (k.as_str(), f.value.as_ref())),
            );
            if !names.is_empty() {
                visit(id, names);
            }
        }
        Ok::<_, RecordError>(())
    })
}
