//! Deriving a record's state from its ops, identically on every device whatever the
//! order of arrival, with duplicates filtered by the op log.
//!
//! Each write of a field names the stamps it replaced (its bases), so a field's writes
//! form a tree. Its *heads* are the writes nobody has replaced yet. The field shows the
//! head with the highest stamp; when several heads hold different values, that is an
//! open conflict, and every head is kept until a resolution names them all. Because
//! the winner is chosen among heads, an edit made after seeing a value replaces it even
//! when a phone with a wrong clock stamped that value in the future.
//!
//! A delete is a tombstone listing the stamps it saw; a head, entry or restore it did
//! not see (made concurrently) makes the delete a conflict as well.
//!
//! Two ops with the same stamp only come from a broken or copied device (a device never
//! issues a stamp twice). They are still merged the same way everywhere: of two values
//! with one stamp, the one whose encoding sorts higher is kept; two tombstones with one
//! stamp count as one that saw what either saw.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;
use crate::records::{FieldState, FormRef, RecordKind, Value};
use crate::sync::clock::Stamp;
use crate::sync::op::{FieldSet, Op, OpBody, Resolution};

/// Something made concurrently with a delete (the deleting device did not see it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unseen<'s> {
    /// A field's head.
    Field(&'s str, &'s FieldState),
    /// A log entry.
    Entry(Stamp, &'s Value),
    /// A resolution that restored the record.
    Restore(Stamp),
}

impl Unseen<'_> {
    /// The stamp of the unseen write.
    pub fn stamp(&self) -> Stamp {
        match self {
            Unseen::Field(_, head) => head.stamp,
            Unseen::Entry(stamp, _) | Unseen::Restore(stamp) => *stamp,
        }
    }
}

/// The bytes that order two values sharing one stamp (see the module docs).
fn encoded<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap_or_default()
}

/// What a `Create` op fixes for the record's lifetime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Kind of record.
    pub kind: RecordKind,
    /// Owning case.
    pub case: Option<RecordId>,
    /// Form used.
    pub form: Option<FormRef>,
    /// Stamp of the creating op.
    pub created: Stamp,
}

/// A record's state as derived from its ops: what is sealed in the `records` table.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordState {
    /// Present once the creating op has been applied.
    pub header: Option<Header>,
    /// The value shown for every field ever set: its highest-stamped head (cleared
    /// fields keep their stamp).
    pub fields: BTreeMap<String, FieldState>,
    /// Highest stamp of any op applied.
    pub updated: Option<Stamp>,
    /// Stamp of the latest tombstone still in force, if deleted.
    pub deleted: Option<Stamp>,
    /// Other cases linked to this one as the same person (`true`) or unlinked
    /// (`false`), with the stamp of the deciding op.
    pub links: BTreeMap<RecordId, (bool, Stamp)>,
    /// Heads of a field other than the one shown (concurrent writes not yet replaced).
    pub competing: BTreeMap<String, Vec<FieldState>>,
    /// Every base ever named, per field: a write whose stamp is here was replaced
    /// (before or after it arrived) and is history, never a head.
    pub replaced: BTreeSet<(String, Stamp)>,
    /// Every tombstone, with the stamps its writer saw and whether it came with the
    /// deletion of the record's case.
    pub tombstones: BTreeMap<Stamp, (Vec<Stamp>, bool)>,
    /// Tombstones withdrawn by a resolution.
    pub restored: BTreeSet<Stamp>,
    /// Stamps of the resolutions that restored the record: a delete that did not see
    /// one (a concurrent "keep deleted") is a conflict, not a silent win.
    pub restores: BTreeSet<Stamp>,
    /// Append-only logs: entries by stamp.
    pub entries: BTreeMap<String, BTreeMap<Stamp, Value>>,
}

impl RecordState {
    /// Applies one op. Commutative and associative over distinct ops of one record.
    pub fn apply(&mut self, op: &Op) {
        self.apply_owned(op.clone());
    }

