//! The PostgreSQL store, for deployments that outgrow one machine: several stateless
//! server processes over one database. Everything that must be decided once (a team's
//! next sequence number, a nonce, an enrollment token, a (device, batch) pair) is
//! decided by the database inside a transaction, never in a process's memory.
//!
//! Ordering, in groups: the pushes of one team that arrive together in one server
//! process are stored in one transaction (`group_commit`), which numbers them as it
//! inserts them under the team's sequencing lock. The lock holder commits (making its
//! numbers visible) before it lets go, so a puller never sees seq n+1 before seq n, and
//! the numbers run without a gap; processes over one database take turns per group.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use postgres::config::SslMode;
use postgres::types::Type;
use postgres::{Row, Transaction};
use r2d2_postgres::PostgresConnectionManager;
use r2d2_postgres::r2d2::{Pool, PooledConnection};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::group_commit::{GroupCommit, GroupResult, Push};
use super::{Device, Id, Identity, Pushed, Role, Storage, StorageError, StoredBundle, ms};

/// The schema, one step per version, in order; the `schema_version` table records how
/// many steps the database has. A step is never edited once released.
const MIGRATIONS: &[&str] = &[
    SCHEMA_1, SCHEMA_2, SCHEMA_3, SCHEMA_4, SCHEMA_5, SCHEMA_6, SCHEMA_7, SCHEMA_8,
];

const SCHEMA_1: &str = "
CREATE TABLE operator (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    token_hash BYTEA NOT NULL
);
CREATE TABLE teams (
    id         BYTEA PRIMARY KEY,
    created_ms BIGINT NOT NULL,
    last_seq   BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE devices (
    id          BYTEA PRIMARY KEY,
    team        BYTEA NOT NULL REFERENCES teams (id),
    public_key  BYTEA NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    enrolled_ms BIGINT NOT NULL,
    revoked_ms  BIGINT
);
CREATE INDEX devices_by_team ON devices (team, enrolled_ms);
CREATE TABLE enrollments (
    token_hash BYTEA PRIMARY KEY,
    team       BYTEA NOT NULL REFERENCES teams (id),
    role       TEXT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_by    BYTEA
);
CREATE TABLE bundles (
    team        BYTEA NOT NULL,
    seq         BIGINT NOT NULL,
    device      BYTEA NOT NULL,
    batch       BIGINT NOT NULL,
    body_hash   BYTEA NOT NULL,
    size        BIGINT NOT NULL,
    received_ms BIGINT NOT NULL,
    body        BYTEA NOT NULL,
    PRIMARY KEY (team, seq),
    UNIQUE (device, batch)
);
-- Sealed bytes do not compress: store them out of line without trying.
ALTER TABLE bundles ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE nonces (
    device  BYTEA NOT NULL,
    nonce   BYTEA NOT NULL,
    used_ms BIGINT NOT NULL,
    PRIMARY KEY (device, nonce)
);
CREATE INDEX nonces_by_device_time ON nonces (device, used_ms);
";

/// Key rotation: each device's X25519 key, and the new team keys sealed to it.
const SCHEMA_2: &str = "
ALTER TABLE devices ADD COLUMN kx_public BYTEA;
CREATE TABLE grants (
    device     BYTEA NOT NULL,
    epoch      BIGINT NOT NULL,
    team       BYTEA NOT NULL,
    body       BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (device, epoch)
);
CREATE TABLE epochs (
    team   BYTEA NOT NULL,
    epoch  BIGINT NOT NULL,
    author BYTEA NOT NULL,
    PRIMARY KEY (team, epoch)
);
";

/// The key epoch each device joined with, so coordinators can deliver it the later
/// ones (devices enrolled before this step count as joined with the first).
const SCHEMA_3: &str = "
ALTER TABLE devices ADD COLUMN joined_epoch BIGINT NOT NULL DEFAULT 1;
CREATE INDEX grants_by_team ON grants (team, epoch);
ALTER TABLE enrollments ADD COLUMN created_by BYTEA;
CREATE INDEX enrollments_by_creator ON enrollments (created_by) WHERE used_by IS NULL;
CREATE INDEX enrollments_by_team ON enrollments (team);
";

/// Sequencing in groups: a bundle is stored unnumbered (`seq` NULL) and numbered in
/// arrival order (`arrival`) by whichever push of its team sequences next.
///
/// `safekeep_store_bundle` is a push's first transaction, in the database (one round
/// trip, its statements planned once per connection): it locks the device's row
/// (ordered against a revocation and against the device's own retries), records the
/// request's nonce and stores the bundle unnumbered. It returns 0 when stored, 1 when
/// the same bundle was already there; a refusal raises `SK001` (revoked), `SK002`
/// (nonce used) or `SK003` (batch used for another bundle) and so writes nothing.
///
/// `safekeep_number_bundles` runs the whole numbering under the team's sequencing
/// lock inside the database, so the lock is held for one statement's work and no
/// round trip to the server process. Each statement in it takes a new snapshot (a
/// volatile function under read committed), so it sees what the previous holder
/// committed. It returns the number of the pushed bundle.
const SCHEMA_4: &str = "
ALTER TABLE bundles DROP CONSTRAINT bundles_pkey;
ALTER TABLE bundles ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE bundles ADD COLUMN arrival BIGSERIAL PRIMARY KEY;
CREATE UNIQUE INDEX bundles_by_seq ON bundles (team, seq);
CREATE INDEX bundles_unnumbered ON bundles (team, arrival) WHERE seq IS NULL;
CREATE FUNCTION safekeep_store_bundle(
    p_team BYTEA, p_device BYTEA, p_batch BIGINT, p_hash BYTEA, p_received BIGINT,
    p_body BYTEA, p_nonce BYTEA, p_forget BIGINT, p_prune_all BOOLEAN
) RETURNS INTEGER LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_revoked BIGINT;
    v_added INTEGER;
    v_hash BYTEA;
BEGIN
    SELECT revoked_ms INTO v_revoked FROM devices
    WHERE id = p_device AND team = p_team FOR UPDATE;
    IF NOT FOUND OR v_revoked IS NOT NULL THEN
        RAISE EXCEPTION 'revoked' USING ERRCODE = 'SK001';
    END IF;
    DELETE FROM nonces WHERE device = p_device AND used_ms < p_forget;
    -- Now and then, every device's old nonces (devices that went silent or were
    -- removed stop pruning their own).
    IF p_prune_all THEN
        DELETE FROM nonces WHERE used_ms < p_forget;
    END IF;
    INSERT INTO nonces (device, nonce, used_ms) VALUES (p_device, p_nonce, p_received)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_added = ROW_COUNT;
    IF v_added = 0 THEN
        RAISE EXCEPTION 'replayed' USING ERRCODE = 'SK002';
    END IF;
    SELECT body_hash INTO v_hash FROM bundles WHERE device = p_device AND batch = p_batch;
    IF FOUND THEN
        IF v_hash <> p_hash THEN
            RAISE EXCEPTION 'batch reused' USING ERRCODE = 'SK003';
        END IF;
        RETURN 1;
    END IF;
    INSERT INTO bundles (team, device, batch, body_hash, size, received_ms, body)
    VALUES (p_team, p_device, p_batch, p_hash, length(p_body), p_received, p_body);
    RETURN 0;
