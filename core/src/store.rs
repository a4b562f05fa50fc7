//! SQLite storage: the schema, its numbered migrations, and the queries. This module
//! moves bytes; it never sees a key or a plaintext. Sealed values arrive sealed.
//!
//! Pragmas: WAL journal, `synchronous=FULL` (a commit that returned survives power
//! loss, not only a killed process), `secure_delete` (freed pages are zeroed),
//! temporary tables in memory (nothing spills to an unencrypted temp file).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

/// What can go wrong in storage. Messages name tables and random ids only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported that the file is damaged or not a database.
    #[error("the vault database is damaged: {0}")]
    Corrupt(String),
    /// The database was written by a newer Safekeep.
    #[error("the vault database has schema version {found}; this build knows up to {known}")]
    TooNew {
        /// Version on disk.
        found: i64,
        /// Highest version this build knows.
        known: i64,
    },
    /// Any other SQLite failure (disk full, locked, I/O).
    #[error("storage error: {0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match err.sqlite_error_code() {
            Some(DatabaseCorrupt | NotADatabase) => StoreError::Corrupt(err.to_string()),
            _ => StoreError::Sqlite(err),
        }
    }
}

/// Numbered migrations, applied in order, each in its own transaction together with the
/// `user_version` bump. Never edit a released step; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE meta (
         key   TEXT PRIMARY KEY,
         value BLOB NOT NULL
     ) STRICT;
     -- The append-only op log. Body is sealed; device and seq identify the op.
     CREATE TABLE ops (
         local_seq INTEGER PRIMARY KEY,
         device    BLOB NOT NULL,
         seq       INTEGER NOT NULL,
         record    BLOB NOT NULL,
         body      BLOB NOT NULL,
         UNIQUE (device, seq)
     ) STRICT;
     CREATE INDEX ops_by_record ON ops (record);
     -- Materialized current state, one sealed value per record. A record never
     -- changed since its creation has no state of its own: `origin` points at its
     -- creating op, whose replay is its state (half the bytes written and stored).
     -- A rowid table: states are ~1 KiB, too large for WITHOUT ROWID's b-tree pages.
     CREATE TABLE records (
         row       INTEGER PRIMARY KEY,
         id        BLOB NOT NULL UNIQUE,
         case_id   BLOB,
         form_tag  BLOB,
         live      INTEGER NOT NULL,
         state     BLOB,
         origin    INTEGER,
         CHECK ((state IS NULL) <> (origin IS NULL))
     ) STRICT;
     CREATE INDEX records_by_case ON records (case_id) WHERE case_id IS NOT NULL;",
    ),
    (
        2,
        "-- Forms loaded into this vault (the built-in pack ships in the binary). The tag
         -- is a keyed hash of form id and version; the sealed body holds the file.
         CREATE TABLE forms (
             tag  BLOB PRIMARY KEY,
             body BLOB NOT NULL
         ) STRICT;",
    ),
    (
        3,
        "-- Records with an open conflict, found without opening every state.
         ALTER TABLE records ADD COLUMN conflicted INTEGER NOT NULL DEFAULT 0;
         CREATE INDEX records_conflicted ON records (id) WHERE conflicted;
         -- The team key of each epoch, wrapped under the data key.
         CREATE TABLE team_keys (
             epoch   INTEGER PRIMARY KEY,
             wrapped BLOB NOT NULL
         ) STRICT;
         -- Ops from a newer version that this build cannot read: kept sealed and
         -- passed on, so no device drops another's work.
         CREATE TABLE held_ops (
             device BLOB NOT NULL,
             seq    INTEGER NOT NULL,
             record BLOB NOT NULL,
             body   BLOB NOT NULL,
             PRIMARY KEY (device, seq)
         ) STRICT;
         -- What each peer (keyed hash of its name) is known to hold: per device, every
         -- op up to `seq`.
         CREATE TABLE delivered (
             peer   BLOB NOT NULL,
             device BLOB NOT NULL,
             seq    INTEGER NOT NULL,
             PRIMARY KEY (peer, device)
         ) STRICT;",
    ),
];

/// Reads a record row with, for a record never changed since creation, its creating op.
const RECORD_SELECT: &str =
    "SELECT r.id, r.case_id, r.form_tag, r.live, r.state, r.origin, o.device, o.seq, o.record, o.body,
            r.conflicted
     FROM records r LEFT JOIN ops o ON r.state IS NULL AND o.local_seq = r.origin";

/// The highest schema version this build creates.
pub const SCHEMA_VERSION: i64 = 3;

