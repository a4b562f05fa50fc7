//! Teams: the devices that share records under one team key. A coordinator's vault
//! creates the team and invites; a device joins with the invite and its one-time
//! secret. The key of each epoch lives in the vault wrapped under the data key, like
//! every other secret, and is only ever unwrapped into zeroizing memory.
//!
//! An invite is a text (and QR code) of the form `SKINV1:` + base32 of
//! `salt(16) ‖ nonce(24) ‖ ciphertext ‖ tag(16)`: the team id, name, role, epoch, the
//! epoch's key, an optional server URL and the expiry, sealed with XChaCha20-Poly1305
//! under a key derived from the secret. Without the secret the invite says nothing,
//! not even which team or server it is for. The secret carries 128 random bits in the
//! recovery-key alphabet (32 characters with a checksum), shown separately.
//!
//! The invite also carries the team's root key (its creator's device key), and a
//! coordinator invite the chain of signatures that lets the new coordinator hand out
//! new team keys (`authority`).

use std::time::Duration;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use ed25519_dalek::SigningKey;

use super::SyncError;
use super::authority::{self, Authority};
use super::{online, rotation};
use crate::crypto::{self, CryptoError, Place, RecoveryKey, SALT_LEN, Sealer, SecretKey};
use crate::ids::{DeviceId, TeamId};
use crate::store::Store;
use crate::vault::{Unlocked, Vault};

const INVITE_PREFIX: &str = "SKINV1:";
const INVITE_AAD: &[u8] = b"safekeep invite v1";
/// How long an invite is valid unless the coordinator says otherwise.
pub const DEFAULT_INVITE_VALIDITY: Duration = Duration::from_secs(48 * 3600);

/// What a member does in the team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Identifies victims and records intake during operations.
    Field,
    /// Logs restoration services over months.
    Aftercare,
    /// Gathers records, invites members, resolves conflicts.
    Coordinator,
}

impl Role {
    /// Lower-case name for output and arguments.
    pub fn name(self) -> &'static str {
        match self {
            Role::Field => "field",
            Role::Aftercare => "aftercare",
            Role::Coordinator => "coordinator",
        }
    }

    /// Parses `field`, `aftercare` or `coordinator` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "field" => Some(Role::Field),
            "aftercare" => Some(Role::Aftercare),
            "coordinator" => Some(Role::Coordinator),
            _ => None,
        }
    }
}

/// This vault's membership of a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The team's id.
    pub id: TeamId,
    /// The team's name as the coordinator typed it.
    pub name: String,
    /// This device's role.
    pub role: Role,
    /// The current key epoch: new ops and bundles use its key.
    pub epoch: u32,
    /// The team's sync server, if it has one.
    pub server: Option<String>,
}

/// A fresh invite: give `invite` (text or QR code) and `secret` to the new member by
/// two different ways if you can (the QR code on screen, the secret spoken).
pub struct NewInvite {
    /// The invite text, `SKINV1:...`.
    pub invite: String,
    /// The one-time secret that opens it.
    pub secret: InviteSecret,
    /// When the invite stops working (milliseconds since the Unix epoch).
    pub expires_ms: u64,
    /// The role it grants.
    pub role: Role,
    /// For a team with a server: the token the joining device enrolls with (derived
    /// from the secret; the server is given only its hash until it is used).
    enrollment: Option<Zeroizing<String>>,
}

impl NewInvite {
    /// The enrollment token the invite's device will present to the team's server
    /// (none when the team has no server). [`Vault::offer_invite`] registers it.
    pub fn enrollment_token(&self) -> Option<Zeroizing<String>> {
        self.enrollment.clone()
    }
}

const ENROLLMENT_TOKEN: &str = "enrollment_token";