END
$$;
CREATE FUNCTION safekeep_number_bundles(
    p_team BYTEA, p_lock BIGINT, p_device BYTEA, p_batch BIGINT
) RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_last BIGINT;
    v_numbered BIGINT;
    v_mine BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    SELECT last_seq INTO v_last FROM teams WHERE id = p_team;
    WITH pending AS (
        SELECT arrival, row_number() OVER (ORDER BY arrival) AS n
        FROM bundles WHERE team = p_team AND seq IS NULL
    )
    UPDATE bundles b SET seq = v_last + p.n
    FROM pending p WHERE b.arrival = p.arrival AND b.seq IS NULL;
    GET DIAGNOSTICS v_numbered = ROW_COUNT;
    IF v_numbered > 0 THEN
        UPDATE teams SET last_seq = v_last + v_numbered WHERE id = p_team;
    END IF;
    SELECT seq INTO v_mine FROM bundles WHERE device = p_device AND batch = p_batch;
    RETURN v_mine;
END
$$;
";

/// Group commit (see `group_commit`): one transaction stores a group of one team's
/// pushes and numbers them as it inserts them, so no row is written twice.
///
/// First, bundles step 4 left unnumbered (a crash between its two transactions) are
/// numbered in arrival order; then step 4's functions, index and arrival column go
/// (each index costs every push a write), and `(team, seq)` is the key again.
///
/// `safekeep_push_bundles` is a group's whole transaction (one statement, one round
/// trip, planned once per connection). It takes the team's sequencing lock first and
/// holds it until the commit: a team's groups, in every process, and its revocations
/// (which take the same lock) follow one another, so a device's retry through another
/// process finds its bundle, and a push racing a revocation is either wholly before it
/// or refused. Device rows are not locked (a row lock writes to the row). For each
/// push, in order, it returns a
/// status and the bundle's number: 0 stored, 1 already stored (the same bundle), 2
/// revoked, 3 nonce already used, 4 batch used for another bundle; a refused push
/// writes nothing. Numbers are drawn from `teams.last_seq` and become visible all at
/// once at the commit, before the lock is let go, so a puller never sees a gap.
const SCHEMA_5: &str = "
WITH pending AS (
    SELECT b.arrival,
           t.last_seq + row_number() OVER (PARTITION BY b.team ORDER BY b.arrival) AS seq
    FROM bundles b JOIN teams t ON t.id = b.team WHERE b.seq IS NULL
)
UPDATE bundles b SET seq = p.seq FROM pending p WHERE b.arrival = p.arrival;
UPDATE teams t SET last_seq = m.seq
FROM (SELECT team, MAX(seq) AS seq FROM bundles GROUP BY team) m
WHERE m.team = t.id AND m.seq > t.last_seq;
DROP INDEX bundles_unnumbered;
ALTER TABLE bundles ALTER COLUMN seq SET NOT NULL;
ALTER TABLE bundles DROP COLUMN arrival;
ALTER TABLE bundles ADD CONSTRAINT bundles_pkey PRIMARY KEY USING INDEX bundles_by_seq;
DROP FUNCTION safekeep_store_bundle(BYTEA, BYTEA, BIGINT, BYTEA, BIGINT, BYTEA, BYTEA, BIGINT, BOOLEAN);
DROP FUNCTION safekeep_number_bundles(BYTEA, BIGINT, BYTEA, BIGINT);
CREATE FUNCTION safekeep_push_bundles(
    p_team BYTEA, p_lock BIGINT, p_devices BYTEA[], p_batches BIGINT[], p_hashes BYTEA[],
    p_bodies BYTEA[], p_nonces BYTEA[], p_received BIGINT[], p_forget BIGINT
) RETURNS TABLE (status INTEGER, seq BIGINT) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_last BIGINT;
    v_first BIGINT;
    v_revoked BIGINT;
    v_found BOOLEAN;
    v_hash BYTEA;
    v_seq BIGINT;
    v_added INTEGER;
    v_status INTEGER[] := '{}';
    v_seqs BIGINT[] := '{}';
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    SELECT last_seq INTO v_last FROM teams WHERE id = p_team;
    v_first := v_last;
    DELETE FROM nonces WHERE device = ANY (p_devices) AND used_ms < p_forget;
    FOR i IN 1 .. coalesce(array_length(p_devices, 1), 0) LOOP
        SELECT revoked_ms INTO v_revoked FROM devices
        WHERE id = p_devices[i] AND team = p_team;
        IF NOT FOUND OR v_revoked IS NOT NULL THEN
            v_status := v_status || 2; v_seqs := v_seqs || NULL::BIGINT;
            CONTINUE;
        END IF;
        SELECT b.body_hash, b.seq INTO v_hash, v_seq FROM bundles b
        WHERE b.device = p_devices[i] AND b.batch = p_batches[i];
        v_found := FOUND;
        IF v_found AND v_hash <> p_hashes[i] THEN
            v_status := v_status || 4; v_seqs := v_seqs || NULL::BIGINT;
            CONTINUE;
        END IF;
        INSERT INTO nonces (device, nonce, used_ms)
        VALUES (p_devices[i], p_nonces[i], p_received[i]) ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_added = ROW_COUNT;
        IF v_added = 0 THEN
            v_status := v_status || 3; v_seqs := v_seqs || NULL::BIGINT;
            CONTINUE;
        END IF;
        IF v_found THEN
            -- The request was received (its nonce stays), the bundle was already stored.
            v_status := v_status || 1; v_seqs := v_seqs || v_seq;
            CONTINUE;
        END IF;
        v_last := v_last + 1;
        INSERT INTO bundles (team, seq, device, batch, body_hash, size, received_ms, body)
        VALUES (p_team, v_last, p_devices[i], p_batches[i], p_hashes[i],
                length(p_bodies[i]), p_received[i], p_bodies[i]);
        v_status := v_status || 0; v_seqs := v_seqs || v_last;
    END LOOP;
    IF v_last > v_first THEN
        UPDATE teams SET last_seq = v_last WHERE id = p_team;
    END IF;
    RETURN QUERY SELECT * FROM unnest(v_status, v_seqs);