/// One row of the `records` table.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// Random record id.
    pub id: Vec<u8>,
    /// The case this record belongs to (random id), if any.
    pub case_id: Option<Vec<u8>>,
    /// Keyed hash of the form id, if any.
    pub form_tag: Option<Vec<u8>>,
    /// False once tombstoned.
    pub live: bool,
    /// Sealed materialized state, or `None` while the creating op is the state.
    pub state: Option<Vec<u8>>,
    /// `local_seq` of the creating op, when `state` is `None`.
    pub origin: Option<i64>,
    /// That op, joined in on reads.
    pub origin_op: Option<OpRow>,
    /// An open conflict is recorded in the state.
    pub conflicted: bool,
}

/// A `records` row borrowed from SQLite's buffers while a scan is on it (no copies).
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    /// Random record id.
    pub id: &'a [u8],
    /// The case this record belongs to, if any.
    pub case_id: Option<&'a [u8]>,
    /// False once tombstoned.
    pub live: bool,
    /// Sealed materialized state, or `None` while the creating op is the state.
    pub state: Option<&'a [u8]>,
    /// The creating op, when `state` is `None`.
    pub origin_op: Option<OpView<'a>>,
}

/// An `ops` row borrowed from SQLite's buffers.
#[derive(Debug, Clone, Copy)]
pub struct OpView<'a> {
    /// Device that made the op.
    pub device: &'a [u8],
    /// That device's sequence number.
    pub seq: u64,
    /// The record the op changes.
    pub record: &'a [u8],
    /// Sealed op.
    pub body: &'a [u8],
}

impl RecordRow {
    /// The row as a borrowed view.
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            id: &self.id,
            case_id: self.case_id.as_deref(),
            live: self.live,
            state: self.state.as_deref(),
            origin_op: self.origin_op.as_ref().map(OpRow::view),
        }
    }
}

impl OpRow {
    /// The row as a borrowed view.
    pub fn view(&self) -> OpView<'_> {
        OpView {
            device: &self.device,
            seq: self.seq,
            record: &self.record,
            body: &self.body,
        }
    }
}

/// One row of the `ops` table.
#[derive(Debug, Clone)]
pub struct OpRow {
    /// Device that made the op.
    pub device: Vec<u8>,
    /// That device's sequence number.
    pub seq: u64,
    /// The record the op changes.
    pub record: Vec<u8>,
    /// Sealed op.
    pub body: Vec<u8>,
}

/// A stored form: (keyed tag, sealed body).
pub type FormRow = (Vec<u8>, Vec<u8>);

/// Which live records to list.
#[derive(Debug, Clone, Default)]
pub struct RowFilter {
    /// Only records of this case.
    pub case_id: Option<Vec<u8>>,
    /// Only records with this form tag.
    pub form_tag: Option<Vec<u8>>,
    /// Include tombstoned records.
    pub include_deleted: bool,
}

