//! What can go wrong in sync. Messages name ids, epochs and causes, never content.

use crate::crypto::CryptoError;
use crate::records::RecordError;
use crate::store::StoreError;

/// A sync, team or bundle operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The vault is locked.
    #[error("the vault is locked")]
    Locked,
    /// The vault has not created or joined a team.
    #[error("this vault is not in a team: create one or join with an invite")]
    NoTeam,
    /// The vault is already in a team.
    #[error("this vault is already in a team")]
    AlreadyInTeam,
    /// Only a coordinator may do this (invite, resolve).
    #[error("only a coordinator can {0}")]
    NotCoordinator(&'static str),
    /// The invite text is not an invite (cut short, mistyped, or something else).
    #[error("this is not a valid invite: {0}")]
    InvalidInvite(&'static str),
    /// The secret does not open the invite.
    #[error("the invite secret does not open this invite")]
    WrongInviteSecret,
    /// The invite's validity has passed.
    #[error("this invite has expired; ask the coordinator for a new one")]
    InviteExpired,
    /// The bytes are not a bundle, or are cut short.
    #[error("not a readable bundle: {0}")]
    MalformedBundle(&'static str),
    /// The bundle was made by a newer format.
    #[error("the bundle has format version {0}; this build reads version 1")]
    UnsupportedBundle(u16),
    /// The bundle belongs to another team.
    #[error("the bundle belongs to another team")]
    OtherTeam,
    /// The bundle is sealed under a key epoch this vault does not have.
    #[error("the bundle is sealed under team key epoch {0}, which this vault does not have")]
    UnknownEpoch(u32),
    /// Authentication failed: the bundle was altered, or sealed under another key.
    #[error("the bundle failed authentication: it was altered or sealed under another key")]
    Unauthentic,
    /// The bundle opened but its contents contradict its header or this vault.
    #[error("the bundle is inconsistent: {0}")]
    Inconsistent(&'static str),
    /// The summary text is not a summary of this team.
    #[error("not a valid summary for this team: {0}")]
    InvalidSummary(&'static str),
    /// No open conflict with the id given (resolved meanwhile, or mistyped).
    #[error("no open conflict with this id")]
    ConflictNotFound,
    /// The conflict gained a value since it was listed (an import or sync arrived):
    /// nothing was decided; list the conflicts again.
    #[error("this conflict changed since it was listed; list the conflicts again")]
    ConflictChanged,
    /// The chosen value is not one of the conflict's values.
    #[error("conflict {0} has no such value")]
    UnknownValue(String),
    /// An argument that cannot be used (a team name, a server address).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// A choice that does not fit the conflict (a new value for a delete conflict).
    #[error("invalid choice: {0}")]
    InvalidChoice(&'static str),
    /// The team has no sync server (set one, or exchange bundle files).
    #[error("this team has no sync server")]
    NoServer,
    /// The server removed this device from the team; its vault has been wiped.
    #[error("this device was removed from the team; its data has been wiped")]
    Revoked,
    /// The server refused a request (`code` is the server's error code).
    #[error("the server refused the request ({status} {code})")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's error code, e.g. `unauthenticated`.
        code: String,
    },
    /// The server answered what only a compromised server would: it lists another
    /// key-exchange key for a device than it did before. No new team key was sent.
    #[error(
        "the server changed a device's key-exchange key; no key was sent (tell the server's administrator)"
    )]
    KeyChanged,
    /// This device joined as a coordinator and no other coordinator has confirmed it
    /// yet, so it cannot sign for the team (invites, removals, new keys). It takes
    /// the confirmation at its first round after a coordinator's round.
    #[error(
        "no coordinator has confirmed this device yet: sync again after another coordinator has synced"
    )]
    AwaitingConfirmation,
    /// The server said this device was removed, with this proof: checked against the
    /// team's coordinators before anything is wiped (only inside the core; callers see
    /// [`SyncError::Revoked`] or [`SyncError::UnprovenRemoval`]).
    #[error("the server says this device was removed")]
    RemovalNotice(Vec<u8>),
    /// The server said this device was removed, but without a removal signed by one of
    /// the team's coordinators: nothing was wiped. Only a compromised server (or
    /// someone between it and this phone) answers that.
    #[error(
        "the server said this device was removed, without a coordinator's signature; nothing was wiped (tell the server's administrator)"
    )]
    UnprovenRemoval,
    /// No answer from the server: try again later.
    #[error(transparent)]
    Transport(#[from] crate::sync::transport::TransportError),
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// Record failure.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Random generator or cipher failure.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}