END
$$;
";

/// Each device's membership proof (from its invite, see the core's `authority`): kept
/// and listed as given, for coordinators to check before they seal a key to it.
const SCHEMA_6: &str = "
ALTER TABLE devices ADD COLUMN membership BYTEA;
";

/// The coordinator's signed removal of a revoked device, handed to it with the wipe
/// instruction (it wipes only on a removal signed by one of its coordinators).
const SCHEMA_7: &str = "
ALTER TABLE devices ADD COLUMN revocation BYTEA;
";

/// A coordinator's confirmation of another coordinator's key (see [`Device`]).
const SCHEMA_8: &str = "
ALTER TABLE devices ADD COLUMN confirmation BYTEA;
";

/// The advisory lock that orders a team's push groups and revocations: from the team
/// id (two teams sharing one only wait for each other). Advisory locks write nothing.
fn sequencing_lock(team: &Id) -> i64 {
    let mut key = [0u8; 8];
    key.copy_from_slice(&team[..8]);
    i64::from_be_bytes(key)
}

/// Whether device $1 of team $2 is owed a grant of epoch $3 (a top-up stores only
/// those): the condition of [`Storage::lacking_grants`] for one pair.
const LACKS: &str = "
SELECT EXISTS (SELECT 1 FROM devices d WHERE d.id = $1 AND d.team = $2
    AND d.revoked_ms IS NULL AND d.kx_public IS NOT NULL AND d.membership IS NOT NULL
    AND d.joined_epoch < $3)
  AND NOT EXISTS (SELECT 1 FROM epochs e WHERE e.team = $2 AND e.epoch = $3 AND e.author = $1)";

/// See [`Storage::lacking_grants`].
const LACKING_GRANTS: &str = "
SELECT d.id, e.epoch FROM devices d JOIN epochs e ON e.team = d.team
WHERE d.team = $1 AND d.revoked_ms IS NULL AND d.kx_public IS NOT NULL
  AND d.membership IS NOT NULL AND e.epoch > d.joined_epoch AND e.author <> d.id
  AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.device = d.id AND g.epoch = e.epoch)
ORDER BY d.id, e.epoch";

/// Taken while migrating, so server processes starting together migrate once.
const MIGRATION_LOCK: i64 = 0x5afe_4ee9;

/// Connections per server process.
const POOL_SIZE: u32 = 16;

/// Bundle sizes read per round trip while filling a pull's budget.
const SIZES_PER_FETCH: i32 = 256;

/// The PostgreSQL store.
pub struct PostgresStorage {
    pool: Pool<PostgresConnectionManager<MakeRustlsConnect>>,
    group: GroupCommit,
    /// Identities already read (they never change): a push is authenticated without
    /// a round trip to the database. With each, whether this process saw a push of it
    /// refused as revoked (a removal is never undone): its pushes are then refused
    /// before they join a group and take the team's lock. (After restoring the
    /// database from a backup, restart the server processes: see
    /// docs/server-protocol.md.)
    identities: Mutex<HashMap<Id, (Identity, bool)>>,
}

/// Most identities kept in memory; past it the map starts again (a server process
/// rarely sees this many devices).
const MAX_IDENTITIES: usize = 100_000;

/// A storage error without the values a database message may quote (PostgreSQL's
/// DETAIL lines repeat key values): the SQLSTATE and the message's first line only.
fn pg(e: postgres::Error) -> StorageError {
    match e.as_db_error() {
        Some(db) => {
            StorageError::Database(format!("postgres {}: {}", db.code().code(), db.message()))
        }
        None if e.is_closed() => StorageError::Database("postgres: connection closed".into()),
        // Not from the server: a row or type mismatch, I/O. These carry no values.
        None => StorageError::Database(format!("postgres: {e}")),
    }
}

fn id_of(bytes: Vec<u8>) -> Result<Id, StorageError> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Database("a stored id has the wrong length".into()))
}

fn key_of(bytes: Vec<u8>) -> Result<[u8; 32], StorageError> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Database("a stored key has the wrong length".into()))
}

const DEVICE_COLUMNS: &str = "id, team, public_key, role, enrolled_ms, revoked_ms, kx_public, joined_epoch, membership, revocation, confirmation";

/// A stored epoch number.
fn epoch_of(value: i64) -> Result<u32, StorageError> {
    u32::try_from(value)
        .map_err(|_| StorageError::Database("a stored epoch is out of range".into()))
}

