//! The embedded store: one SQLite file in the data directory, one connection (SQLite
//! writes one transaction at a time anyway), WAL and full sync.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::group_commit::{GroupCommit, GroupResult, Push};
use super::{Device, Id, Pushed, Role, Storage, StorageError, StoredBundle, ms};

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Database(e.to_string())
    }
}

/// The embedded store: one SQLite file in the data directory.
pub struct SqliteStorage {
    conn: Mutex<Connection>,
    group: GroupCommit,
}

/// The schema, one step per version, in order; `PRAGMA user_version` records how many
/// steps a store has. A step is never edited once released: changes are new steps.
const MIGRATIONS: &[&str] = &[SCHEMA_1, SCHEMA_2, SCHEMA_3, SCHEMA_4, SCHEMA_5, SCHEMA_6];

const SCHEMA_1: &str = "
CREATE TABLE IF NOT EXISTS operator (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    token_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS teams (
    id         BLOB PRIMARY KEY,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id          BLOB PRIMARY KEY,
    team        BLOB NOT NULL REFERENCES teams (id),
    public_key  BLOB NOT NULL,
    role        TEXT NOT NULL,
    enrolled_ms INTEGER NOT NULL,
    revoked_ms  INTEGER
);
CREATE INDEX IF NOT EXISTS devices_by_team ON devices (team, enrolled_ms);
CREATE UNIQUE INDEX IF NOT EXISTS devices_by_key ON devices (public_key);
CREATE TABLE IF NOT EXISTS enrollments (
    token_hash BLOB PRIMARY KEY,
    team       BLOB NOT NULL REFERENCES teams (id),
    role       TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_by    BLOB
);
CREATE TABLE IF NOT EXISTS bundles (
    team        BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    device      BLOB NOT NULL,
    batch       INTEGER NOT NULL,
    body_hash   BLOB NOT NULL,
    size        INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    body        BLOB NOT NULL,
    PRIMARY KEY (team, seq),
    UNIQUE (device, batch)
);
CREATE TABLE IF NOT EXISTS nonces (
    device  BLOB NOT NULL,
    nonce   BLOB NOT NULL,
    used_ms INTEGER NOT NULL,
    PRIMARY KEY (device, nonce)
);
CREATE INDEX IF NOT EXISTS nonces_by_time ON nonces (used_ms);
";

/// Key rotation: each device's X25519 key, and the new team keys sealed to it.
const SCHEMA_2: &str = "
ALTER TABLE devices ADD COLUMN kx_public BLOB;
CREATE TABLE grants (
    device     BLOB NOT NULL,
    epoch      INTEGER NOT NULL,
    team       BLOB NOT NULL,
    body       BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (device, epoch)
);
CREATE TABLE epochs (
    team   BLOB NOT NULL,
    epoch  INTEGER NOT NULL,
    author BLOB NOT NULL,
    PRIMARY KEY (team, epoch)
);
";

/// The key epoch each device joined with, so coordinators can deliver it the later
/// ones (devices enrolled before this step count as joined with the first).
const SCHEMA_3: &str = "
ALTER TABLE devices ADD COLUMN joined_epoch INTEGER NOT NULL DEFAULT 1;
CREATE INDEX grants_by_team ON grants (team, epoch);
ALTER TABLE enrollments ADD COLUMN created_by BLOB;
CREATE INDEX enrollments_by_creator ON enrollments (created_by) WHERE used_by IS NULL;
CREATE INDEX enrollments_by_team ON enrollments (team);
";

/// Each device's membership proof (from its invite, see the core's `authority`): kept
/// and listed as given, for coordinators to check before they seal a key to it.
const SCHEMA_4: &str = "
ALTER TABLE devices ADD COLUMN membership BLOB;
";

/// The coordinator's signed removal of a revoked device, handed to it with the wipe
/// instruction (it wipes only on a removal signed by one of its coordinators).
const SCHEMA_5: &str = "
ALTER TABLE devices ADD COLUMN revocation BLOB;
";

/// A coordinator's confirmation of another coordinator's key (see [`Device`]).
const SCHEMA_6: &str = "
ALTER TABLE devices ADD COLUMN confirmation BLOB;
";

fn role_of(name: &str) -> Result<Role, rusqlite::Error> {
    Role::parse(name).ok_or_else(|| rusqlite::Error::InvalidColumnName(name.to_owned()))
}

fn device_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    let role: String = r.get(3)?;
    Ok(Device {
        id: r.get(0)?,
        team: r.get(1)?,
        public_key: r.get(2)?,
        role: role_of(&role)?,
        enrolled_ms: r.get::<_, i64>(4)? as u64,
        revoked_ms: r.get::<_, Option<i64>>(5)?.map(|t| t as u64),
        kx_public: r.get(6)?,
        joined_epoch: r.get(7)?,
        enrolled_by: None,
        membership: r.get(8)?,
        revocation: r.get(9)?,
        confirmation: r.get(10)?,
    })
}