/// The server enrollment token an invite's secret gives: one-way from the invite's key,
/// so the server, which sees it once, learns nothing that opens the invite.
fn enrollment_token_from(kek: &SecretKey) -> Zeroizing<String> {
    let digest = Zeroizing::new(blake3::derive_key(
        "safekeep 2026-11 server enrollment token",
        kek.expose(),
    ));
    Zeroizing::new(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn enrollment_place() -> Place<'static> {
    Place {
        table: "meta",
        row: ENROLLMENT_TOKEN.as_bytes(),
    }
}

/// The enrollment token kept when this vault joined a team with a server.
pub(crate) fn enrollment_token(u: &Unlocked) -> Result<Option<Zeroizing<String>>, SyncError> {
    let Some(sealed) = Store::meta(u.store.conn(), ENROLLMENT_TOKEN)? else {
        return Ok(None);
    };
    let plain = u.sealer.open(enrollment_place(), &sealed)?;
    let text = std::str::from_utf8(&plain)
        .map_err(|_| SyncError::Inconsistent("the enrollment token is malformed"))?;
    Ok(Some(Zeroizing::new(text.to_owned())))
}

/// The secret that opens one invite: 128 random bits, typed as 32 characters in groups
/// of four with a checksum (the recovery key's alphabet).
pub struct InviteSecret(RecoveryKey);

impl InviteSecret {
    /// A new random secret.
    pub fn make_random() -> Result<Self, CryptoError> {
        Ok(Self(RecoveryKey::make_random()?))
    }

    /// The secret as a person types it.
    pub fn to_display_string(&self) -> String {
        self.0.to_display_string()
    }

    /// Parses a typed secret (case, spaces and dashes do not matter).
    pub fn parse(typed: &str) -> Result<Self, SyncError> {
        RecoveryKey::parse(typed)
            .map(Self)
            .map_err(|_| SyncError::WrongInviteSecret)
    }
}

impl std::fmt::Debug for InviteSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteSecret(..)")
    }
}

/// What an invite carries, once opened.
#[derive(Serialize, Deserialize)]
struct InvitePayload {
    team: TeamId,
    name: String,
    role: Role,
    epoch: u32,
    key: [u8; 32],
    server: Option<String>,
    expires_ms: u64,
    issued_by: DeviceId,
    /// The keys of the epochs before `epoch` (after key rotations), so that a new
    /// member can read the team's history.
    older: Vec<(u32, [u8; 32])>,
    /// The team's root key, the issuer's chain from it, and a last link to the
    /// one-time key below (`authority`).
    authority: Vec<u8>,
    /// The one-time key's secret, with which the joining device signs its membership
    /// (then it is dropped).
    vouch: Option<[u8; 32]>,
}

impl Drop for InvitePayload {
    fn drop(&mut self) {
        self.key.zeroize();
        for (_, key) in &mut self.older {
            key.zeroize();
        }
        self.vouch.zeroize();
    }
}

fn team_place() -> Place<'static> {
    Place {
        table: "meta",
        row: b"team",
    }
}

fn key_place(epoch: &[u8; 4]) -> Place<'_> {
    Place {
        table: "team_keys",
        row: epoch,
    }
}

/// This vault's team, if it is in one.
pub(crate) fn load(conn: &Connection, sealer: &Sealer) -> Result<Option<Team>, SyncError> {
    let Some(sealed) = Store::meta(conn, "team")? else {
        return Ok(None);
    };
    let plain = sealer
        .open(team_place(), &sealed)
        .map_err(|_| SyncError::Store(crate::store::StoreError::Corrupt("team entry".into())))?;
    let team = postcard::from_bytes(&plain)
        .map_err(|_| SyncError::Store(crate::store::StoreError::Corrupt("team entry".into())))?;
    Ok(Some(team))
}

fn save(conn: &Connection, sealer: &Sealer, team: &Team) -> Result<(), SyncError> {
    let plain = Zeroizing::new(
        postcard::to_allocvec(team).map_err(|_| SyncError::InvalidInvite("cannot encode"))?,
    );
    Store::set_meta(conn, "team", &sealer.seal(team_place(), &plain)?)?;
    Ok(())
}

/// The team key of `epoch`, unwrapped.
pub(crate) fn key(
    conn: &Connection,
    sealer: &Sealer,
    epoch: u32,
) -> Result<Option<SecretKey>, SyncError> {
    let Some(wrapped) = Store::team_key(conn, epoch)? else {
        return Ok(None);
    };
    let bytes = epoch.to_be_bytes();
    let key = sealer
        .unwrap_key(key_place(&bytes), &wrapped)
        .map_err(|_| SyncError::Store(crate::store::StoreError::Corrupt("a team key".into())))?;
    Ok(Some(key))
}