fn device_from_row(row: &Row) -> Result<Device, StorageError> {
    let role: String = row.try_get(3).map_err(pg)?;
    Ok(Device {
        id: id_of(row.try_get(0).map_err(pg)?)?,
        team: id_of(row.try_get(1).map_err(pg)?)?,
        public_key: key_of(row.try_get(2).map_err(pg)?)?,
        role: Role::parse(&role)
            .ok_or_else(|| StorageError::Database("a stored role is unknown".into()))?,
        enrolled_ms: row.try_get::<_, i64>(4).map_err(pg)? as u64,
        revoked_ms: row
            .try_get::<_, Option<i64>>(5)
            .map_err(pg)?
            .map(|t| t as u64),
        kx_public: row
            .try_get::<_, Option<Vec<u8>>>(6)
            .map_err(pg)?
            .map(key_of)
            .transpose()?,
        joined_epoch: epoch_of(row.try_get(7).map_err(pg)?)?,
        enrolled_by: None,
        membership: row.try_get(8).map_err(pg)?,
        revocation: row.try_get(9).map_err(pg)?,
        confirmation: row.try_get(10).map_err(pg)?,
    })
}

/// Why a TLS setting cannot be used (no path or contents: nothing personal).
fn tls_error(what: &str) -> StorageError {
    StorageError::Database(format!("postgres TLS: {what}"))
}

/// The TLS connector: the public certificate authorities, and those in the PEM file
/// `ca` (a private or cloud provider's authority that signed the database's
/// certificate). Certificates are always verified, host name included.
fn tls(ca: Option<&Path>) -> Result<MakeRustlsConnect, StorageError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca {
        let pem = std::fs::read(path).map_err(|_| tls_error("cannot read the CA file"))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|_| tls_error("the CA file is not PEM certificates"))?;
            roots
                .add(cert)
                .map_err(|_| tls_error("the CA file holds an unusable certificate"))?;
            added += 1;
        }
        if added == 0 {
            return Err(tls_error("the CA file holds no certificate"));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|_| tls_error("no usable protocol version"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

impl PostgresStorage {
    /// [`PostgresStorage::connect_trusting`] with the public certificate authorities
    /// only.
    pub fn connect(url: &str) -> Result<Self, StorageError> {
        Self::connect_trusting(url, None)
    }

    /// Connects to `url` (`postgres://user:password@host/database`) and brings the
    /// schema up to date. With `?sslmode=require` in the URL the connections use TLS
    /// and the database's certificate must verify, host name included, against the
    /// public certificate authorities or those in the PEM file `ca`; without it
    /// (`disable`, or `prefer`, the default) they are unencrypted, for a database on
    /// the same host or a private network (everything stored is sealed or hashed, but
    /// the database password would travel in the clear).
    ///
    /// Blocks: call it outside an async runtime's workers.
    pub fn connect_trusting(url: &str, ca: Option<&Path>) -> Result<Self, StorageError> {
        let mut config: postgres::Config = url.parse().map_err(|_| {
            StorageError::Database("the database URL is not a PostgreSQL URL".into())
        })?;
        // TLS when asked for, and then verified; `prefer` would try TLS with any
        // database that offers it and fail on a certificate nobody vouches for (a
        // distribution's self-signed one), so it means no TLS here.
        if config.get_ssl_mode() != SslMode::Require {
            config.ssl_mode(SslMode::Disable);
        }
        // A stalled link or a stuck transaction must not hold a team's lock forever.
        let options = [
            config.get_options().unwrap_or_default(),
            // Numbering relies on each statement seeing what committed before it
            // (read committed), whatever the database or role default.
            "-c lock_timeout=10s -c statement_timeout=60s -c idle_in_transaction_session_timeout=60s \
             -c default_transaction_isolation=read\\ committed",
        ]
        .join(" ");
        config
            .options(options.trim())
            .connect_timeout(Duration::from_secs(10))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(60));
        let manager = PostgresConnectionManager::new(config, tls(ca)?);
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| StorageError::Database(format!("postgres: cannot connect: {e}")))?;
        let storage = Self {
            pool,
            group: GroupCommit::default(),
            identities: Mutex::default(),
        };
        storage.migrate()?;
        Ok(storage)
    }

    /// The identities this process knows (see the field).
    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<Id, (Identity, bool)>> {
        self.identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn conn(
        &self,
    ) -> Result<PooledConnection<PostgresConnectionManager<MakeRustlsConnect>>, StorageError> {
        self.pool
            .get()
            .map_err(|_| StorageError::Database("postgres: no connection available".into()))
    }

    fn migrate(&self) -> Result<(), StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(pg)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .map_err(pg)?;
        let found: Option<i64> = tx
            .query_opt("SELECT version FROM schema_version", &[])
            .map_err(pg)?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(pg)?;
        if found.is_none() {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])
                .map_err(pg)?;
        }
        let found = usize::try_from(found.unwrap_or(0)).unwrap_or(usize::MAX);
        if found > MIGRATIONS.len() {
            return Err(StorageError::NewerSchema {
                found,
                known: MIGRATIONS.len(),
            });
        }
        for (done, step) in MIGRATIONS.iter().enumerate().skip(found) {
            tx.batch_execute(step).map_err(pg)?;
            tx.execute(
                "UPDATE schema_version SET version = $1",
                &[&((done + 1) as i64)],
            )
            .map_err(pg)?;
        }
        tx.commit().map_err(pg)
    }
}

/// Adds a device; `DeviceExists` when its id or its public key is already enrolled.
fn insert_device(
    tx: &mut Transaction<'_>,
    device: &Device,
    role: Role,
) -> Result<(), StorageError> {
    let added = tx
        .execute_typed(
            "INSERT INTO devices
             (id, team, public_key, role, enrolled_ms, kx_public, joined_epoch, membership)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            &[
                (&&device.id[..], Type::BYTEA),
                (&&device.team[..], Type::BYTEA),
                (&&device.public_key[..], Type::BYTEA),
                (&role.name(), Type::TEXT),
                (&ms(device.enrolled_ms), Type::INT8),
                (&device.kx_public.as_ref().map(|k| &k[..]), Type::BYTEA),
                (&i64::from(device.joined_epoch), Type::INT8),
                (&device.membership.as_deref(), Type::BYTEA),
            ],
        )
        .map_err(pg)?;
    if added == 0 {
        return Err(StorageError::DeviceExists);
    }
    Ok(())
}