const DEVICE_COLUMNS: &str = "id, team, public_key, role, enrolled_ms, revoked_ms, kx_public, joined_epoch, membership, revocation, confirmation";

/// Whether device ?1 of team ?2 is owed a grant of epoch ?3 (a top-up stores only
/// those): the condition of [`Storage::lacking_grants`] for one pair.
const LACKS: &str = "
SELECT EXISTS (SELECT 1 FROM devices d WHERE d.id = ?1 AND d.team = ?2
    AND d.revoked_ms IS NULL AND d.kx_public IS NOT NULL AND d.membership IS NOT NULL
    AND d.joined_epoch < ?3)
  AND NOT EXISTS (SELECT 1 FROM epochs e WHERE e.team = ?2 AND e.epoch = ?3 AND e.author = ?1)";

/// See [`Storage::lacking_grants`].
const LACKING_GRANTS: &str = "
SELECT d.id, e.epoch FROM devices d JOIN epochs e ON e.team = d.team
WHERE d.team = ?1 AND d.revoked_ms IS NULL AND d.kx_public IS NOT NULL
  AND d.membership IS NOT NULL AND e.epoch > d.joined_epoch AND e.author <> d.id
  AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.device = d.id AND g.epoch = e.epoch)
ORDER BY d.id, e.epoch";

impl SqliteStorage {
    /// Opens (creating) `server.sqlite` in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Database(e.to_string()))?;
        let mut conn = Connection::open(dir.join("server.sqlite"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            group: GroupCommit::default(),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| StorageError::Database("a request failed while writing".into()))?;
        f(&mut conn)
    }
}

impl SqliteStorage {
    /// Stores one group of `team`'s pushes in one transaction (one disk flush). Each
    /// push is checked in the transaction, so a push racing a revocation is either
    /// before it or refused; a refused push writes nothing.
    fn push_group(&self, team: &Id, pushes: &[Push]) -> GroupResult {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let forget = pushes.iter().map(|p| p.forget_before_ms).max().unwrap_or(0);
            tx.prepare_cached("DELETE FROM nonces WHERE used_ms < ?1")?
                .execute([ms(forget)])?;
            let mut next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM bundles WHERE team = ?1",
                [team],
                |r| r.get(0),
            )?;
            let mut answers = Vec::with_capacity(pushes.len());
            for push in pushes {
                let answer = store_one(&tx, team, push, next)?;
                if matches!(
                    answer,
                    Ok(Pushed {
                        duplicate: false,
                        ..
                    })
                ) {
                    next += 1;
                }
                answers.push(answer);
            }
            tx.commit()?;
            Ok(answers)
        })
    }
}