fn store_key(
    conn: &Connection,
    sealer: &Sealer,
    epoch: u32,
    key: &SecretKey,
) -> Result<(), SyncError> {
    let bytes = epoch.to_be_bytes();
    Store::put_team_key(conn, epoch, &sealer.wrap_key(key_place(&bytes), key)?)?;
    Ok(())
}

/// Adds the key of `epoch` (from a grant or an invite) and makes that epoch current if
/// it is newer; returns the team as it now is.
pub(crate) fn add_epoch(
    conn: &Connection,
    sealer: &Sealer,
    epoch: u32,
    key: &SecretKey,
) -> Result<Team, SyncError> {
    let mut team = load(conn, sealer)?.ok_or(SyncError::NoTeam)?;
    store_key(conn, sealer, epoch, key)?;
    if epoch > team.epoch {
        team.epoch = epoch;
        save(conn, sealer, &team)?;
    }
    Ok(team)
}

/// The team and its current key, or `NoTeam`.
pub(crate) fn current(u: &Unlocked) -> Result<(Team, SecretKey), SyncError> {
    let conn = u.store.conn();
    let team = load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
    let key = key(conn, &u.sealer, team.epoch)?.ok_or(SyncError::UnknownEpoch(team.epoch))?;
    Ok((team, key))
}

const BAD_SERVER: &str = "the server must be an http:// or https:// address";

/// A server address, trimmed; `None` when absent, `Some(Err)` when not an address.
fn valid_server(server: Option<String>) -> Option<Result<String, ()>> {
    let s = server
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())?;
    if (s.starts_with("https://") || s.starts_with("http://")) && s.len() <= 512 {
        Some(Ok(s.trim_end_matches('/').to_owned()))
    } else {
        Some(Err(()))
    }
}

/// A server address typed on this device.
fn typed_server(server: Option<String>) -> Result<Option<String>, SyncError> {
    valid_server(server)
        .transpose()
        .map_err(|()| SyncError::InvalidInput(BAD_SERVER))
}

/// What an invite for `role` carries of the team's authority: the issuer's chain, a
/// link to a new one-time key (which may vouch for one device in `role`), and that
/// key's secret.
fn invite_authority(
    u: &Unlocked,
    team: TeamId,
    role: Role,
) -> Result<(Vec<u8>, Option<[u8; 32]>), SyncError> {
    let (key, held) = online::coordinator_key(u.store.conn(), &u.sealer, team)?;
    if !held.can_extend() {
        return Err(SyncError::Inconsistent(
            "this coordinator's chain from the team's creator is too long to invite: ask a coordinator closer to the creator",
        ));
    }
    let seed = Zeroizing::new(crypto::make_random::<32>()?);
    let once = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let chain = held.extended_for_invite(team, &key, once, role);
    Ok((chain.to_bytes(), Some(*seed)))
}

/// What a device takes from its invite: the team's root, and its membership, signed
/// with the invite's one-time key, which is then dropped. (A new coordinator signs for
/// the team once another coordinator has confirmed it: see `authority`.)
fn joined_authority(
    conn: &Connection,
    sealer: &Sealer,
    payload: &InvitePayload,
    device: DeviceId,
    kx: &[u8; 32],
) -> Result<(Authority, Vec<u8>), SyncError> {
    let bad = SyncError::InvalidInvite("its coordinators' proof is malformed");
    let Some((carried, [])) = Authority::read(&payload.authority) else {
        return Err(bad);
    };
    let seed = Zeroizing::new(payload.vouch.ok_or(SyncError::InvalidInvite(
        "its coordinators' proof is missing",
    ))?);
    let once = SigningKey::from_bytes(&seed);
    let me = online::device_key(conn, sealer)?.verifying_key().to_bytes();
    let membership = authority::vouch_member(
        payload.team,
        device,
        payload.role,
        (&me, kx),
        &once,
        &carried,
    );
    let vouched = authority::verified_member(
        payload.team,
        &carried.root_only(),
        device,
        payload.role,
        (&me, kx),
        &membership,
    );
    if vouched.map(|v| v.voucher) != Some(once.verifying_key().to_bytes()) {
        return Err(bad);
    }
    Ok((carried.root_only(), membership))
}