/// An open vault database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if asked) the database at `path`, sets the pragmas and migrates.
    pub fn open(path: &Path, create: bool) -> Result<Self, StoreError> {
        use rusqlite::OpenFlags;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // One process owns a vault at a time (the app, or one command). Exclusive
        // locking before WAL is entered keeps the WAL index in memory: no `-shm` file,
        // and no lock calls on every transaction.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        // 16 MiB of page cache (pages hold ciphertext only) and memory-mapped reads:
        // index inserts and scans at 100k records stay off the read syscalls.
        conn.pragma_update(None, "cache_size", -16384)?;
        conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!("journal mode stayed {mode}")));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Checkpoint every 16 MiB of WAL rather than every 4 MiB: fewer stalls on the
        // save path (a save writes ~7 pages); lock and close checkpoint as well.
        conn.pragma_update(None, "wal_autocheckpoint", 4096)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Self { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Starts a write transaction (IMMEDIATE: takes the write lock at once).
    pub fn write(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Reads a `meta` value.
    pub fn meta(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Removes a `meta` value.
    pub fn delete_meta(conn: &Connection, key: &str) -> Result<(), StoreError> {
        conn.prepare_cached("DELETE FROM meta WHERE key = ?1")?
            .execute([key])?;
        Ok(())
    }

    /// Writes a `meta` value.
    pub fn set_meta(conn: &Connection, key: &str, value: &[u8]) -> Result<(), StoreError> {
        conn.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![key, value])?;
        Ok(())
    }

    /// Appends an op to the log; returns its `local_seq`.
    pub fn append_op(conn: &Connection, op: &OpRow) -> Result<i64, StoreError> {
        let seq = i64::try_from(op.seq)
            .map_err(|_| StoreError::Corrupt("op sequence out of range".into()))?;
        conn.prepare_cached("INSERT INTO ops (device, seq, record, body) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![op.device, seq, op.record, op.body])?;
        Ok(conn.last_insert_rowid())
    }

    /// Inserts or replaces a record's materialized state.
    pub fn put_record(conn: &Connection, row: &RecordRow) -> Result<(), StoreError> {
        conn.prepare_cached(
            "INSERT INTO records (id, case_id, form_tag, live, state, origin, conflicted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET case_id = excluded.case_id,
                 form_tag = excluded.form_tag, live = excluded.live,
                 state = excluded.state, origin = excluded.origin,
                 conflicted = excluded.conflicted",
        )?
        .execute(params![
            row.id,
            row.case_id,
            row.form_tag,
            row.live,
            row.state,
            row.origin,
            row.conflicted
        ])?;
        Ok(())
    }

    fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
        let origin_op = match r.get::<_, Option<Vec<u8>>>(6)? {
            Some(device) => Some(OpRow {
                device,
                seq: r.get::<_, i64>(7)? as u64,
                record: r.get(8)?,
                body: r.get(9)?,
            }),
            None => None,
        };
        Ok(RecordRow {
            id: r.get(0)?,
            case_id: r.get(1)?,
            form_tag: r.get(2)?,
            live: r.get(3)?,
            state: r.get(4)?,
            origin: r.get(5)?,
            origin_op,
            conflicted: r.get(10)?,
        })
    }

    fn view_from_row<'a>(r: &'a rusqlite::Row<'_>) -> rusqlite::Result<RecordView<'a>> {
        let blob = |i: usize| -> rusqlite::Result<Option<&'a [u8]>> {
            Ok(r.get_ref(i)?.as_blob_or_null()?)
        };
        let origin_op = match blob(6)? {
            Some(device) => Some(OpView {
                device,
                seq: r.get::<_, i64>(7)? as u64,
                record: blob(8)?.unwrap_or_default(),
                body: blob(9)?.unwrap_or_default(),
            }),
            None => None,
        };
        Ok(RecordView {
            id: blob(0)?.unwrap_or_default(),
            case_id: blob(1)?,
            live: r.get(3)?,
            state: blob(4)?,
            origin_op,
        })
    }

    /// One record's row.
    pub fn record(conn: &Connection, id: &[u8]) -> Result<Option<RecordRow>, StoreError> {
        Ok(conn
            .prepare_cached(&format!("{RECORD_SELECT} WHERE r.id = ?1"))?
            .query_row([id], Self::record_from_row)
            .optional()?)
    }

    /// Whether a record is live and whether it belongs to a case, without opening it.
    pub fn record_flags(conn: &Connection, id: &[u8]) -> Result<Option<(bool, bool)>, StoreError> {
        Ok(conn
            .prepare_cached("SELECT live, case_id IS NOT NULL FROM records WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Whether a case has a record that is not deleted (only asked of deleted cases:
    /// such a record was added elsewhere while the case was being deleted).
    pub fn has_live_child(conn: &Connection, case: &[u8]) -> Result<bool, StoreError> {
        Ok(conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM records WHERE case_id = ?1 AND live)")?
            .query_row([case], |r| r.get(0))?)
    }

    /// Sets whether a record has an open conflict.
    pub fn set_conflicted(
        conn: &Connection,
        id: &[u8],
        conflicted: bool,
    ) -> Result<(), StoreError> {
        conn.prepare_cached("UPDATE records SET conflicted = ?2 WHERE id = ?1")?
            .execute(params![id, conflicted])?;
        Ok(())
    }

    /// Record rows matching `filter`, visited one at a time (no full copy in memory).
    pub fn for_each_record<E: From<StoreError>>(
        conn: &Connection,
        filter: &RowFilter,
        mut visit: impl FnMut(RecordView<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = conn
            .prepare_cached(&format!(
                "{RECORD_SELECT}
                 WHERE (?1 IS NULL OR r.case_id = ?1)
                   AND (?2 IS NULL OR r.form_tag = ?2)
                   AND (?3 OR r.live)"
            ))
            .map_err(StoreError::from)?;
        let mut rows = stmt
            .query(params![
                filter.case_id,
                filter.form_tag,
                filter.include_deleted
            ])
            .map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            visit(Self::view_from_row(row).map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    fn op_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OpRow> {
        Ok(OpRow {
            device: r.get(0)?,
            seq: r.get::<_, i64>(1)? as u64,
            record: r.get(2)?,
            body: r.get(3)?,
        })
    }

    /// Every op of one record, in local order.
    pub fn ops_of(conn: &Connection, record: &[u8]) -> Result<Vec<OpRow>, StoreError> {
        let mut stmt = conn.prepare_cached(
            "SELECT device, seq, record, body FROM ops WHERE record = ?1 ORDER BY local_seq",
        )?;
        let rows = stmt.query_map([record], Self::op_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ops whose record has no row in `records` (only damage produces them).
    pub fn orphan_ops(conn: &Connection) -> Result<Vec<OpRow>, StoreError> {
        let mut stmt = conn.prepare(
            "SELECT device, seq, record, body FROM ops
             WHERE record NOT IN (SELECT id FROM records) ORDER BY local_seq",
        )?;
        let rows = stmt.query_map([], Self::op_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores (or replaces) a sealed form under its tag.
    pub fn put_form(conn: &Connection, tag: &[u8], body: &[u8]) -> Result<(), StoreError> {
        conn.prepare_cached(
            "INSERT INTO forms (tag, body) VALUES (?1, ?2)
             ON CONFLICT (tag) DO UPDATE SET body = excluded.body",
        )?
        .execute(params![tag, body])?;
        Ok(())
    }

    /// Every stored form.
    pub fn forms(conn: &Connection) -> Result<Vec<FormRow>, StoreError> {
        let mut stmt = conn.prepare_cached("SELECT tag, body FROM forms ORDER BY tag")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Appends an op unless one with its id is already in the log; returns its
    /// `local_seq` when it was new.
    pub fn append_op_if_new(conn: &Connection, op: &OpRow) -> Result<Option<i64>, StoreError> {
        let seq = i64::try_from(op.seq)
            .map_err(|_| StoreError::Corrupt("op sequence out of range".into()))?;
        let added = conn
            .prepare_cached(
                "INSERT INTO ops (device, seq, record, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (device, seq) DO NOTHING",
            )?
            .execute(params![op.device, seq, op.record, op.body])?;
        Ok((added == 1).then(|| conn.last_insert_rowid()))
    }

    /// Whether an op with this id is in the log or held.
    pub fn has_op(conn: &Connection, device: &[u8], seq: u64) -> Result<bool, StoreError> {
        Ok(conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM ops WHERE device = ?1 AND seq = ?2)
                     OR EXISTS (SELECT 1 FROM held_ops WHERE device = ?1 AND seq = ?2)",
            )?
            .query_row(params![device, seq as i64], |r| r.get(0))?)
    }

    /// Keeps an op this build cannot read (sealed), unless already kept; true when new.
    pub fn hold_op(conn: &Connection, op: &OpRow) -> Result<bool, StoreError> {
        let added = conn
            .prepare_cached(
                "INSERT INTO held_ops (device, seq, record, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (device, seq) DO NOTHING",
            )?
            .execute(params![op.device, op.seq as i64, op.record, op.body])?;
        Ok(added == 1)
    }

    /// Every held op.
    pub fn held_ops(conn: &Connection) -> Result<Vec<OpRow>, StoreError> {
        let mut stmt = conn.prepare_cached(
            "SELECT device, seq, record, body FROM held_ops ORDER BY device, seq",
        )?;
        let rows = stmt.query_map([], Self::op_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes a held op (once it has been read and applied).
    pub fn release_held_op(conn: &Connection, device: &[u8], seq: u64) -> Result<(), StoreError> {
        conn.prepare_cached("DELETE FROM held_ops WHERE device = ?1 AND seq = ?2")?
            .execute(params![device, seq as i64])?;
        Ok(())
    }

    /// Every device with ops in the log or held.
    pub fn devices(conn: &Connection) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT device FROM ops UNION SELECT DISTINCT device FROM held_ops",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The highest `n` such that every op 1..=n of `device` is here (logged or held).
    pub fn contiguous_seq(conn: &Connection, device: &[u8]) -> Result<u64, StoreError> {
        let (count, max): (i64, Option<i64>) = conn
            .prepare_cached(
                "SELECT (SELECT COUNT(*) FROM ops WHERE device = ?1)
                      + (SELECT COUNT(*) FROM held_ops WHERE device = ?1),
                        MAX((SELECT MAX(seq) FROM ops WHERE device = ?1),
                            COALESCE((SELECT MAX(seq) FROM held_ops WHERE device = ?1), 0))",
            )?
            .query_row([device], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let max = max.unwrap_or(0);
        if count == max {
            return Ok(max.max(0) as u64);
        }
        // A gap (a part of a split bundle still missing): walk to the first hole.
        let mut stmt = conn.prepare_cached(
            "SELECT seq FROM ops WHERE device = ?1 UNION SELECT seq FROM held_ops
             WHERE device = ?1 ORDER BY 1",
        )?;
        let mut rows = stmt.query([device])?;
        let mut expect: i64 = 1;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            if seq != expect {
                break;
            }
            expect += 1;
        }
        Ok((expect - 1) as u64)
    }

    /// Ops of `device` with sequence numbers above `after`, in order, one at a time,
    /// until `visit` returns false.
    pub fn for_each_op_after<E: From<StoreError>>(
        conn: &Connection,
        device: &[u8],
        after: u64,
        mut visit: impl FnMut(OpView<'_>) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut stmt = conn
            .prepare_cached(
                "SELECT device, seq, record, body FROM ops
                 WHERE device = ?1 AND seq > ?2 ORDER BY seq",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt
            .query(params![device, after.min(i64::MAX as u64) as i64])
            .map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            let blob = |i: usize| -> Result<&[u8], StoreError> {
                Ok(r.get_ref(i)?.as_blob().map_err(rusqlite::Error::from)?)
            };
            let view = OpView {
                device: blob(0)?,
                seq: r.get::<_, i64>(1).map_err(StoreError::from)? as u64,
                record: blob(2)?,
                body: blob(3)?,
            };
            if !visit(view)? {
                break;
            }
        }
        Ok(())
    }

    /// Ids of records with an open conflict.
    pub fn conflicted_records(conn: &Connection) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt =
            conn.prepare_cached("SELECT id FROM records WHERE conflicted ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores the wrapped team key of `epoch`.
    pub fn put_team_key(conn: &Connection, epoch: u32, wrapped: &[u8]) -> Result<(), StoreError> {
        conn.prepare_cached(
            "INSERT INTO team_keys (epoch, wrapped) VALUES (?1, ?2)
             ON CONFLICT (epoch) DO UPDATE SET wrapped = excluded.wrapped",
        )?
        .execute(params![epoch, wrapped])?;
        Ok(())
    }

    /// The wrapped team key of `epoch`.
    pub fn team_key(conn: &Connection, epoch: u32) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(conn
            .prepare_cached("SELECT wrapped FROM team_keys WHERE epoch = ?1")?
            .query_row([epoch], |r| r.get(0))
            .optional()?)
    }

    /// The epochs whose team key this vault holds, oldest first.
    pub fn team_key_epochs(conn: &Connection) -> Result<Vec<u32>, StoreError> {
        let mut stmt = conn.prepare_cached("SELECT epoch FROM team_keys ORDER BY epoch")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What `peer` is known to hold: (device, seq) pairs.
    pub fn delivered(conn: &Connection, peer: &[u8]) -> Result<Vec<(Vec<u8>, u64)>, StoreError> {
        let mut stmt = conn.prepare_cached("SELECT device, seq FROM delivered WHERE peer = ?1")?;
        let rows = stmt.query_map([peer], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that `peer` holds every op of `device` up to `seq` (never lowers it).
    pub fn mark_delivered(
        conn: &Connection,
        peer: &[u8],
        device: &[u8],
        seq: u64,
    ) -> Result<(), StoreError> {
        conn.prepare_cached(
            "INSERT INTO delivered (peer, device, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (peer, device) DO UPDATE SET seq = MAX(seq, excluded.seq)",
        )?
        .execute(params![peer, device, seq.min(i64::MAX as u64) as i64])?;
        Ok(())
    }

    /// One op by its id.
    pub fn op(conn: &Connection, device: &[u8], seq: u64) -> Result<Option<OpRow>, StoreError> {
        Ok(conn
            .prepare_cached(
                "SELECT device, seq, record, body FROM ops WHERE device = ?1 AND seq = ?2",
            )?
            .query_row(params![device, seq as i64], Self::op_from_row)
            .optional()?)
    }

    /// The highest sequence number `device` has written, if any.
    pub fn last_seq(conn: &Connection, device: &[u8]) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = conn
            .prepare_cached("SELECT MAX(seq) FROM ops WHERE device = ?1")?
            .query_row([device], |r| r.get(0))?;
        Ok(seq.map(|s| s as u64))
    }

    /// `PRAGMA integrity_check`: empty when the file is sound, else SQLite's findings.
    pub fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let found: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(found.into_iter().filter(|line| line != "ok").collect())
    }

    /// Copies the WAL into the database and truncates the WAL file.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Closes the connection, reporting a failure to finish pending work.
    pub fn close(self) -> Result<(), StoreError> {
        self.conn.close().map_err(|(_, e)| StoreError::from(e))
    }
}