/// One push of a group, numbered `seq` if it is new: its answer, or an error of the
/// database (which fails the group).
fn store_one(
    tx: &Connection,
    team: &Id,
    push: &Push,
    seq: i64,
) -> Result<Result<Pushed, StorageError>, StorageError> {
    match unrevoked_member(tx, team, &push.device) {
        Ok(()) => {}
        Err(StorageError::NotInTeam | StorageError::Revoked) => {
            return Ok(Err(StorageError::Revoked));
        }
        Err(e) => return Err(e),
    }
    let existing: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, body_hash FROM bundles WHERE device = ?1 AND batch = ?2")?
        .query_row(params![push.device, ms(push.batch)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if existing
        .as_ref()
        .is_some_and(|(_, stored)| stored[..] != push.hash[..])
    {
        return Ok(Err(StorageError::BatchReused));
    }
    let fresh = tx
        .prepare_cached(
            "INSERT INTO nonces (device, nonce, used_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![push.device, push.nonce, ms(push.now_ms)])?;
    if fresh == 0 {
        return Ok(Err(StorageError::Replayed));
    }
    if let Some((seq, _)) = existing {
        // The nonce stays recorded: the request was received.
        return Ok(Ok(Pushed {
            seq: seq as u64,
            duplicate: true,
        }));
    }
    tx.prepare_cached(
        "INSERT INTO bundles (team, seq, device, batch, body_hash, size, received_ms, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        team,
        seq,
        push.device,
        ms(push.batch),
        push.hash,
        push.body.len() as i64,
        ms(push.now_ms),
        push.body
    ])?;
    Ok(Ok(Pushed {
        seq: seq as u64,
        duplicate: false,
    }))
}

/// Brings the store's schema up to this server's version in one transaction.
fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found > MIGRATIONS.len() {
        return Err(StorageError::NewerSchema {
            found,
            known: MIGRATIONS.len(),
        });
    }
    for (done, step) in MIGRATIONS.iter().enumerate().skip(found) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", done + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Checks that `device` is a member of `team` and not revoked (callers hold an
/// immediate transaction, so a revocation is ordered against them).
fn unrevoked_member(conn: &Connection, team: &Id, device: &Id) -> Result<(), StorageError> {
    let revoked: Option<i64> = conn
        .query_row(
            "SELECT revoked_ms FROM devices WHERE id = ?1 AND team = ?2",
            params![device, team],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StorageError::NotInTeam)?;
    match revoked {
        Some(_) => Err(StorageError::Revoked),
        None => Ok(()),
    }
}

fn insert_device(conn: &Connection, device: &Device, role: Role) -> Result<(), StorageError> {
    let added = conn.execute(
        "INSERT INTO devices
         (id, team, public_key, role, enrolled_ms, kx_public, joined_epoch, membership)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        params![
            device.id,
            device.team,
            device.public_key,
            role.name(),
            ms(device.enrolled_ms),
            device.kx_public,
            device.joined_epoch,
            device.membership
        ],
    )?;
    if added == 0 {
        return Err(StorageError::DeviceExists);
    }
    Ok(())
}

impl Storage for SqliteStorage {
    fn init_operator(&self, token_hash: &[u8; 32]) -> Result<bool, StorageError> {
        self.with(|c| {
            Ok(c.execute(
                "INSERT INTO operator (one, token_hash) VALUES (1, ?1) ON CONFLICT DO NOTHING",
                [token_hash],
            )? == 1)
        })
    }

    fn operator(&self) -> Result<Option<[u8; 32]>, StorageError> {
        self.with(|c| {
            Ok(
                c.query_row("SELECT token_hash FROM operator", [], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    fn create_team(&self, team: &Id, coordinator: &Device) -> Result<(), StorageError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let added = tx.execute(
                "INSERT INTO teams (id, created_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![team, ms(coordinator.enrolled_ms)],
            )?;
            if added == 0 {
                return Err(StorageError::TeamExists);
            }
            insert_device(&tx, coordinator, Role::Coordinator)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn device(&self, id: &Id) -> Result<Option<Device>, StorageError> {
        self.with(|c| {
            Ok(c.query_row(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
                [id],
                device_from_row,
            )
            .optional()?)
        })
    }

    fn devices(&self, team: &Id) -> Result<Vec<Device>, StorageError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE team = ?1 ORDER BY enrolled_ms, id"
            ))?;
            let mut devices: Vec<Device> = stmt
                .query_map([team], device_from_row)?
                .collect::<Result<_, _>>()?;
            let mut stmt = c.prepare_cached(
                "SELECT used_by, created_by FROM enrollments
                 WHERE team = ?1 AND used_by IS NOT NULL AND created_by IS NOT NULL",
            )?;
            let by: Vec<(Id, Id)> = stmt
                .query_map([team], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for device in &mut devices {
                device.enrolled_by = by.iter().find(|(d, _)| *d == device.id).map(|(_, c)| *c);
            }
            Ok(devices)
        })
    }

    fn add_enrollment(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        role: Role,
        expires_ms: u64,
        created_by: &Id,
    ) -> Result<(), StorageError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            unrevoked_member(&tx, team, created_by)?;
            let added = tx.execute(
                "INSERT INTO enrollments (token_hash, team, role, expires_ms, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![token_hash, team, role.name(), ms(expires_ms), created_by],
            )?;
            if added == 0 {
                return Err(StorageError::TokenExists);
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn enrollment_open(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        now_ms: u64,
    ) -> Result<bool, StorageError> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM enrollments
                 WHERE token_hash = ?1 AND team = ?2 AND used_by IS NULL AND expires_ms > ?3)",
                params![token_hash, team, ms(now_ms)],
                |r| r.get(0),
            )?)
        })
    }

    fn enroll(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        device: &Device,
        now_ms: u64,
    ) -> Result<Device, StorageError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let role: Option<String> = tx
                .query_row(
                    "SELECT role FROM enrollments
                     WHERE token_hash = ?1 AND team = ?2 AND used_by IS NULL AND expires_ms > ?3",
                    params![token_hash, team, ms(now_ms)],
                    |r| r.get(0),
                )
                .optional()?;
            let role = role
                .as_deref()
                .and_then(Role::parse)
                .ok_or(StorageError::BadEnrollment)?;
            insert_device(&tx, device, role)?;
            tx.execute(
                "UPDATE enrollments SET used_by = ?2 WHERE token_hash = ?1",
                params![token_hash, device.id],
            )?;
            tx.commit()?;
            Ok(Device {
                role,
                ..device.clone()
            })
        })
    }

    fn confirm(&self, team: &Id, device: &Id, proof: &[u8]) -> Result<bool, StorageError> {
        self.with(|c| {
            let found = c.execute(
                "UPDATE devices SET confirmation = ?3 WHERE id = ?1 AND team = ?2
                 AND role = ?4 AND revoked_ms IS NULL",
                params![device, team, proof, Role::Coordinator.name()],
            )?;
            Ok(found == 1)
        })
    }

    fn revoke(
        &self,
        team: &Id,
        device: &Id,
        now_ms: u64,
        proof: &[u8],
    ) -> Result<bool, StorageError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found = tx.execute(
                "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, ?3),
                 revocation = COALESCE(revocation, ?4) WHERE id = ?1 AND team = ?2",
                params![device, team, ms(now_ms), proof],
            )?;
            if found == 1 {
                tx.execute(
                    "DELETE FROM enrollments WHERE created_by = ?1 AND used_by IS NULL",
                    [device],
                )?;
            }
            tx.commit()?;
            Ok(found == 1)
        })
    }

    fn push(
        &self,
        team: &Id,
        device: &Id,
        batch: u64,
        body: &[u8],
        now_ms: u64,
        nonce: ([u8; 16], u64),
    ) -> Result<Pushed, StorageError> {
        let push = Push::new(device, batch, body, now_ms, nonce);
        self.group
            .push(team, push, &|team, pushes| self.push_group(team, pushes))
    }

    fn pull(
        &self,
        team: &Id,
        after: u64,
        max_bytes: usize,
    ) -> Result<(Vec<StoredBundle>, bool), StorageError> {
        self.with(|c| {
            // Sizes first, so the answer stays within the budget (at least one bundle)
            // and only the bundles sent are read.
            let mut sizes = c.prepare_cached(
                "SELECT seq, size FROM bundles WHERE team = ?1 AND seq > ?2 ORDER BY seq",
            )?;
            let mut rows = sizes.query(params![team, ms(after)])?;
            let (mut last, mut size, mut more) = (None, 0usize, false);
            while let Some(row) = rows.next()? {
                let bytes = row.get::<_, i64>(1)? as usize;
                if last.is_some() && size + bytes > max_bytes {
                    more = true;
                    break;
                }
                size += bytes;
                last = Some(row.get::<_, i64>(0)?);
            }
            drop(rows);
            let Some(last) = last else {
                return Ok((Vec::new(), false));
            };
            let mut bodies = c.prepare_cached(
                "SELECT seq, body FROM bundles WHERE team = ?1 AND seq > ?2 AND seq <= ?3
                 ORDER BY seq",
            )?;
            let out = bodies
                .query_map(params![team, ms(after), last], |r| {
                    Ok(StoredBundle {
                        seq: r.get::<_, i64>(0)? as u64,
                        body: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok((out, more))
        })
    }

    fn put_grants(
        &self,
        team: &Id,
        author: &Id,
        epoch: u32,
        grants: &[(Id, Vec<u8>)],
        top_up: bool,
        now_ms: u64,
    ) -> Result<(), StorageError> {
        self.with(|c| {
            // Immediate: the checks and the writes see one state, ordered against a
            // revocation of the author.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            unrevoked_member(&tx, team, author)?;
            let owner: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT author FROM epochs WHERE team = ?1 AND epoch = ?2",
                    params![team, epoch],
                    |r| r.get(0),
                )
                .optional()?;
            match owner {
                Some(_) if top_up => {}
                Some(owner) if owner == author => {}
                Some(_) => return Err(StorageError::EpochTaken),
                None if top_up => return Err(StorageError::NoSuchEpoch),
                None => {
                    let newest: u32 = tx.query_row(
                        "SELECT COALESCE(MAX(epoch), 1) FROM epochs WHERE team = ?1",
                        [team],
                        |r| r.get(0),
                    )?;
                    if Some(epoch) != newest.checked_add(1) {
                        return Err(StorageError::EpochOutOfOrder);
                    }
                    let mut stmt = tx.prepare(
                        "SELECT id, kx_public FROM devices WHERE team = ?1 AND revoked_ms IS NULL
                         AND kx_public IS NOT NULL AND membership IS NOT NULL AND id <> ?2",
                    )?;
                    let owed = stmt
                        .query_map(params![team, author], |r| {
                            Ok((r.get::<_, Id>(0)?, r.get::<_, [u8; 32]>(1)?))
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    drop(stmt);
                    if owed
                        .iter()
                        .filter(|(_, kx)| super::usable_kx(kx))
                        .any(|(d, _)| !grants.iter().any(|(g, _)| g == d))
                    {
                        return Err(StorageError::GrantsIncomplete);
                    }
                    tx.execute(
                        "INSERT INTO epochs (team, epoch, author) VALUES (?1, ?2, ?3)",
                        params![team, epoch, author],
                    )?;
                }
            }
            for (device, body) in grants {
                let ours: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?1 AND team = ?2)",
                    params![device, team],
                    |r| r.get(0),
                )?;
                if !ours {
                    return Err(StorageError::NotInTeam);
                }
                if top_up && !tx.query_row(LACKS, params![device, team, epoch], |r| r.get(0))? {
                    continue;
                }
                tx.execute(
                    "INSERT INTO grants (device, epoch, team, body, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                    params![device, epoch, team, body, ms(now_ms)],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn lacking_grants(&self, team: &Id) -> Result<Vec<(Id, u32)>, StorageError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(LACKING_GRANTS)?;
            let rows = stmt.query_map([team], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn grants(&self, device: &Id, after: u32) -> Result<Vec<(u32, Vec<u8>)>, StorageError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT epoch, body FROM grants WHERE device = ?1 AND epoch > ?2 ORDER BY epoch",
            )?;
            let rows = stmt.query_map(params![device, after], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn use_nonce(
        &self,
        device: &Id,
        nonce: &[u8; 16],
        now_ms: u64,
        forget_before_ms: u64,
    ) -> Result<bool, StorageError> {
        self.with(|c| {
            c.prepare_cached("DELETE FROM nonces WHERE used_ms < ?1")?
                .execute([ms(forget_before_ms)])?;
            let added = c
                .prepare_cached(
                    "INSERT INTO nonces (device, nonce, used_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![device, nonce, ms(now_ms)])?;
            Ok(added == 1)
        })
    }
}