/// Checks that `device` is a member of `team` and not revoked, locking its row with
/// `lock` (`FOR SHARE` or `FOR UPDATE`) so a revocation is ordered against the caller.
fn unrevoked_member(
    tx: &mut Transaction<'_>,
    team: &Id,
    device: &Id,
    lock: &str,
) -> Result<(), StorageError> {
    let revoked: Option<i64> = tx
        .query_typed_opt(
            &format!("SELECT revoked_ms FROM devices WHERE id = $1 AND team = $2 {lock}"),
            &[(&&device[..], Type::BYTEA), (&&team[..], Type::BYTEA)],
        )
        .map_err(pg)?
        .ok_or(StorageError::NotInTeam)?
        .try_get(0)
        .map_err(pg)?;
    match revoked {
        Some(_) => Err(StorageError::Revoked),
        None => Ok(()),
    }
}

/// Drops the device's nonces from before the window and records this one; false when
/// it was already used. Per device, so concurrent requests of different devices do not
/// contend for the same rows.
fn record_nonce(
    tx: &mut Transaction<'_>,
    device: &Id,
    nonce: &[u8; 16],
    now_ms: u64,
    forget_before_ms: u64,
) -> Result<bool, StorageError> {
    tx.execute_typed(
        "DELETE FROM nonces WHERE device = $1 AND used_ms < $2",
        &[
            (&&device[..], Type::BYTEA),
            (&ms(forget_before_ms), Type::INT8),
        ],
    )
    .map_err(pg)?;
    // Now and then, every device's old nonces (devices that went silent or were
    // removed stop pruning their own).
    if nonce[0] == 0 {
        tx.execute_typed(
            "DELETE FROM nonces WHERE used_ms < $1",
            &[(&ms(forget_before_ms), Type::INT8)],
        )
        .map_err(pg)?;
    }
    let added = tx
        .execute_typed(
            "INSERT INTO nonces (device, nonce, used_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[
                (&&device[..], Type::BYTEA),
                (&&nonce[..], Type::BYTEA),
                (&ms(now_ms), Type::INT8),
            ],
        )
        .map_err(pg)?;
    Ok(added == 1)
}

impl PostgresStorage {
    /// Stores one group of `team`'s pushes in one transaction (`safekeep_push_bundles`).
    fn push_group(&self, team: &Id, pushes: &[Push]) -> GroupResult {
        let column = |f: fn(&Push) -> &[u8]| pushes.iter().map(f).collect::<Vec<&[u8]>>();
        let devices = column(|p| &p.device[..]);
        let hashes = column(|p| &p.hash[..]);
        let bodies = column(|p| &p.body[..]);
        let nonces = column(|p| &p.nonce[..]);
        let batches: Vec<i64> = pushes.iter().map(|p| ms(p.batch)).collect();
        let received: Vec<i64> = pushes.iter().map(|p| ms(p.now_ms)).collect();
        let forget = pushes
            .iter()
            .map(|p| ms(p.forget_before_ms))
            .max()
            .unwrap_or(0);
        // Now and then (one push in 256), every device's old nonces.
        let prune_all = pushes.iter().any(|p| p.nonce[0] == 0);
        let mut conn = self.conn()?;
        let rows = conn
            .query_typed(
                "SELECT status, seq FROM safekeep_push_bundles($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    (&&team[..], Type::BYTEA),
                    (&sequencing_lock(team), Type::INT8),
                    (&devices, Type::BYTEA_ARRAY),
                    (&batches, Type::INT8_ARRAY),
                    (&hashes, Type::BYTEA_ARRAY),
                    (&bodies, Type::BYTEA_ARRAY),
                    (&nonces, Type::BYTEA_ARRAY),
                    (&received, Type::INT8_ARRAY),
                    (&forget, Type::INT8),
                ],
            )
            .map_err(pg)?;
        if prune_all {
            // Every device's old nonces (devices that went silent or were removed stop
            // pruning their own), after the group and outside its team's lock: a
            // failure here (two prunes meeting) costs nothing stored.
            if let Err(e) = conn.execute_typed(
                "DELETE FROM nonces WHERE used_ms < $1",
                &[(&forget, Type::INT8)],
            ) {
                tracing::warn!(detail = %pg(e), "pruning old nonces failed");
            }
        }
        rows.iter()
            .map(|row| {
                let status: i32 = row.try_get(0).map_err(pg)?;
                let seq: Option<i64> = row.try_get(1).map_err(pg)?;
                Ok(match (status, seq) {
                    (0 | 1, Some(seq)) => Ok(Pushed {
                        seq: seq as u64,
                        duplicate: status == 1,
                    }),
                    (2, _) => Err(StorageError::Revoked),
                    (3, _) => Err(StorageError::Replayed),
                    (4, _) => Err(StorageError::BatchReused),
                    _ => Err(StorageError::Database(
                        "postgres: a push's answer was not understood".into(),
                    )),
                })
            })
            .collect()
    }
}

impl Storage for PostgresStorage {
    fn init_operator(&self, token_hash: &[u8; 32]) -> Result<bool, StorageError> {
        let added = self
            .conn()?
            .execute_typed(
                "INSERT INTO operator (one, token_hash) VALUES (1, $1) ON CONFLICT DO NOTHING",
                &[(&&token_hash[..], Type::BYTEA)],
            )
            .map_err(pg)?;
        Ok(added == 1)
    }

