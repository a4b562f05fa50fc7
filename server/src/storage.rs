//! What the server keeps: teams, enrolled devices (public keys and roles), enrollment
//! tokens (hashed), sealed bundles with their team sequence numbers, and recently used
//! request nonces. Nothing here can be decrypted with anything the server has.
//!
//! One trait, so the same handlers run on the embedded SQLite store and (for
//! deployments that outgrow one machine, several server processes over one database)
//! on PostgreSQL.

mod group_commit;
mod postgres;
mod sqlite;

pub use self::postgres::PostgresStorage;
pub use self::sqlite::SqliteStorage;

/// A 16-byte id (team or device).
pub type Id = [u8; 16];

/// What a device may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Records identifications in the field.
    Field,
    /// Logs restoration services.
    Aftercare,
    /// Enrolls and revokes devices, resolves conflicts.
    Coordinator,
}

impl Role {
    /// The role's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Role::Field => "field",
            Role::Aftercare => "aftercare",
            Role::Coordinator => "coordinator",
        }
    }

    /// Parses a name given by [`Role::name`].
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "field" => Some(Role::Field),
            "aftercare" => Some(Role::Aftercare),
            "coordinator" => Some(Role::Coordinator),
            _ => None,
        }
    }
}

/// An enrolled device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// Its id.
    pub id: Id,
    /// Its team.
    pub team: Id,
    /// Its Ed25519 public key.
    pub public_key: [u8; 32],
    /// Its role.
    pub role: Role,
    /// When it enrolled (ms since the epoch).
    pub enrolled_ms: u64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<u64>,
    /// Its X25519 public key, to which coordinators seal new team keys (key rotation).
    pub kx_public: Option<[u8; 32]>,
    /// The team key epoch it joined with (its invite carried the keys up to it):
    /// coordinators owe it the grants of every later epoch.
    pub joined_epoch: u32,
    /// The coordinator whose invite enrolled it, as listed by [`Storage::devices`]
    /// (`None` for the team's first coordinator, and for devices enrolled before this
    /// was kept): after a coordinator phone is seized, the devices it enrolled are the
    /// ones to check.
    pub enrolled_by: Option<Id>,
    /// Its membership proof as the device gave it at enrollment (opaque here: a chain
    /// of signatures from the team's root key, which coordinators check before they
    /// seal a new team key to the device). `None` for a device enrolled by an older
    /// version: new keys are not owed to it (it needs a new invite).
    pub membership: Option<Vec<u8>>,
    /// For a revoked device: the coordinator's signed removal (opaque here), which the
    /// device checks before it wipes itself.
    pub revocation: Option<Vec<u8>>,
    /// For a coordinator that joined with a coordinator invite: another coordinator's
    /// confirmation of its key (opaque here: a chain of signatures from the team's root
    /// that ends at the device's key). Until it has one, the device cannot sign for the
    /// team: an invite's one-time key never extends a chain.
    pub confirmation: Option<Vec<u8>>,
}

/// What never changes about an enrolled device and a push needs: who it is, its team
/// and its key (nothing removes or re-keys a device; a removal only marks it revoked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The device id.
    pub id: Id,
    /// Its team.
    pub team: Id,
    /// Its Ed25519 public key.
    pub public_key: [u8; 32],
}

impl From<&Device> for Identity {
    fn from(d: &Device) -> Self {
        Self {
            id: d.id,
            team: d.team,
            public_key: d.public_key,
        }
    }
}

/// A stored bundle, as pulled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBundle {
    /// Its place in the team's order.
    pub seq: u64,
    /// The sealed bytes, as pushed.
    pub body: Vec<u8>,
}

/// What a push did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pushed {
    /// The bundle's team sequence number.
    pub seq: u64,
    /// The same bundle had already been pushed (nothing stored).
    pub duplicate: bool,
}