    /// [`RecordState::apply`] for an op the caller no longer needs (moves, no copies).
    pub fn apply_owned(&mut self, op: Op) {
        let stamp = op.stamp;
        match op.body {
            OpBody::Create {
                kind,
                case,
                form,
                fields,
            } => {
                // Record ids are random, so two creates for one id do not happen; if
                // they did, the earliest wins on every device alike.
                let header = Header {
                    kind,
                    case,
                    form,
                    created: stamp,
                };
                let replace = match &self.header {
                    None => true,
                    Some(existing) => {
                        (existing.created, encoded(existing)) > (stamp, encoded(&header))
                    }
                };
                if replace {
                    self.header = Some(header);
                }
                self.apply_fields(fields, stamp);
            }
            OpBody::Set { fields } | OpBody::Resolve(Resolution::Fields(fields)) => {
                self.apply_fields(fields, stamp)
            }
            OpBody::Tombstone { seen, with_case } => self.add_tombstone(stamp, seen, with_case),
            OpBody::Resolve(Resolution::KeepDeleted { seen }) => {
                self.add_tombstone(stamp, seen, false)
            }
            OpBody::Resolve(Resolution::Restore { tombstones }) => {
                self.restored.extend(tombstones);
                self.restores.insert(stamp);
                self.refresh_deleted();
            }
            OpBody::Link { other, same } => match self.links.get(&other) {
                Some((current_same, current)) if (*current, *current_same) >= (stamp, same) => {}
                _ => {
                    self.links.insert(other, (same, stamp));
                }
            },
            OpBody::Append { log, entry } => {
                let log = self.entries.entry(log).or_default();
                match log.get(&stamp) {
                    Some(existing) if encoded(existing) >= encoded(&entry) => {}
                    _ => {
                        log.insert(stamp, entry);
                    }
                }
            }
        }
        self.updated = self.updated.max(Some(stamp));
    }

    fn add_tombstone(&mut self, stamp: Stamp, mut seen: Vec<Stamp>, with_case: bool) {
        let (all_seen, cascaded) = self
            .tombstones
            .entry(stamp)
            .or_insert_with(|| (Vec::new(), with_case));
        all_seen.append(&mut seen);
        all_seen.sort();
        all_seen.dedup();
        *cascaded &= with_case;
        self.refresh_deleted();
    }

    fn refresh_deleted(&mut self) {
        self.deleted = self
            .tombstones
            .keys()
            .filter(|t| !self.restored.contains(t))
            .max()
            .copied();
    }

    fn apply_fields(&mut self, fields: Vec<FieldSet>, stamp: Stamp) {
        for set in fields {
            self.apply_write(set, stamp);
        }
    }

    fn apply_write(&mut self, set: FieldSet, stamp: Stamp) {
        let FieldSet { name, value, bases } = set;
        let mut heads: Vec<FieldState> = Vec::new();
        heads.extend(self.fields.remove(&name));
        heads.extend(self.competing.remove(&name).unwrap_or_default());
        for base in bases.into_iter().filter(|b| *b != stamp) {
            heads.retain(|h| h.stamp != base);
            // Kept even when the replaced write has not arrived yet: when it does, it
            // is history, not a head.
            self.replaced.insert((name.clone(), base));
        }
        if !self.replaced.contains(&(name.clone(), stamp)) {
            match heads.iter_mut().find(|h| h.stamp == stamp) {
                Some(same) => {
                    if encoded(&value) > encoded(&same.value) {
                        same.value = value;
                    }
                }
                None => heads.push(FieldState { value, stamp }),
            }
        }
        // The shown value is the highest-stamped head; the rest compete with it.
        heads.sort_by_key(|h| h.stamp);
        if let Some(winner) = heads.pop() {
            if !heads.is_empty() {
                self.competing.insert(name.clone(), heads);
            }
            self.fields.insert(name, winner);
        }
    }