    fn operator(&self) -> Result<Option<[u8; 32]>, StorageError> {
        let row = self
            .conn()?
            .query_typed_opt("SELECT token_hash FROM operator", &[])
            .map_err(pg)?;
        row.map(|r| key_of(r.try_get(0).map_err(pg)?)).transpose()
    }

    fn create_team(&self, team: &Id, coordinator: &Device) -> Result<(), StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        let added = tx
            .execute_typed(
                "INSERT INTO teams (id, created_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[
                    (&&team[..], Type::BYTEA),
                    (&ms(coordinator.enrolled_ms), Type::INT8),
                ],
            )
            .map_err(pg)?;
        if added == 0 {
            return Err(StorageError::TeamExists);
        }
        insert_device(&mut tx, coordinator, Role::Coordinator)?;
        tx.commit().map_err(pg)
    }

    fn device(&self, id: &Id) -> Result<Option<Device>, StorageError> {
        let row = self
            .conn()?
            .query_typed_opt(
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"),
                &[(&&id[..], Type::BYTEA)],
            )
            .map_err(pg)?;
        row.as_ref().map(device_from_row).transpose()
    }

    fn identity(&self, id: &Id) -> Result<Option<Identity>, StorageError> {
        if let Some((identity, _)) = self.known().get(id) {
            return Ok(Some(*identity));
        }
        let Some(device) = self.device(id)? else {
            return Ok(None);
        };
        let identity = Identity::from(&device);
        let mut known = self.known();
        if known.len() >= MAX_IDENTITIES {
            known.clear();
        }
        known.insert(*id, (identity, device.revoked_ms.is_some()));
        Ok(Some(identity))
    }

    fn devices(&self, team: &Id) -> Result<Vec<Device>, StorageError> {
        let mut conn = self.conn()?;
        // One snapshot for the devices and who enrolled them.
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg)?;
        let mut devices = tx
            .query_typed(
                &format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE team = $1 ORDER BY enrolled_ms, id"
                ),
                &[(&&team[..], Type::BYTEA)],
            )
            .map_err(pg)?
            .iter()
            .map(device_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let by = tx
            .query_typed(
                "SELECT used_by, created_by FROM enrollments
                 WHERE team = $1 AND used_by IS NOT NULL AND created_by IS NOT NULL",
                &[(&&team[..], Type::BYTEA)],
            )
            .map_err(pg)?
            .iter()
            .map(|r| {
                Ok((
                    id_of(r.try_get(0).map_err(pg)?)?,
                    id_of(r.try_get(1).map_err(pg)?)?,
                ))
            })
            .collect::<Result<Vec<(Id, Id)>, StorageError>>()?;
        tx.commit().map_err(pg)?;
        for device in &mut devices {
            device.enrolled_by = by.iter().find(|(d, _)| *d == device.id).map(|(_, c)| *c);
        }
        Ok(devices)
    }

    fn add_enrollment(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        role: Role,
        expires_ms: u64,
        created_by: &Id,
    ) -> Result<(), StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        // The creator's row, shared-locked: a revocation (which deletes the creator's
        // unused tokens) commits before this, and is seen, or after, and deletes it.
        unrevoked_member(&mut tx, team, created_by, "FOR SHARE")?;
        let added = tx
            .execute_typed(
                "INSERT INTO enrollments (token_hash, team, role, expires_ms, created_by)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    (&&token_hash[..], Type::BYTEA),
                    (&&team[..], Type::BYTEA),
                    (&role.name(), Type::TEXT),
                    (&ms(expires_ms), Type::INT8),
                    (&&created_by[..], Type::BYTEA),
                ],
            )
            .map_err(pg)?;
        if added == 0 {
            return Err(StorageError::TokenExists);
        }
        tx.commit().map_err(pg)
    }

    fn enrollment_open(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        now_ms: u64,
    ) -> Result<bool, StorageError> {
        let row = self
            .conn()?
            .query_typed_one(
                "SELECT EXISTS (SELECT 1 FROM enrollments
                 WHERE token_hash = $1 AND team = $2 AND used_by IS NULL AND expires_ms > $3)",
                &[
                    (&&token_hash[..], Type::BYTEA),
                    (&&team[..], Type::BYTEA),
                    (&ms(now_ms), Type::INT8),
                ],
            )
            .map_err(pg)?;
        row.try_get(0).map_err(pg)
    }

    fn enroll(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        device: &Device,
        now_ms: u64,
    ) -> Result<Device, StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        // FOR UPDATE: of two processes enrolling with one token, the second waits and
        // then finds it used.
        let role: Option<String> = tx
            .query_typed_opt(
                "SELECT role FROM enrollments
                 WHERE token_hash = $1 AND team = $2 AND used_by IS NULL AND expires_ms > $3
                 FOR UPDATE",
                &[
                    (&&token_hash[..], Type::BYTEA),
                    (&&team[..], Type::BYTEA),
                    (&ms(now_ms), Type::INT8),
                ],
            )
            .map_err(pg)?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(pg)?;
        let role = role
            .as_deref()
            .and_then(Role::parse)
            .ok_or(StorageError::BadEnrollment)?;
        insert_device(&mut tx, device, role)?;
        tx.execute_typed(
            "UPDATE enrollments SET used_by = $2 WHERE token_hash = $1",
            &[
                (&&token_hash[..], Type::BYTEA),
                (&&device.id[..], Type::BYTEA),
            ],
        )
        .map_err(pg)?;
        tx.commit().map_err(pg)?;
        Ok(Device {
            role,
            ..device.clone()
        })
    }

    fn confirm(&self, team: &Id, device: &Id, proof: &[u8]) -> Result<bool, StorageError> {
        let found = self
            .conn()?
            .execute_typed(
                "UPDATE devices SET confirmation = $3 WHERE id = $1 AND team = $2
                 AND role = $4 AND revoked_ms IS NULL",
                &[
                    (&&device[..], Type::BYTEA),
                    (&&team[..], Type::BYTEA),
                    (&proof, Type::BYTEA),
                    (&Role::Coordinator.name(), Type::TEXT),
                ],
            )
            .map_err(pg)?;
        Ok(found == 1)
    }

    fn revoke(
        &self,
        team: &Id,
        device: &Id,
        now_ms: u64,
        proof: &[u8],
    ) -> Result<bool, StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        // Ordered against the team's pushes, which check for revocation under this lock.
        tx.execute_typed(
            "SELECT pg_advisory_xact_lock($1)",
            &[(&sequencing_lock(team), Type::INT8)],
        )
        .map_err(pg)?;
        let found = tx
            .execute_typed(
                "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, $3),
                 revocation = COALESCE(revocation, $4) WHERE id = $1 AND team = $2",
                &[
                    (&&device[..], Type::BYTEA),
                    (&&team[..], Type::BYTEA),
                    (&ms(now_ms), Type::INT8),
                    (&proof, Type::BYTEA),
                ],
            )
            .map_err(pg)?;
        if found == 1 {
            // An enrollment holding its token (FOR UPDATE) finishes first; then the
            // token is used and stays.
            tx.execute_typed(
                "DELETE FROM enrollments WHERE created_by = $1 AND used_by IS NULL",
                &[(&&device[..], Type::BYTEA)],
            )
            .map_err(pg)?;
        }
        tx.commit().map_err(pg)?;
        Ok(found == 1)
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
        if self
            .known()
            .get(device)
            .is_some_and(|(_, revoked)| *revoked)
        {
            return Err(StorageError::Revoked);
        }
        let push = Push::new(device, batch, body, now_ms, nonce);
        let pushed = self
            .group
            .push(team, push, &|team, pushes| self.push_group(team, pushes));
        if matches!(pushed, Err(StorageError::Revoked))
            && let Some((_, revoked)) = self.known().get_mut(device)
        {
            *revoked = true;
        }
        pushed
    }

    fn pull(
        &self,
        team: &Id,
        after: u64,
        max_bytes: usize,
    ) -> Result<(Vec<StoredBundle>, bool), StorageError> {
        let mut conn = self.conn()?;
        // One snapshot for the sizes and the bodies.
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg)?;
        // Sizes first, a page at a time, so the answer stays within the budget (at
        // least one bundle) and only the bundles sent are read.
        let team_param: &[u8] = &team[..];
        let after_param = ms(after);
        let sizes = tx
            .bind(
                "SELECT seq, size FROM bundles WHERE team = $1 AND seq > $2 ORDER BY seq",
                &[&team_param, &after_param],
            )
            .map_err(pg)?;
        let (mut last, mut size, mut more) = (None::<i64>, 0usize, false);
        'pages: loop {
            let rows = tx.query_portal(&sizes, SIZES_PER_FETCH).map_err(pg)?;
            let page_len = rows.len();
            for row in rows {
                let bytes = usize::try_from(row.try_get::<_, i64>(1).map_err(pg)?).unwrap_or(0);
                if last.is_some() && size + bytes > max_bytes {
                    more = true;
                    break 'pages;
                }
                size += bytes;
                last = Some(row.try_get(0).map_err(pg)?);
            }
            if page_len < SIZES_PER_FETCH as usize {
                break;
            }
        }
        let Some(last) = last else {
            return Ok((Vec::new(), false));
        };
        let out = tx
            .query_typed(
                "SELECT seq, body FROM bundles WHERE team = $1 AND seq > $2 AND seq <= $3
                 ORDER BY seq",
                &[
                    (&team_param, Type::BYTEA),
                    (&after_param, Type::INT8),
                    (&last, Type::INT8),
                ],
            )
            .map_err(pg)?
            .iter()
            .map(|r| {
                Ok(StoredBundle {
                    seq: r.try_get::<_, i64>(0).map_err(pg)? as u64,
                    body: r.try_get(1).map_err(pg)?,
                })
            })
            .collect::<Result<_, StorageError>>()?;
        tx.commit().map_err(pg)?;
        Ok((out, more))
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
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        // The author's row, locked: a revocation of the author commits before this
        // (and is seen) or after it.
        unrevoked_member(&mut tx, team, author, "FOR UPDATE")?;
        let epoch_param = i64::from(epoch);
        let owner = |tx: &mut Transaction<'_>| -> Result<Option<Vec<u8>>, StorageError> {
            tx.query_typed_opt(
                "SELECT author FROM epochs WHERE team = $1 AND epoch = $2",
                &[(&&team[..], Type::BYTEA), (&epoch_param, Type::INT8)],
            )
            .map_err(pg)?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(pg)
        };
        match owner(&mut tx)? {
            Some(_) if top_up => {}
            Some(owner) if owner[..] == author[..] => {}
            Some(_) => return Err(StorageError::EpochTaken),
            None if top_up => return Err(StorageError::NoSuchEpoch),
            None => {
                let newest: i64 = tx
                    .query_typed_one(
                        "SELECT COALESCE(MAX(epoch), 1) FROM epochs WHERE team = $1",
                        &[(&&team[..], Type::BYTEA)],
                    )
                    .map_err(pg)?
                    .try_get(0)
                    .map_err(pg)?;
                if epoch_param != newest + 1 {
                    return Err(StorageError::EpochOutOfOrder);
                }
                let owed = tx
                    .query_typed(
                        "SELECT id, kx_public FROM devices WHERE team = $1 AND revoked_ms IS NULL
                         AND kx_public IS NOT NULL AND membership IS NOT NULL AND id <> $2",
                        &[(&&team[..], Type::BYTEA), (&&author[..], Type::BYTEA)],
                    )
                    .map_err(pg)?;
                for row in owed {
                    let id = id_of(row.try_get(0).map_err(pg)?)?;
                    let kx = key_of(row.try_get(1).map_err(pg)?)?;
                    if super::usable_kx(&kx) && !grants.iter().any(|(g, _)| *g == id) {
                        return Err(StorageError::GrantsIncomplete);
                    }
                }
                // Of two coordinators starting one epoch at once, the second waits on
                // the first's row and then finds it owned.
                tx.execute_typed(
                    "INSERT INTO epochs (team, epoch, author) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[
                        (&&team[..], Type::BYTEA),
                        (&epoch_param, Type::INT8),
                        (&&author[..], Type::BYTEA),
                    ],
                )
                .map_err(pg)?;
                if owner(&mut tx)?.is_none_or(|o| o[..] != author[..]) {
                    return Err(StorageError::EpochTaken);
                }
            }
        }
        for (device, body) in grants {
            let ours: bool = tx
                .query_typed_one(
                    "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1 AND team = $2)",
                    &[(&&device[..], Type::BYTEA), (&&team[..], Type::BYTEA)],
                )
                .map_err(pg)?
                .try_get(0)
                .map_err(pg)?;
            if !ours {
                return Err(StorageError::NotInTeam);
            }
            if top_up {
                let lacks: bool = tx
                    .query_typed_one(
                        LACKS,
                        &[
                            (&&device[..], Type::BYTEA),
                            (&&team[..], Type::BYTEA),
                            (&epoch_param, Type::INT8),
                        ],
                    )
                    .map_err(pg)?
                    .try_get(0)
                    .map_err(pg)?;
                if !lacks {
                    continue;
                }
            }
            tx.execute_typed(
                "INSERT INTO grants (device, epoch, team, body, created_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    (&&device[..], Type::BYTEA),
                    (&epoch_param, Type::INT8),
                    (&&team[..], Type::BYTEA),
                    (body, Type::BYTEA),
                    (&ms(now_ms), Type::INT8),
                ],
            )
            .map_err(pg)?;
        }
        tx.commit().map_err(pg)
    }

    fn lacking_grants(&self, team: &Id) -> Result<Vec<(Id, u32)>, StorageError> {
        self.conn()?
            .query_typed(LACKING_GRANTS, &[(&&team[..], Type::BYTEA)])
            .map_err(pg)?
            .iter()
            .map(|r| {
                Ok((
                    id_of(r.try_get(0).map_err(pg)?)?,
                    epoch_of(r.try_get(1).map_err(pg)?)?,
                ))
            })
            .collect()
    }

    fn grants(&self, device: &Id, after: u32) -> Result<Vec<(u32, Vec<u8>)>, StorageError> {
        self.conn()?
            .query_typed(
                "SELECT epoch, body FROM grants WHERE device = $1 AND epoch > $2 ORDER BY epoch",
                &[(&&device[..], Type::BYTEA), (&i64::from(after), Type::INT8)],
            )
            .map_err(pg)?
            .iter()
            .map(|r| {
                let epoch: i64 = r.try_get(0).map_err(pg)?;
                let epoch = u32::try_from(epoch)
                    .map_err(|_| StorageError::Database("a stored epoch is out of range".into()))?;
                Ok((epoch, r.try_get(1).map_err(pg)?))
            })
            .collect()
    }

    fn use_nonce(
        &self,
        device: &Id,
        nonce: &[u8; 16],
        now_ms: u64,
        forget_before_ms: u64,
    ) -> Result<bool, StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        let fresh = record_nonce(&mut tx, device, nonce, now_ms, forget_before_ms)?;
        tx.commit().map_err(pg)?;
        Ok(fresh)
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::testing::ScratchDatabase;

    /// A database that schema step 4 left with bundles stored but not numbered (a
    /// crash between a push's two transactions) is numbered in arrival order by the
    /// upgrade, without a gap, and the next push follows on.
    #[test]
    fn the_upgrade_numbers_what_a_crash_left_unnumbered() {
        let Some(db) = ScratchDatabase::create("the_upgrade_numbers_what_a_crash_left_unnumbered")
        else {
            return;
        };
        let mut client = postgres::Client::connect(&db.url(), postgres::NoTls).expect("connect");
        client
            .batch_execute("CREATE TABLE schema_version (version BIGINT NOT NULL)")
            .expect("version table");
        for step in &MIGRATIONS[..4] {
            client.batch_execute(step).expect("an older step");
        }
        let (team, device) = ([1u8; 16], [2u8; 16]);
        client
            .batch_execute(
                "INSERT INTO schema_version VALUES (4);
                 INSERT INTO teams (id, created_ms, last_seq) VALUES ('\\x01010101010101010101010101010101', 0, 1);
                 INSERT INTO devices (id, team, public_key, role, enrolled_ms)
                 VALUES ('\\x02020202020202020202020202020202', '\\x01010101010101010101010101010101',
                         '\\x03', 'field', 0);",
            )
            .expect("a team");
        // Batch 1 numbered; batches 3 and 2 stored unnumbered, in that order.
        for (batch, seq) in [(1i64, Some(1i64)), (3, None), (2, None)] {
            client
                .execute(
                    "INSERT INTO bundles (team, seq, device, batch, body_hash, size, received_ms, body)
                     VALUES ($1, $2, $3, $4, $5, 1, 0, $6)",
                    &[&&team[..], &seq, &&device[..], &batch, &&blake3::hash(&[batch as u8]).as_bytes()[..], &vec![batch as u8]],
                )
                .expect("a bundle");
        }
        let store = PostgresStorage::connect(&db.url()).expect("upgrade");
        let (pulled, more) = store.pull(&team, 0, 1 << 20).expect("pull");
        assert!(!more);
        let order: Vec<(u64, u8)> = pulled.iter().map(|b| (b.seq, b.body[0])).collect();
        assert_eq!(order, [(1, 1), (2, 3), (3, 2)], "arrival order, no gap");
        let pushed = store
            .push(&team, &device, 4, b"four", 1, ([9; 16], 0))
            .expect("push");
        assert_eq!((pushed.seq, pushed.duplicate), (4, false));
        let again = store
            .push(&team, &device, 3, &[3], 2, ([8; 16], 0))
            .expect("a retry of an old bundle");
        assert_eq!((again.seq, again.duplicate), (2, true));
    }
}