/// A storage failure or a refusal that depends on stored state.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The team already exists.
    #[error("the team is already registered")]
    TeamExists,
    /// The device id is already enrolled.
    #[error("the device is already enrolled")]
    DeviceExists,
    /// No unused, unexpired enrollment token with this hash for this team.
    #[error("the enrollment token is unknown, used or expired")]
    BadEnrollment,
    /// An enrollment token with this hash was already registered.
    #[error("this enrollment token is already registered")]
    TokenExists,
    /// The request's nonce was already used.
    #[error("the request was already received")]
    Replayed,
    /// The device was revoked.
    #[error("the device was revoked")]
    Revoked,
    /// The device pushed a different bundle under a batch number it already used.
    #[error("this batch number was already used for a different bundle")]
    BatchReused,
    /// The store's schema is newer than this server knows (an older server was
    /// started on a store a newer one upgraded).
    #[error("the store has schema version {found}; this server knows up to {known}")]
    NewerSchema {
        /// The store's version.
        found: usize,
        /// The newest this server knows.
        known: usize,
    },
    /// A device named in a request is not in the requester's team.
    #[error("no such device in this team")]
    NotInTeam,
    /// Another coordinator already started this key epoch.
    #[error("another coordinator already started this key epoch")]
    EpochTaken,
    /// A new key epoch must follow the team's newest one.
    #[error("a new key epoch must follow the team's newest epoch")]
    EpochOutOfOrder,
    /// A new key epoch must reach every enrolled, unrevoked device of the team.
    #[error("the new key epoch leaves out an enrolled device")]
    GrantsIncomplete,
    /// Grants added to an epoch no coordinator started.
    #[error("no such key epoch")]
    NoSuchEpoch,
    /// The database failed.
    #[error("storage failed: {0}")]
    Database(String),
}