impl Vault {
    /// Creates a team with this vault as its coordinator, at key epoch 1.
    pub fn create_team(&self, name: &str, server: Option<String>) -> Result<Team, SyncError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(SyncError::InvalidInput(
                "the team name must be 1 to 200 bytes",
            ));
        }
        let server = typed_server(server)?;
        self.with_unlocked(SyncError::Locked, |u| {
            if load(u.store.conn(), &u.sealer)?.is_some() {
                return Err(SyncError::AlreadyInTeam);
            }
            let team = Team {
                id: TeamId::make_random()?,
                name: name.to_owned(),
                role: Role::Coordinator,
                epoch: 1,
                server,
            };
            let key = SecretKey::make_random()?;
            let (device, kx) = (u.device, rotation::kx_public(u)?);
            let tx = u.store.write()?;
            // This device's key becomes the team's root: every member learns it from
            // its invite, and new keys are taken only from a chain that starts there.
            let root_key = online::device_key(&tx, &u.sealer)?;
            let root = Authority::root_of(&root_key);
            authority::save(&tx, &u.sealer, &root)?;
            let membership = authority::vouch_member(
                team.id,
                device,
                Role::Coordinator,
                (&root_key.verifying_key().to_bytes(), &kx),
                &root_key,
                &root,
            );
            authority::save_membership(&tx, &u.sealer, &membership)?;
            store_key(&tx, &u.sealer, team.epoch, &key)?;
            save(&tx, &u.sealer, &team)?;
            tx.commit().map_err(crate::store::StoreError::from)?;
            u.epoch = team.epoch;
            Ok(team)
        })
    }

    /// This vault's team, if it is in one.
    pub fn team(&self) -> Result<Option<Team>, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| load(u.store.conn(), &u.sealer))
    }

    /// Records the team's sync server (or forgets it with `None`).
    pub fn set_team_server(&self, server: Option<String>) -> Result<Team, SyncError> {
        let server = typed_server(server)?;
        self.with_unlocked(SyncError::Locked, |u| {
            let mut team = load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)?;
            team.server = server;
            save(u.store.conn(), &u.sealer, &team)?;
            Ok(team)
        })
    }

    /// Makes an invite into this vault's team for a member with `role`, valid for
    /// `valid_for`. Only a coordinator invites.
    pub fn create_invite(&self, role: Role, valid_for: Duration) -> Result<NewInvite, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let (team, key) = current(u)?;
            if team.role != Role::Coordinator {
                return Err(SyncError::NotCoordinator("invite members"));
            }
            let expires_ms = u
                .hlc
                .now_ms()
                .saturating_add(u64::try_from(valid_for.as_millis()).unwrap_or(u64::MAX));
            let conn = u.store.conn();
            let mut older = Vec::new();
            for epoch in Store::team_key_epochs(conn)? {
                if epoch < team.epoch
                    && let Some(old) = self::key(conn, &u.sealer, epoch)?
                {
                    older.push((epoch, *old.expose()));
                }
            }
            let (authority, vouch) = invite_authority(u, team.id, role)?;
            let payload = InvitePayload {
                team: team.id,
                name: team.name.clone(),
                role,
                epoch: team.epoch,
                key: *key.expose(),
                server: team.server.clone(),
                expires_ms,
                issued_by: u.device,
                older,
                authority,
                vouch,
            };
            let plain = Zeroizing::new(
                postcard::to_allocvec(&payload)
                    .map_err(|_| SyncError::InvalidInvite("cannot encode"))?,
            );
            let secret = InviteSecret::make_random()?;
            let salt: [u8; SALT_LEN] = crypto::make_random()?;
            let kek = secret.0.derive_kek(&salt);
            let enrollment = team.server.is_some().then(|| enrollment_token_from(&kek));
            let mut bytes = salt.to_vec();
            bytes.extend(crypto::seal_detached(&kek, INVITE_AAD, &plain)?);
            Ok(NewInvite {
                invite: format!(
                    "{INVITE_PREFIX}{}",
                    data_encoding::BASE32_NOPAD.encode(&bytes)
                ),
                secret,
                expires_ms,
                role,
                enrollment,
            })
        })
    }

    /// Joins the team of `invite`, opened with `secret`. Joining the same team again
    /// (a new invite after a key rotation) updates the key and role.
    pub fn join_team(&self, invite: &str, secret: &InviteSecret) -> Result<Team, SyncError> {
        let text: String = invite.chars().filter(|c| !c.is_whitespace()).collect();
        let body = text
            .strip_prefix(INVITE_PREFIX)
            .or_else(|| text.strip_prefix(&INVITE_PREFIX.to_ascii_lowercase()))
            .ok_or(SyncError::InvalidInvite("it does not start with SKINV1:"))?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|_| SyncError::InvalidInvite("it is cut short or mistyped"))?;
        if bytes.len() < SALT_LEN {
            return Err(SyncError::InvalidInvite("it is cut short"));
        }
        let (salt, sealed) = bytes.split_at(SALT_LEN);
        let salt: [u8; SALT_LEN] = salt
            .try_into()
            .map_err(|_| SyncError::InvalidInvite("it is cut short"))?;
        let kek = secret.0.derive_kek(&salt);
        let plain = crypto::open_detached(&kek, INVITE_AAD, sealed).map_err(|e| match e {
            CryptoError::Truncated => SyncError::InvalidInvite("it is cut short"),
            _ => SyncError::WrongInviteSecret,
        })?;
        let payload: InvitePayload = postcard::from_bytes(&plain)
            .map_err(|_| SyncError::InvalidInvite("made by an unknown version"))?;
        let server = valid_server(payload.server.clone())
            .transpose()
            .map_err(|()| SyncError::InvalidInvite(BAD_SERVER))?;
        self.with_unlocked(SyncError::Locked, |u| {
            if payload.expires_ms < u.hlc.now_ms() {
                return Err(SyncError::InviteExpired);
            }
            let existing = load(u.store.conn(), &u.sealer)?;
            if existing.as_ref().is_some_and(|t| t.id != payload.team) {
                return Err(SyncError::AlreadyInTeam);
            }
            let team = Team {
                id: payload.team,
                name: payload.name.clone(),
                role: payload.role,
                epoch: payload.epoch.max(existing.as_ref().map_or(0, |t| t.epoch)),
                server: server.or(existing.and_then(|t| t.server)),
            };
            let key = SecretKey::from_slice(&payload.key)
                .ok_or(SyncError::InvalidInvite("the key is malformed"))?;
            let kx = rotation::kx_public(u)?;
            let device = u.device;
            let tx = u.store.write()?;
            let (granted, membership) = joined_authority(&tx, &u.sealer, &payload, device, &kx)?;
            authority::save_membership(&tx, &u.sealer, &membership)?;
            if authority::load(&tx, &u.sealer)?.is_some_and(|held| !held.same_root(&granted)) {
                return Err(SyncError::InvalidInvite(
                    "it names other coordinators than this team's",
                ));
            }
            authority::save(&tx, &u.sealer, &granted)?;
            store_key(&tx, &u.sealer, payload.epoch, &key)?;
            for (epoch, old) in &payload.older {
                let old = SecretKey::from_slice(old)
                    .ok_or(SyncError::InvalidInvite("a key is malformed"))?;
                if *epoch < payload.epoch {
                    store_key(&tx, &u.sealer, *epoch, &old)?;
                }
            }
            save(&tx, &u.sealer, &team)?;
            if team.server.is_some() {
                let token = enrollment_token_from(&kek);
                let sealed = u.sealer.seal(enrollment_place(), token.as_bytes())?;
                Store::set_meta(&tx, ENROLLMENT_TOKEN, &sealed)?;
            }
            tx.commit().map_err(crate::store::StoreError::from)?;
            u.epoch = team.epoch;
            Ok(team)
        })
    }
}