    /// The state that `ops` produce from nothing.
    pub fn replay<'a>(ops: impl IntoIterator<Item = &'a Op>) -> Self {
        let mut state = Self::default();
        for op in ops {
            state.apply(op);
        }
        state
    }

    /// Fields whose heads hold different values: open conflicts.
    pub fn conflicted_fields(&self) -> impl Iterator<Item = (&String, &FieldState, &[FieldState])> {
        self.competing.iter().filter_map(|(name, others)| {
            let shown = self.fields.get(name)?;
            others.iter().any(|o| o.value != shown.value).then_some((
                name,
                shown,
                others.as_slice(),
            ))
        })
    }

    /// Every head of `name`: the shown value first, then the competing ones.
    pub fn heads(&self, name: &str) -> Vec<&FieldState> {
        let mut out: Vec<&FieldState> = self.fields.get(name).into_iter().collect();
        out.extend(self.competing.get(name).into_iter().flatten());
        out
    }

    /// Stamps of every head of every field, of every log entry and of every restore:
    /// what a device that deletes or resolves this record has seen.
    pub fn seen_stamps(&self) -> Vec<Stamp> {
        let mut out: Vec<Stamp> = self.fields.values().map(|f| f.stamp).collect();
        out.extend(self.competing.values().flatten().map(|f| f.stamp));
        out.extend(self.entries.values().flat_map(|log| log.keys().copied()));
        out.extend(self.restores.iter().copied());
        out.sort();
        out.dedup();
        out
    }

    /// Tombstones in force (not withdrawn by a resolution).
    pub fn live_tombstones(&self) -> impl Iterator<Item = (&Stamp, &(Vec<Stamp>, bool))> {
        self.tombstones
            .iter()
            .filter(|(t, _)| !self.restored.contains(t))
    }

    /// While deleted: heads, entries and restores that no tombstone in force saw,
    /// which were made concurrently with the delete. Empty when not deleted.
    pub fn unseen_by_delete(&self) -> Vec<Unseen<'_>> {
        if self.deleted.is_none() {
            return Vec::new();
        }
        let seen: BTreeSet<&Stamp> = self.live_tombstones().flat_map(|(_, (s, _))| s).collect();
        let mut out: Vec<Unseen<'_>> = Vec::new();
        for (name, field) in &self.fields {
            for head in std::iter::once(field).chain(self.competing.get(name).into_iter().flatten())
            {
                if !seen.contains(&head.stamp) {
                    out.push(Unseen::Field(name, head));
                }
            }
        }
        for log in self.entries.values() {
            out.extend(
                log.iter()
                    .filter(|(s, _)| !seen.contains(s))
                    .map(|(s, v)| Unseen::Entry(*s, v)),
            );
        }
        out.extend(
            self.restores
                .iter()
                .filter(|s| !seen.contains(s))
                .map(|s| Unseen::Restore(*s)),
        );
        out
    }

    /// Whether any conflict is open on this record.
    pub fn has_conflict(&self) -> bool {
        self.conflicted_fields().next().is_some() || !self.unseen_by_delete().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;
    use crate::records::Value;
    use crate::sync::op::OpId;

    fn op(device: u8, seq: u64, wall: u64, body: OpBody) -> Op {
        let device = DeviceId([device; 16]);
        Op {
            id: OpId { device, seq },
            record: RecordId([9; 16]),
            stamp: Stamp {
                wall_ms: wall,
                counter: 0,
                device,
            },
            epoch: 0,
            body,
        }
    }

    fn set(name: &str, text: &str) -> OpBody {
        OpBody::Set {
            fields: vec![FieldSet {
                name: name.into(),
                value: Some(Value::Text(text.into())),
                bases: vec![],
            }],
        }
    }

    #[test]
    fn any_order_with_duplicates_gives_the_same_state() {
        let create = op(
            1,
            1,
            10,
            OpBody::Create {
                kind: RecordKind::Case,
                case: None,
                form: None,
                fields: vec![],
            },
        );
        let ops = vec![
            create,
            op(1, 2, 20, set("name", "Asha")),
            op(2, 1, 20, set("name", "Aasha")),
            op(2, 2, 30, set("village", "Rampur")),
            op(
                1,
                3,
                40,
                OpBody::Tombstone {
                    seen: vec![],
                    with_case: false,
                },
            ),
        ];
        let forward = RecordState::replay(&ops);
        let mut reversed: Vec<&Op> = ops.iter().rev().collect();
        reversed.extend(ops.iter());
        let backward = RecordState::replay(reversed);
        assert_eq!(forward, backward);
        // Equal wall time: the higher device id wins, everywhere.
        assert_eq!(
            forward.fields["name"].value,
            Some(Value::Text("Aasha".into()))
        );
        assert!(forward.deleted.is_some());
        assert_eq!(forward.header.unwrap().kind, RecordKind::Case);
    }

    fn set_on(name: &str, text: &str, bases: Vec<Stamp>) -> OpBody {
        OpBody::Set {
            fields: vec![FieldSet {
                name: name.into(),
                value: Some(Value::Text(text.into())),
                bases,
            }],
        }
    }

    #[test]
    fn a_late_base_never_becomes_a_head() {
        let a = op(1, 1, 10, set_on("notes", "first", vec![]));
        let b = op(2, 1, 20, set_on("notes", "second", vec![a.stamp]));
        let c = op(3, 1, 30, set_on("notes", "third", vec![b.stamp]));
        let orders: [[&Op; 3]; 3] = [[&a, &b, &c], [&c, &b, &a], [&b, &c, &a]];
        for order in orders {
            let state = RecordState::replay(order);
            assert_eq!(
                state.fields["notes"].value,
                Some(Value::Text("third".into()))
            );
            assert!(!state.has_conflict(), "{order:?}");
            assert!(state.competing.is_empty());
        }
    }

    #[test]
    fn concurrent_different_values_are_kept_until_a_resolution_names_both() {
        let a = op(1, 1, 10, set_on("age", "14", vec![]));
        let b = op(2, 1, 11, set_on("age", "15", vec![]));
        let state = RecordState::replay([&a, &b]);
        assert!(state.has_conflict());
        assert_eq!(state.heads("age").len(), 2);
        // An edit that saw only the shown value leaves the other head competing.
        let c = op(1, 2, 12, set_on("age", "16", vec![b.stamp]));
        let mut after = state.clone();
        after.apply(&c);
        assert!(after.has_conflict());
        let resolve = op(
            1,
            3,
            13,
            OpBody::Resolve(Resolution::Fields(vec![FieldSet {
                name: "age".into(),
                value: Some(Value::Text("15".into())),
                bases: vec![a.stamp, c.stamp],
            }])),
        );
        after.apply(&resolve);
        assert!(!after.has_conflict());
        assert_eq!(after.fields["age"].value, Some(Value::Text("15".into())));
    }

    #[test]
    fn an_edit_the_delete_did_not_see_is_a_conflict() {
        let create = op(
            1,
            1,
            10,
            OpBody::Create {
                kind: RecordKind::Case,
                case: None,
                form: None,
                fields: vec![],
            },
        );
        let name = op(1, 2, 11, set_on("name", "Asha", vec![]));
        let delete = op(
            1,
            3,
            20,
            OpBody::Tombstone {
                seen: vec![name.stamp],
                with_case: false,
            },
        );
        let seen_everything = RecordState::replay([&create, &name, &delete]);
        assert!(seen_everything.deleted.is_some() && !seen_everything.has_conflict());
        let concurrent = op(2, 1, 15, set_on("notes", "moved", vec![]));
        let mut state = seen_everything.clone();
        state.apply(&concurrent);
        assert!(state.has_conflict());
        let unseen = state.unseen_by_delete();
        assert_eq!(unseen.len(), 1);
        assert!(matches!(unseen[0], Unseen::Field("notes", h) if h.stamp == concurrent.stamp));
    }

    /// Every order of `ops` (all permutations of up to 5) gives one state.
    fn same_in_every_order(ops: &[Op]) -> RecordState {
        fn permutations(items: Vec<&Op>) -> Vec<Vec<&Op>> {
            if items.len() <= 1 {
                return vec![items];
            }
            let mut out = Vec::new();
            for i in 0..items.len() {
                let mut rest = items.clone();
                let first = rest.remove(i);
                for mut tail in permutations(rest) {
                    tail.insert(0, first);
                    out.push(tail);
                }
            }
            out
        }
        let first = RecordState::replay(ops);
        for order in permutations(ops.iter().collect()) {
            assert_eq!(RecordState::replay(order.clone()), first, "{order:?}");
        }
        first
    }

    #[test]
    fn ops_sharing_a_stamp_merge_the_same_everywhere() {
        // Only a broken or copied device issues one stamp twice; devices must still agree.
        let a = op(1, 1, 10, set_on("notes", "from the original", vec![]));
        let mut b = op(1, 2, 10, set_on("notes", "from the copy", vec![]));
        b.stamp = a.stamp;
        let later = op(2, 1, 20, set_on("notes", "after", vec![a.stamp]));
        let state = same_in_every_order(&[a.clone(), b.clone(), later]);
        assert_eq!(
            state.fields["notes"].value,
            Some(Value::Text("after".into()))
        );

        let note = |seq, text: &str| {
            let mut o = op(
                1,
                seq,
                10,
                OpBody::Append {
                    log: "notes".into(),
                    entry: Value::Text(text.into()),
                },
            );
            o.stamp = a.stamp;
            o
        };
        same_in_every_order(&[note(3, "one"), note(4, "two")]);

        // One op naming a field twice, and an edit of it arriving before or after.
        let twice = op(
            3,
            1,
            30,
            OpBody::Set {
                fields: vec![
                    FieldSet {
                        name: "age".into(),
                        value: Some(Value::Integer(14)),
                        bases: vec![],
                    },
                    FieldSet {
                        name: "age".into(),
                        value: Some(Value::Integer(15)),
                        bases: vec![],
                    },
                ],
            },
        );
        let edit = op(4, 1, 40, set_on("age", "16", vec![twice.stamp]));
        let state = same_in_every_order(&[twice, edit]);
        assert_eq!(state.fields["age"].value, Some(Value::Text("16".into())));
        assert!(!state.has_conflict());

        let tomb = |seq, seen: Vec<Stamp>, with_case| {
            let mut o = op(1, seq, 50, OpBody::Tombstone { seen, with_case });
            o.stamp.counter = 7;
            o
        };
        let state =
            same_in_every_order(&[tomb(5, vec![a.stamp], true), tomb(6, vec![b.stamp], false)]);
        assert_eq!(state.tombstones.len(), 1);
    }

    #[test]
    fn keeping_deleted_while_another_coordinator_restores_is_a_conflict() {
        let create = op(
            1,
            1,
            10,
            OpBody::Create {
                kind: RecordKind::Case,
                case: None,
                form: None,
                fields: vec![],
            },
        );
        let delete = op(
            1,
            2,
            20,
            OpBody::Tombstone {
                seen: vec![],
                with_case: false,
            },
        );
        let edit = op(2, 1, 15, set_on("notes", "moved", vec![]));
        let base = RecordState::replay([&create, &delete, &edit]);
        assert!(base.has_conflict());
        let mut seen = base.seen_stamps();
        seen.push(delete.stamp);
        let keep = op(3, 1, 30, OpBody::Resolve(Resolution::KeepDeleted { seen }));
        let restore = op(
            4,
            1,
            31,
            OpBody::Resolve(Resolution::Restore {
                tombstones: vec![delete.stamp],
            }),
        );
        let state = same_in_every_order(&[create, delete, edit, keep, restore.clone()]);
        assert!(state.deleted.is_some());
        assert!(state.has_conflict(), "the restore was overruled unseen");
        assert!(
            state
                .unseen_by_delete()
                .contains(&Unseen::Restore(restore.stamp))
        );
    }
}