/// The server's storage. Calls block; the handlers run them off the async workers.
pub trait Storage: Send + Sync + 'static {
    /// Stores the operator token's hash unless one is stored; true when stored now.
    fn init_operator(&self, token_hash: &[u8; 32]) -> Result<bool, StorageError>;
    /// The operator token's hash.
    fn operator(&self) -> Result<Option<[u8; 32]>, StorageError>;
    /// Registers a team and its first (coordinator) device.
    fn create_team(&self, team: &Id, coordinator: &Device) -> Result<(), StorageError>;
    /// A device by id.
    fn device(&self, id: &Id) -> Result<Option<Device>, StorageError>;
    /// The devices of a team, by enrollment time, with who enrolled each.
    fn devices(&self, team: &Id) -> Result<Vec<Device>, StorageError>;
    /// The identity of an enrolled device, to check a push's signature with (the
    /// push's own transaction checks that the device is not revoked). A store may keep
    /// identities in memory: they never change.
    fn identity(&self, id: &Id) -> Result<Option<Identity>, StorageError> {
        Ok(self.device(id)?.as_ref().map(Identity::from))
    }
    /// Adds an enrollment token (its hash) for `role`, valid until `expires_ms`, made
    /// by the coordinator `created_by` (its unused tokens end when it is revoked).
    fn add_enrollment(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        role: Role,
        expires_ms: u64,
        created_by: &Id,
    ) -> Result<(), StorageError>;
    /// Whether an unused, unexpired enrollment token with this hash exists for `team`
    /// (nothing is written).
    fn enrollment_open(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        now_ms: u64,
    ) -> Result<bool, StorageError>;
    /// Uses an enrollment token once: enrolls `device` (id and key) with the token's
    /// role. The role given in `device` is ignored.
    fn enroll(
        &self,
        team: &Id,
        token_hash: &[u8; 32],
        device: &Device,
        now_ms: u64,
    ) -> Result<Device, StorageError>;
    /// Marks a device of `team` revoked, keeping `proof` (the coordinator's signed
    /// removal, handed to the device with the wipe instruction; the first one stays)
    /// and, in the same transaction, deletes the unused enrollment tokens it made (a
    /// seized coordinator's invites must not enroll anyone afterwards); false when no
    /// such device.
    fn revoke(
        &self,
        team: &Id,
        device: &Id,
        now_ms: u64,
        proof: &[u8],
    ) -> Result<bool, StorageError>;
    /// Keeps `proof` as the confirmation of coordinator `device` of `team` (replacing
    /// an earlier one); false when `team` has no such unrevoked coordinator.
    fn confirm(&self, team: &Id, device: &Id, proof: &[u8]) -> Result<bool, StorageError>;
    /// Stores a bundle once per (device, batch), giving it the team's next sequence
    /// number and recording the request's nonce (with the forgetting time of
    /// [`Storage::use_nonce`]) in the same transaction.
    fn push(
        &self,
        team: &Id,
        device: &Id,
        batch: u64,
        body: &[u8],
        now_ms: u64,
        nonce: ([u8; 16], u64),
    ) -> Result<Pushed, StorageError>;
    /// Bundles of `team` after `after`, in order, up to about `max_bytes` (at least
    /// one), and whether more follow.
    fn pull(
        &self,
        team: &Id,
        after: u64,
        max_bytes: usize,
    ) -> Result<(Vec<StoredBundle>, bool), StorageError>;
    /// Stores the sealed grants of key epoch `epoch` for devices of `team`, all or
    /// none (`NotInTeam` when one is not the team's), from `author`, who must not be
    /// revoked (checked in the same transaction, so it is ordered against a
    /// revocation).
    ///
    /// Starting an epoch (`top_up` false): the first coordinator to deliver an epoch
    /// owns it and another `author` is refused (`EpochTaken`), so a team never has two
    /// keys for one epoch. A new epoch must be the team's newest plus one
    /// (`EpochOutOfOrder`: nobody can claim epochs ahead) and carry a grant for every
    /// enrolled, unrevoked device with a key-exchange key and a membership proof, other
    /// than the author (`GrantsIncomplete`). Its owner may deliver again.
    ///
    /// Topping up (`top_up` true): grants of an epoch already started, for devices
    /// that joined before it and lack one (`NoSuchEpoch` when it was not started).
    ///
    /// A grant already stored for a (device, epoch) is kept.
    fn put_grants(
        &self,
        team: &Id,
        author: &Id,
        epoch: u32,
        grants: &[(Id, Vec<u8>)],
        top_up: bool,
        now_ms: u64,
    ) -> Result<(), StorageError>;
    /// The (device, epoch) pairs for which a grant is owed: unrevoked devices of
    /// `team` with a key-exchange key and a membership proof, and started epochs after the one each joined
    /// with that it holds no grant of (and did not start), by device and epoch.
    fn lacking_grants(&self, team: &Id) -> Result<Vec<(Id, u32)>, StorageError>;
    /// The grants stored for `device` with an epoch above `after`, by epoch.
    fn grants(&self, device: &Id, after: u32) -> Result<Vec<(u32, Vec<u8>)>, StorageError>;
    /// Records a request nonce; false when the device already used it. Nonces older
    /// than `forget_before_ms` are dropped.
    fn use_nonce(
        &self,
        device: &Id,
        nonce: &[u8; 16],
        now_ms: u64,
        forget_before_ms: u64,
    ) -> Result<bool, StorageError>;
}

/// Whether an X25519 public key can receive a sealed key: not of small order (a
/// small-order key would give every sender the same shared secret). Any clamped scalar
/// is a multiple of the cofactor, so the product is the identity exactly for those.
pub fn usable_kx(key: &[u8; 32]) -> bool {
    x25519_dalek::StaticSecret::from([0x5a; 32])
        .diffie_hellman(&x25519_dalek::PublicKey::from(*key))
        .was_contributory()
}

/// Milliseconds as stored (both stores keep signed 64-bit integers).
fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
