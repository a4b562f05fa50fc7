//! Online sync through the team's server (`docs/server-protocol.md`): the device's
//! signing key, registering a team, offering an invite's enrollment, enrolling, and
//! the sync round. A round pushes this vault's outbox in small bundles (each kept until
//! the server acknowledged it, and pushed again under the same batch number after a
//! cut, so the server stores it once), then pulls the team's bundles after its cursor
//! until caught up, applying each. It resumes after any cut where it stopped.
//!
//! The server only ever sees sealed bundles, the team id, device ids and public keys.

use std::collections::BTreeMap;

use ed25519_dalek::{Signer, SigningKey};
use rusqlite::Connection;
use serde_json::json;
use zeroize::Zeroizing;

use super::SyncError;
use super::authority;
use super::bundle::{self, OpRange};
use super::engine::{Summary, SyncReport};
use super::rotation;
use super::team::{self, NewInvite, Role};
use super::transport::{HttpRequest, HttpResponse, Transport};
use crate::crypto::{self, Place, Sealer};
use crate::ids::{DeviceId, TeamId};
use crate::store::Store;
use crate::vault::{Unlocked, Vault};

const DEVICE_KEY: &str = "device_key";

/// Why a coordinator vault cannot sign: it holds no chain from the team's root.
const NO_CHAIN: &str =
    "this vault holds no proof of its coordinator role: join the team again with a new invite";
/// Meta key of the first key epoch whose grants have not reached the server yet.
const GRANTS_PENDING: &str = "grants_pending";
/// Meta key of the devices this vault removed (16-byte ids, concatenated): never sent
/// a new key, whatever the server lists.
const REVOKED_HERE: &str = "revoked_devices";
/// Meta key of the devices this vault asked the server to remove and has not rotated
/// the team key for yet (16-byte ids): written before asking, so a lost answer or a
/// crash before the rotation is settled at the next round.
const ROTATION_OWED: &str = "rotation_owed";
/// Meta key of the key-exchange keys this vault has seen the server list, per device
/// (16-byte id ‖ 32-byte key): a server that later lists another key for a device is
/// not sent any team key.
const KX_PINS: &str = "kx_pins";

/// Meta key of the vouchers seen (coordinator): each invite's one-time key with the
/// one device it vouched for, `voucher (32) ‖ device id (16) ‖ Ed25519 key (32)`; a
/// voucher first seen for two devices at once is pinned to none ([`BURNED`]). (The
/// first version pinned the id alone, under another key.)
const VOUCHER_PINS: &str = "voucher_pins_2";
const PIN_LEN: usize = 32 + 16 + 32;
/// The device a voucher seen for two devices at once is pinned to: none.
const BURNED: [u8; 48] = [0; 48];
/// Whether a meta list of device ids (16 bytes each, concatenated) holds `device`.
fn lists(ids: &[u8], device: DeviceId) -> bool {
    ids.chunks(16).any(|id| id == device.as_bytes())
}

/// A meta list of device ids with `device` added, once.
fn with_id(mut ids: Vec<u8>, device: DeviceId) -> Vec<u8> {
    if !lists(&ids, device) {
        ids.extend_from_slice(device.as_bytes());
    }
    ids
}

/// A meta list of device ids without those for which `drop` holds.
fn without_ids(ids: &[u8], drop: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    ids.chunks(16)
        .filter(|id| !drop(id))
        .flatten()
        .copied()
        .collect()
}

/// Meta keys of the pull cursor and the outbox, per server (a cursor is a place in one
/// server's order, meaningless on another).
fn per_server(what: &str, server: &str) -> String {
    let tag = blake3::derive_key("safekeep 2026-11 server meta key", server.as_bytes());
    format!("{what} {}", hex(&tag[..8]))
}

/// Bundles pushed at most this big: a few seconds each over 2G, so a cut loses little.
pub const PUSH_BUDGET: usize = 256 * 1024;
/// Pull answers asked at most this big.
pub const PULL_BUDGET: usize = 1024 * 1024;

/// What a sync round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncRound {
    /// Bundles pushed (including one left over from a cut round).
    pub pushed: u64,
    /// Bundles pulled and applied.
    pub pulled: u64,
    /// Bundles pulled that were refused (altered, not this team's): skipped, counted.
    pub refused: u64,
    /// What applying the pulled bundles did.
    pub report: SyncReport,
    /// New team keys received (a coordinator removed a device since the last round).
    pub new_keys: u32,
    /// The pull stopped at a bundle sealed under this key epoch, which this vault
    /// does not hold yet (it joined with an invite made before a removal): a
    /// coordinator's next round sends the key, and the next round here goes on from
    /// that bundle. Everything before it was applied and the pushes went out.
    pub waiting_for_key: Option<u32>,
    /// This device joined as a coordinator and no other coordinator has confirmed it
    /// yet: until then it syncs records but cannot invite, remove devices or hand out
    /// keys. A coordinator's next round confirms it, and the round after that here
    /// takes the confirmation.
    pub awaiting_confirmation: bool,
    /// Coordinators that joined with a coordinator invite and that this (confirmed)
    /// coordinator confirmed in this round.
    pub confirmed: u32,
}

/// Where a round is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPhase {
    /// Sending this vault's changes.
    Pushing,
    /// Receiving the team's changes.
    Pulling,
}

/// A device of the team as the server lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerDevice {
    /// The device id.
    pub device: DeviceId,
    /// Its role on the server.
    pub role: Role,
    /// When it enrolled (ms since the epoch).
    pub enrolled_ms: u64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<u64>,
    /// Its key-exchange (X25519) public key, to which new team keys are sealed; `None`
    /// for a device enrolled before key rotation existed (it needs a new invite).
    pub kx_public: Option<[u8; 32]>,
    /// The team key epochs started since it joined that it holds no key for yet (it
    /// joined with an invite made before a removal): a coordinator's next round
    /// delivers them.
    pub lacks: Vec<u32>,
    /// The coordinator whose invite enrolled it (`None` for the team's first
    /// coordinator): after a coordinator phone is lost, the devices it enrolled are
    /// the ones to check.
    pub enrolled_by: Option<DeviceId>,
    /// Its Ed25519 public key, which signs its requests.
    pub public_key: [u8; 32],
    /// A verified coordinator that joined with a coordinator invite and that no
    /// coordinator has confirmed yet: the next round of a confirmed coordinator does.
    pub awaiting_confirmation: bool,
    /// Whether its membership proof (signed with the invite it joined by) verifies
    /// from the team's root key for its id and keys. New team keys are sealed only to
    /// verified devices. `false` for a device enrolled by an older version (it needs a
    /// new invite), and for one the server lists but no invite of this team vouched
    /// for: remove it.
    pub verified: bool,
}

/// What signs this vault's requests: its device id, its key and the server.
struct Signer_ {
    device: DeviceId,
    key: SigningKey,
    server: String,
}

fn key_place() -> Place<'static> {
    Place {
        table: "meta",
        row: DEVICE_KEY.as_bytes(),
    }
}

/// This vault's device key, made on first use.
pub(crate) fn device_key(conn: &Connection, sealer: &Sealer) -> Result<SigningKey, SyncError> {
    if let Some(sealed) = Store::meta(conn, DEVICE_KEY)? {
        let opened = sealer.open(key_place(), &sealed)?;
        if opened.len() != 32 {
            return Err(SyncError::Inconsistent("the device key is malformed"));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&opened);
        return Ok(SigningKey::from_bytes(&seed));
    }
    let seed = Zeroizing::new(crypto::make_random::<32>()?);
    Store::set_meta(
        conn,
        DEVICE_KEY,
        &sealer.seal(key_place(), seed.as_slice())?,
    )?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Opens a grant for this device: signed by a coordinator whose chain starts at the
/// team's root this vault holds (`authority`), and sealed under `previous`. `None`
/// when it is not such a grant (forged, damaged, signed by no coordinator of this
/// team, or held by a vault that joined before chains existed and so knows no root).
fn open_signed_grant(
    u: &Unlocked,
    team: TeamId,
    secret: &x25519_dalek::StaticSecret,
    epoch: u32,
    previous: &crypto::SecretKey,
    signed: &[u8],
) -> Result<Option<crypto::SecretKey>, SyncError> {
    let Some(root) = authority::load(u.store.conn(), &u.sealer)? else {
        return Ok(None);
    };
    let Some(grant) = authority::verify_grant(team, u.device, epoch, signed) else {
        return Ok(None);
    };
    if !grant.authority.same_root(&root) {
        return Ok(None);
    }
    let Some(key) = rotation::open_grant(team, u.device, secret, epoch, previous, grant.sealed)
    else {
        return Ok(None);
    };
    // Removals another coordinator made: never seal a key to those devices either.
    let conn = u.store.conn();
    let known = Store::meta(conn, REVOKED_HERE)?.unwrap_or_default();
    let mut removed = known.clone();
    for id in grant.removed.chunks_exact(16) {
        if let Ok(id) = DeviceId::from_slice(id) {
            removed = with_id(removed, id);
        }
    }
    if removed != known {
        Store::set_meta(conn, REVOKED_HERE, &removed)?;
    }
    Ok(Some(key))
}

/// Whether this vault is a coordinator that joined with a coordinator invite and holds
/// no confirmation yet: it can sign nothing for the team.
fn waits_for_confirmation(conn: &Connection, sealer: &Sealer) -> Result<bool, SyncError> {
    let team = team::load(conn, sealer)?.ok_or(SyncError::NoTeam)?;
    Ok(team.role == Role::Coordinator
        && matches!(
            coordinator_key(conn, sealer, team.id),
            Err(SyncError::AwaitingConfirmation)
        ))
}

/// This coordinator's device key and its chain from the team's root, which must end at
/// that key (a vault that joined before chains existed has none: it cannot sign
/// grants, removals or invites until it joins again).
pub(crate) fn coordinator_key(
    conn: &Connection,
    sealer: &Sealer,
    team: TeamId,
) -> Result<(SigningKey, authority::Authority), SyncError> {
    let key = device_key(conn, sealer)?;
    let held = authority::load(conn, sealer)?.ok_or(SyncError::Inconsistent(NO_CHAIN))?;
    if held.verified_end(team) != Some(key.verifying_key().to_bytes()) {
        // The root alone: a coordinator invite's device that no one confirmed yet. A
        // chain that does not verify is one of the first version's (kind 1).
        return Err(if held.is_root_only() {
            SyncError::AwaitingConfirmation
        } else {
            SyncError::Inconsistent(NO_CHAIN)
        });
    }
    Ok((key, held))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The text a request's signature covers (the server builds the same).
fn signed_text(
    device: &str,
    method: &str,
    pq: &str,
    body: &[u8],
    time: u64,
    nonce: &str,
) -> String {
    format!(
        "safekeep-request-v1\n{device}\n{method}\n{pq}\n{}\n{time}\n{nonce}",
        blake3::hash(body).to_hex()
    )
}

/// The hash under which the server keeps an enrollment or operator token.
fn token_hash(token: &str) -> [u8; 32] {
    blake3::derive_key("safekeep 2026-11 server token", token.as_bytes())
}

impl Signer_ {
    fn request(&self, method: &str, pq: &str, body: Vec<u8>) -> Result<HttpRequest, SyncError> {
        let nonce = hex(&crypto::make_random::<16>()?);
        let time = now_ms();
        let device = hex(self.device.as_bytes());
        let text = signed_text(&device, method, pq, &body, time, &nonce);
        let signature = hex(&self.key.sign(text.as_bytes()).to_bytes());
        Ok(HttpRequest {
            method: method.to_owned(),
            url: format!("{}{pq}", self.server.trim_end_matches('/')),
            headers: vec![
                ("x-safekeep-device".into(), device),
                ("x-safekeep-time".into(), time.to_string()),
                ("x-safekeep-nonce".into(), nonce),
                ("x-safekeep-signature".into(), signature),
                ("content-type".into(), "application/octet-stream".into()),
            ],
            body,
        })
    }

    fn send(
        &self,
        transport: &dyn Transport,
        method: &str,
        pq: &str,
        body: Vec<u8>,
    ) -> Result<HttpResponse, SyncError> {
        answer(transport.send(self.request(method, pq, body)?)?)
    }
}

/// A 2xx answer, or the refusal as an error (410: this device was revoked).
fn answer(response: HttpResponse) -> Result<HttpResponse, SyncError> {
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    let code = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    // The wipe instruction is the server's 410 with its code, not any 410, and it
    // is carried out only on a coordinator's signed removal (`wiping`).
    if response.status == 410 && code == "revoked" {
        let proof = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| unhex(v["proof"].as_str()?))
            .unwrap_or_default();
        return Err(SyncError::RemovalNotice(proof));
    }
    // Shown to people: printable ASCII only, short.
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect();
    Err(SyncError::Server {
        status: response.status,
        code,
    })
}

/// Marks what the server holds after it took or gave a bundle with this header: per
/// device, only as far as the server's holdings are known to run without a gap. A
/// header names one range per device; only when the ranges hold exactly as many ops
/// as the bundle carries is every range known to be full (a bundle exported across a
/// gap in its sender's holdings marks nothing, and is sent again later: doubles, never
/// a loss).
fn extend_marks(held: &Summary, header: &bundle::BundleHeader) -> Summary {
    let mut marks: BTreeMap<DeviceId, u64> = held.marks.clone();
    let spanned: u64 = header
        .ranges
        .iter()
        .map(|r| r.last.saturating_sub(r.first).saturating_add(1))
        .sum();
    if spanned != u64::from(header.op_count) {
        return Summary { marks };
    }
    let mut ranges: Vec<&OpRange> = header.ranges.iter().collect();
    ranges.sort_by_key(|r| (r.device, r.first));
    for r in ranges {
        let mark = marks.entry(r.device).or_insert(0);
        if r.first <= mark.saturating_add(1) {
            *mark = (*mark).max(r.last);
        }
    }
    Summary { marks }
}

/// One frame of a pull answer: `seq ‖ length ‖ bundle`, and what follows it.
fn frame(bytes: &[u8]) -> Option<(u64, &[u8], &[u8])> {
    let seq = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let len = u32::from_be_bytes(bytes.get(8..12)?.try_into().ok()?) as usize;
    let end = 12usize.checked_add(len)?;
    Some((seq, bytes.get(12..end)?, bytes.get(end..)?))
}

impl Vault {
    fn signer(&self) -> Result<Signer_, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let team = team::load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)?;
            let server = team.server.ok_or(SyncError::NoServer)?;
            Ok(Signer_ {
                device: u.device,
                key: device_key(u.store.conn(), &u.sealer)?,
                server,
            })
        })
    }

    /// Pins each voucher (an invite's one-time key) to the first device seen vouched
    /// by it, `device id (16) ‖ Ed25519 key (32)` (to none when first seen for two
    /// devices at once); returns the pins, `voucher (32) ‖ device (48)` each.
    fn pin_vouchers(
        &self,
        vouchers: &[Option<([u8; 32], [u8; 48])>],
    ) -> Result<Vec<u8>, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            let mut pins = Store::meta(conn, VOUCHER_PINS)?.unwrap_or_default();
            let before = pins.len();
            for (voucher, device) in vouchers.iter().flatten() {
                if !pins.chunks_exact(PIN_LEN).any(|p| p[..32] == voucher[..]) {
                    let twice = vouchers
                        .iter()
                        .flatten()
                        .any(|(v, other)| v == voucher && other != device);
                    pins.extend_from_slice(voucher);
                    pins.extend_from_slice(if twice { &BURNED } else { device });
                }
            }
            // Written only when a voucher is new (one statement, so all or nothing).
            if pins.len() != before {
                Store::set_meta(conn, VOUCHER_PINS, &pins)?;
            }
            Ok(pins)
        })
    }

    /// This device's key-exchange key and its membership proof (none for a vault that
    /// joined before proofs existed).
    fn membership(&self) -> Result<([u8; 32], Option<Vec<u8>>), SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            Ok((
                rotation::kx_public(u)?,
                authority::load_membership(u.store.conn(), &u.sealer)?,
            ))
        })
    }

    /// This device's public key for the server (hex), made on first use.
    pub fn device_public_key(&self) -> Result<String, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            Ok(hex(device_key(u.store.conn(), &u.sealer)?
                .verifying_key()
                .as_bytes()))
        })
    }

    /// Registers this vault's team and this (coordinator's) device with the team's
    /// server, with the server operator's token.
    pub fn register_team(
        &self,
        transport: &dyn Transport,
        operator_token: &str,
    ) -> Result<(), SyncError> {
        let team = self.team()?.ok_or(SyncError::NoTeam)?;
        if team.role != Role::Coordinator {
            return Err(SyncError::NotCoordinator("register the team with a server"));
        }
        let signer = self.signer()?;
        let (kx_public, membership) = self.membership()?;
        let body = json!({
            "team": hex(team.id.as_bytes()),
            "device": hex(signer.device.as_bytes()),
            "public_key": hex(signer.key.verifying_key().as_bytes()),
            "kx_public": hex(&kx_public),
            "epoch": team.epoch,
            "membership": membership.as_deref().map(hex),
        });
        let request = HttpRequest {
            method: "POST".into(),
            url: format!("{}/v1/teams", signer.server.trim_end_matches('/')),
            headers: vec![
                (
                    "authorization".into(),
                    format!("Bearer {}", operator_token.trim()),
                ),
                ("content-type".into(), "application/json".into()),
            ],
            body: body.to_string().into_bytes(),
        };
        answer(transport.send(request)?)?;
        Ok(())
    }

    /// Lets the server enroll the device that opens `invite` (its token, derived from
    /// the invite's secret, is registered by hash with the invite's role and expiry).
    pub fn offer_invite(
        &self,
        invite: &NewInvite,
        transport: &dyn Transport,
    ) -> Result<(), SyncError> {
        let token = invite.enrollment_token().ok_or(SyncError::NoServer)?;
        let body = json!({
            "token_hash": hex(&token_hash(&token)),
            "role": invite.role.name(),
            "expires_ms": invite.expires_ms,
        });
        let sent = self.signer()?.send(
            transport,
            "POST",
            "/v1/enrollments",
            body.to_string().into_bytes(),
        );
        self.wiping(sent).map(|_| ())
    }

    /// Enrolls this device with the team's server, with the token of the invite it
    /// joined by. Returns the role the server gave it.
    pub fn enroll(&self, transport: &dyn Transport) -> Result<Role, SyncError> {
        let team = self.team()?.ok_or(SyncError::NoTeam)?;
        let token = self
            .with_unlocked(SyncError::Locked, |u| team::enrollment_token(u))?
            .ok_or(SyncError::InvalidInput(
                "this vault joined without a server invite",
            ))?;
        let signer = self.signer()?;
        let (kx_public, membership) = self.membership()?;
        let body = json!({
            "team": hex(team.id.as_bytes()),
            "token": token.as_str(),
            // Its invite's vouching for its keys, which coordinators check before they
            // seal it a new team key.
            "membership": membership.as_deref().map(hex),
            "public_key": hex(signer.key.verifying_key().as_bytes()),
            "kx_public": hex(&kx_public),
            // The newest key its invite carried: the server then knows which later
            // ones a coordinator still owes this device.
            "epoch": team.epoch,
        });
        let response = signer.send(
            transport,
            "POST",
            "/v1/enroll",
            body.to_string().into_bytes(),
        )?;
        let role = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v["role"].as_str().and_then(Role::parse))
            .ok_or(SyncError::Server {
                status: response.status,
                code: "unreadable answer".into(),
            })?;
        Ok(role)
    }

    /// The team's devices as the server knows them (coordinator only).
    pub fn server_devices(
        &self,
        transport: &dyn Transport,
    ) -> Result<Vec<ServerDevice>, SyncError> {
        let sent = self
            .signer()?
            .send(transport, "GET", "/v1/devices", Vec::new());
        let response = self.wiping(sent)?;
        let unreadable = || SyncError::Server {
            status: response.status,
            code: "unreadable answer".into(),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&response.body).map_err(|_| unreadable())?;
        let list = json["devices"].as_array().ok_or_else(unreadable)?;
        let (team, root, me, my_key, waiting) = self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
            let key = device_key(conn, &u.sealer)?.verifying_key().to_bytes();
            let waiting = waits_for_confirmation(conn, &u.sealer)?;
            Ok((
                team.id,
                authority::load(conn, &u.sealer)?,
                u.device,
                key,
                waiting,
            ))
        })?;
        let public_key = |d: &serde_json::Value| -> Option<[u8; 32]> {
            unhex(d["public_key"].as_str()?)?.try_into().ok()
        };
        // Who vouched for each device, when its proof verifies.
        let vouched: Vec<Option<authority::Vouched>> = list
            .iter()
            .map(|d| {
                let device = d["device"].as_str()?.parse().ok()?;
                let role = Role::parse(d["role"].as_str()?)?;
                let key = public_key(d)?;
                let kx: [u8; 32] = unhex(d["kx_public"].as_str()?)?.try_into().ok()?;
                let membership = unhex(d["membership"].as_str()?)?;
                let root = root.as_ref()?;
                authority::verified_member(team, root, device, role, (&key, &kx), &membership)
            })
            .collect();
        // A coordinator's confirmation of each device's key, when it verifies.
        let confirmations: Vec<Option<authority::Authority>> = list
            .iter()
            .map(|d| {
                let confirmation = unhex(d["confirmation"].as_str()?)?;
                authority::confirms(team, root.as_ref()?, &public_key(d)?, &confirmation)
            })
            .collect();
        // This device's own confirmation, when it waits for one (a confirmation of its
        // own key: the server may list another): from now on it signs.
        for (d, confirmation) in list.iter().zip(&confirmations).filter(|_| waiting) {
            if let (Some(chain), Some(true)) = (
                confirmation,
                d["device"].as_str().map(|id| id.parse() == Ok(me)),
            ) && chain.verified_end(team) == Some(my_key)
            {
                self.take_confirmation(chain)?;
            }
        }
        // Each verified device's voucher, with the device's id and Ed25519 key.
        let vouchers: Vec<Option<([u8; 32], [u8; 48])>> = list
            .iter()
            .zip(&vouched)
            .map(|(d, v)| {
                let device: DeviceId = d["device"].as_str()?.parse().ok()?;
                let mut pinned = [0; 48];
                pinned[..16].copy_from_slice(device.as_bytes());
                pinned[16..].copy_from_slice(&public_key(d)?);
                Some((v.as_ref()?.voucher, pinned))
            })
            .collect();
        // An invite key vouches for one device, for good: the first device seen with
        // it is pinned in this vault. Another device with the same one (listed now or
        // later, even with the first hidden) means someone kept an invite's key, and
        // it is not trusted, nor are two listed at once.
        let pins = self.pin_vouchers(&vouchers)?;
        let verified = |i: usize| {
            vouchers[i].is_some_and(|(v, device)| {
                vouchers.iter().flatten().filter(|(w, _)| *w == v).count() == 1
                    && pins
                        .chunks_exact(PIN_LEN)
                        .any(|p| p[..32] == v && p[32..] == device[..] && device != BURNED)
            })
        };
        list.iter()
            .enumerate()
            .map(|(i, d)| {
                Some(ServerDevice {
                    verified: verified(i),
                    public_key: public_key(d)?,
                    awaiting_confirmation: vouched[i].is_some_and(|v| v.needs_confirmation)
                        && confirmations[i].is_none(),
                    device: d["device"].as_str()?.parse().ok()?,
                    role: Role::parse(d["role"].as_str()?)?,
                    enrolled_ms: d["enrolled_ms"].as_u64()?,
                    revoked_ms: d["revoked_ms"].as_u64(),
                    kx_public: match d["kx_public"].as_str() {
                        Some(k) => Some(unhex(k)?.try_into().ok()?),
                        None => None,
                    },
                    lacks: match d["lacks"].as_array() {
                        Some(list) => list
                            .iter()
                            .map(|e| u32::try_from(e.as_u64()?).ok())
                            .collect::<Option<_>>()?,
                        None => Vec::new(),
                    },
                    enrolled_by: match d["enrolled_by"].as_str() {
                        Some(c) => Some(c.parse().ok()?),
                        None => None,
                    },
                })
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(unreadable)
    }

    /// Removes a device from the team on the server (coordinator only): its next
    /// request gets the wipe instruction. Then the team moves to a new key epoch that
    /// the removed device never sees: the new key is sealed to every remaining
    /// enrolled device and left with the server, and this vault's next ops use it.
    /// Returns the new epoch. When the new key could not be delivered (the network
    /// failed after the removal), the error says so and the next `sync_online` of this
    /// vault delivers it; until then the others cannot read this vault's new ops.
    ///
    /// The removal is signed with this coordinator's key under its chain from the
    /// team's root: the removed phone wipes itself only on such a removal.
    pub fn revoke_device(
        &self,
        device: DeviceId,
        transport: &dyn Transport,
    ) -> Result<u32, SyncError> {
        if self.team()?.ok_or(SyncError::NoTeam)?.role != Role::Coordinator {
            return Err(SyncError::NotCoordinator("remove devices"));
        }
        let signer = self.signer()?;
        // Signed, so the removed phone wipes itself on this removal and no other (and a
        // coordinator that cannot sign yet stops here, before anything changes).
        let proof = self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
            let (key, held) = coordinator_key(conn, &u.sealer, team.id)?;
            Ok(authority::sign_removal(team.id, device, &key, &held))
        })?;
        // A rotation not delivered yet goes first: each grant needs the epoch before it.
        // No top-up now: the device being removed may be one that lacks a key.
        self.wiping(self.deliver_grants(&signer, transport, false))?;
        self.add_id(ROTATION_OWED, device)?;
        let path = format!("/v1/devices/{}/revoke", hex(device.as_bytes()));
        let body = json!({ "proof": hex(&proof) }).to_string().into_bytes();
        let sent = signer.send(transport, "POST", &path, body);
        self.wiping(sent)?;
        self.rotate_team_key(&[device])?;
        self.wiping(self.deliver_grants(&signer, transport, true))?;
        Ok(self.team()?.ok_or(SyncError::NoTeam)?.epoch)
    }

    /// Adds a device id to a meta list of ids, once (one read and write of the vault,
    /// so a concurrent change of the list is not lost).
    fn add_id(&self, key: &str, device: DeviceId) -> Result<(), SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let tx = u.store.write()?;
            let ids = Store::meta(&tx, key)?.unwrap_or_default();
            Store::set_meta(&tx, key, &with_id(ids, device))?;
            tx.commit().map_err(crate::store::StoreError::from)?;
            Ok(())
        })
    }

    /// Starts a new key epoch with a fresh random key (coordinator), marked for
    /// delivery to the other devices. `removed` are the devices the server just
    /// revoked: recorded as never to be sent a key, in the same write.
    fn rotate_team_key(&self, removed: &[DeviceId]) -> Result<u32, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let (team, _) = team::current(u)?;
            if team.role != Role::Coordinator {
                return Err(SyncError::NotCoordinator("rotate the team key"));
            }
            let held = Store::team_key_epochs(u.store.conn())?;
            let epoch = held
                .iter()
                .copied()
                .max()
                .unwrap_or(team.epoch)
                .max(team.epoch)
                .checked_add(1)
                .ok_or(SyncError::Inconsistent("no key epoch left"))?;
            let key = crypto::SecretKey::make_random()?;
            let tx = u.store.write()?;
            let team = team::add_epoch(&tx, &u.sealer, epoch, &key)?;
            if Store::meta(&tx, GRANTS_PENDING)?.is_none() {
                Store::set_meta(&tx, GRANTS_PENDING, &epoch.to_be_bytes())?;
            }
            let gone = removed.iter().fold(
                Store::meta(&tx, REVOKED_HERE)?.unwrap_or_default(),
                |ids, device| with_id(ids, *device),
            );
            let owed = without_ids(
                &Store::meta(&tx, ROTATION_OWED)?.unwrap_or_default(),
                |id| removed.iter().any(|d| d.as_bytes()[..] == id[..]),
            );
            Store::set_meta(&tx, REVOKED_HERE, &gone)?;
            Store::set_meta(&tx, ROTATION_OWED, &owed)?;
            tx.commit().map_err(crate::store::StoreError::from)?;
            u.epoch = team.epoch;
            Ok(epoch)
        })
    }

    /// Settles removals this vault asked for whose rotation did not happen (the answer
    /// was lost, or the app stopped before rotating): those the server lists as
    /// revoked get their rotation now; the others were not removed.
    fn settle_owed_rotation(&self, devices: &[ServerDevice]) -> Result<(), SyncError> {
        let owed = self.meta(ROTATION_OWED)?.unwrap_or_default();
        if owed.is_empty() {
            return Ok(());
        }
        let examined: Vec<&ServerDevice> =
            devices.iter().filter(|d| lists(&owed, d.device)).collect();
        let revoked: Vec<DeviceId> = examined
            .iter()
            .filter(|d| d.revoked_ms.is_some())
            .map(|d| d.device)
            .collect();
        // Those revoked leave the list with their rotation (one write).
        if !revoked.is_empty() {
            self.rotate_team_key(&revoked)?;
        }
        // Those the server lists as not revoked were not removed (the request failed;
        // the person saw the error). Only the ids examined here leave the list: one a
        // removal on another thread adds meanwhile stays.
        self.with_unlocked(SyncError::Locked, |u| {
            let tx = u.store.write()?;
            let kept = without_ids(
                &Store::meta(&tx, ROTATION_OWED)?.unwrap_or_default(),
                |id| examined.iter().any(|d| d.device.as_bytes()[..] == id[..]),
            );
            Store::set_meta(&tx, ROTATION_OWED, &kept)?;
            tx.commit().map_err(crate::store::StoreError::from)?;
            Ok(())
        })
    }

    /// Checks the key-exchange keys the server lists against those it listed before,
    /// and remembers the new ones. A changed key means the server tries to read the
    /// next team key: [`SyncError::KeyChanged`], and nothing is sent.
    fn pin_kx_keys(&self, devices: &[ServerDevice]) -> Result<(), SyncError> {
        let mut pins = self.meta(KX_PINS)?.unwrap_or_default();
        let before = pins.len();
        for d in devices {
            let Some(kx) = d.kx_public else { continue };
            match pins.chunks(48).find(|p| p[..16] == d.device.as_bytes()[..]) {
                Some(pin) if pin[16..] != kx[..] => return Err(SyncError::KeyChanged),
                Some(_) => {}
                None => {
                    pins.extend_from_slice(d.device.as_bytes());
                    pins.extend_from_slice(&kx);
                }
            }
        }
        if pins.len() != before {
            self.set_meta(KX_PINS, &pins)?;
        }
        Ok(())
    }

    /// The team's devices as the server lists them, their key-exchange keys checked
    /// against the pinned ones.
    fn pinned_devices(&self, transport: &dyn Transport) -> Result<Vec<ServerDevice>, SyncError> {
        let devices = self.server_devices(transport)?;
        self.pin_kx_keys(&devices)?;
        Ok(devices)
    }

    /// The devices a new key of this team may be sealed to, with their key-exchange
    /// keys: enrolled, not revoked (on the server's word, and never one this vault
    /// removed), verified (an invite of this team vouched for its keys), not this
    /// device.
    fn recipients<'a>(
        &self,
        devices: &'a [ServerDevice],
    ) -> Result<Vec<(&'a ServerDevice, [u8; 32])>, SyncError> {
        let removed = self.meta(REVOKED_HERE)?.unwrap_or_default();
        let me = self.with_unlocked(SyncError::Locked, |u| Ok(u.device))?;
        Ok(devices
            .iter()
            .filter(|d| d.revoked_ms.is_none() && d.device != me && d.verified)
            .filter(|d| !lists(&removed, d.device))
            .filter_map(|d| Some((d, d.kx_public?)))
            .collect())
    }

    /// `epoch`'s key sealed to each recipient, as the grants endpoint takes them;
    /// `None` when this vault lacks that key or the one before.
    fn seal_grants(
        &self,
        epoch: u32,
        recipients: &[(DeviceId, [u8; 32])],
    ) -> Result<Option<Vec<serde_json::Value>>, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
            let (Some(key), Some(previous)) = (
                team::key(conn, &u.sealer, epoch)?,
                team::key(conn, &u.sealer, epoch - 1)?,
            ) else {
                return Ok(None);
            };
            if recipients.is_empty() {
                return Ok(Some(Vec::new()));
            }
            // Signed with this device's key, under its chain from the team's root, with
            // the devices this vault knows were removed.
            let (signing, held) = coordinator_key(conn, &u.sealer, team.id)?;
            let removed = Store::meta(conn, REVOKED_HERE)?.unwrap_or_default();
            let mut grants = Vec::with_capacity(recipients.len());
            for (device, kx) in recipients {
                match rotation::seal_grant(team.id, *device, kx, epoch, &key, &previous) {
                    Ok(sealed) => grants.push(json!({
                        "device": hex(device.as_bytes()),
                        "sealed": hex(&authority::sign_grant(
                            team.id, *device, epoch, &sealed, &signing, &held, &removed,
                        )),
                    })),
                    // An unusable key-exchange key (the server refuses them, so only
                    // a lying server lists one): it must not block the others' key.
                    Err(SyncError::InvalidInput(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(Some(grants))
        })
    }

    /// A coordinator's key delivery, at every round and around a removal:
    ///
    /// 1. a removal whose rotation is owed rotates now;
    /// 2. each epoch this vault started and has not delivered is sealed to every other
    ///    enrolled, unrevoked device and left with the server. When another
    ///    coordinator started the same epoch first (`epoch_taken`: two removals at
    ///    once), this vault takes that coordinator's key for the epoch (nothing was
    ///    sealed under its own yet: delivery comes before any push) and rotates once
    ///    more, since the other rotation may still include the device this one
    ///    removed. The team never holds two keys for one epoch. When a device enrolled
    ///    meanwhile (`grants_incomplete`), the devices are listed again;
    /// 3. devices that joined with an invite made before an epoch started get that
    ///    epoch's key (and each one between).
    ///
    /// At a round (`top_up`) it first confirms the coordinators waiting for it. Returns
    /// how many it confirmed; `None` when this coordinator waits for its own
    /// confirmation (it then signs, and so delivers, nothing).
    fn deliver_grants(
        &self,
        signer: &Signer_,
        transport: &dyn Transport,
        top_up: bool,
    ) -> Result<Option<u32>, SyncError> {
        if self.team()?.ok_or(SyncError::NoTeam)?.role != Role::Coordinator {
            return Ok(Some(0));
        }
        let mut devices = self.pinned_devices(transport)?;
        // The listing brought this device's confirmation if it has one by now; without
        // one it may sign nothing, so it has nothing to deliver.
        if self.awaiting_confirmation()? {
            return Ok(None);
        }
        // Confirmations only at a round: a removal's own delivery must not confirm the
        // coordinator being removed.
        let confirmed = if top_up {
            self.confirm_coordinators(signer, transport, &devices)?
        } else {
            0
        };
        self.settle_owed_rotation(&devices)?;
        if let Some(mut epoch) = self.grants_pending()? {
            let mut listed_again = 0;
            loop {
                let current = self.team()?.ok_or(SyncError::NoTeam)?.epoch;
                if epoch > current {
                    break;
                }
                if epoch < 2 {
                    epoch = 2;
                    continue;
                }
                let recipients: Vec<_> = self
                    .recipients(&devices)?
                    .into_iter()
                    .map(|(d, kx)| (d.device, kx))
                    .collect();
                let grants = self
                    .seal_grants(epoch, &recipients)?
                    .ok_or(SyncError::UnknownEpoch(epoch))?;
                match self.post_grants(signer, transport, epoch, grants, false) {
                    Ok(()) => {}
                    Err(SyncError::Server { status: 409, code }) if code == "epoch_taken" => {
                        self.adopt_epoch(signer, transport, epoch)?;
                        if epoch == current {
                            self.rotate_team_key(&[])?;
                        }
                    }
                    Err(SyncError::Server { status: 409, code })
                        if code == "grants_incomplete" && listed_again < 3 =>
                    {
                        listed_again += 1;
                        devices = self.pinned_devices(transport)?;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
                epoch += 1;
                self.set_meta(GRANTS_PENDING, &epoch.to_be_bytes())?;
            }
            // Forgotten only if no rotation happened meanwhile (a removal from another
            // thread): that one's epoch is still to deliver.
            self.with_unlocked(SyncError::Locked, |u| {
                let conn = u.store.conn();
                let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
                let pending = Store::meta(conn, GRANTS_PENDING)?
                    .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
                    .map(u32::from_be_bytes);
                if pending.is_some_and(|p| p > team.epoch) {
                    Store::delete_meta(conn, GRANTS_PENDING)?;
                }
                Ok(())
            })?;
            devices = self.pinned_devices(transport)?;
        }
        if top_up {
            self.top_up_grants(signer, transport, &devices)?;
        }
        Ok(Some(confirmed))
    }

    /// See [`waits_for_confirmation`].
    fn awaiting_confirmation(&self) -> Result<bool, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            waits_for_confirmation(u.store.conn(), &u.sealer)
        })
    }

    /// Keeps `chain` (another coordinator's confirmation of this device's key, checked
    /// by the caller) as this vault's authority, unless it already signs for the team.
    fn take_confirmation(&self, chain: &authority::Authority) -> Result<(), SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            if waits_for_confirmation(conn, &u.sealer)? {
                authority::save(conn, &u.sealer, chain)?;
            }
            Ok(())
        })
    }

    /// Confirms the coordinators that joined with a coordinator invite and wait for a
    /// confirmation: verified (an invite of this team vouched for exactly their keys,
    /// and for no other device), not removed. Each gets this vault's chain extended
    /// to its key, left with the server. Returns how many.
    fn confirm_coordinators(
        &self,
        signer: &Signer_,
        transport: &dyn Transport,
        devices: &[ServerDevice],
    ) -> Result<u32, SyncError> {
        let removed = self.meta(REVOKED_HERE)?.unwrap_or_default();
        let owed = self.meta(ROTATION_OWED)?.unwrap_or_default();
        let waiting: Vec<&ServerDevice> = devices
            .iter()
            .filter(|d| d.awaiting_confirmation && d.verified && d.revoked_ms.is_none())
            .filter(|d| d.device != signer.device && !lists(&removed, d.device))
            .filter(|d| !lists(&owed, d.device))
            .collect();
        if waiting.is_empty() {
            return Ok(0);
        }
        let proofs = self.with_unlocked(SyncError::Locked, |u| {
            let conn = u.store.conn();
            let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
            let (key, held) = coordinator_key(conn, &u.sealer, team.id)?;
            // Too far from the root to confirm: a coordinator closer to it will.
            if !held.can_extend() {
                return Ok(Vec::new());
            }
            Ok(waiting
                .iter()
                .map(|d| {
                    (
                        d.device,
                        held.extended(team.id, &key, d.public_key).to_bytes(),
                    )
                })
                .collect())
        })?;
        let mut confirmed = 0;
        for (device, proof) in proofs {
            let path = format!("/v1/devices/{}/confirm", hex(device.as_bytes()));
            let body = json!({ "proof": hex(&proof) }).to_string().into_bytes();
            match signer.send(transport, "POST", &path, body) {
                Ok(_) => confirmed += 1,
                // Refused (removed meanwhile, say): the next round tries again, and the
                // keys still go out now.
                Err(SyncError::Server { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(confirmed)
    }

    /// Delivers the epochs the server says devices lack (they joined with an invite
    /// made before those epochs started), each under the one before, oldest first.
    fn top_up_grants(
        &self,
        signer: &Signer_,
        transport: &dyn Transport,
        devices: &[ServerDevice],
    ) -> Result<(), SyncError> {
        let current = self.team()?.ok_or(SyncError::NoTeam)?.epoch;
        let mut owed: BTreeMap<u32, Vec<(DeviceId, [u8; 32])>> = BTreeMap::new();
        for (device, kx) in self.recipients(devices)? {
            for epoch in device.lacks.iter().filter(|e| (2..=current).contains(*e)) {
                owed.entry(*epoch).or_default().push((device.device, kx));
            }
        }
        for (epoch, recipients) in owed {
            // An epoch this vault does not hold: another coordinator delivers it.
            let Some(grants) = self.seal_grants(epoch, &recipients)? else {
                continue;
            };
            match self.post_grants(signer, transport, epoch, grants, true) {
                Ok(()) | Err(SyncError::Server { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn post_grants(
        &self,
        signer: &Signer_,
        transport: &dyn Transport,
        epoch: u32,
        grants: Vec<serde_json::Value>,
        top_up: bool,
    ) -> Result<(), SyncError> {
        let body = json!({ "epoch": epoch, "grants": grants, "top_up": top_up });
        signer.send(
            transport,
            "POST",
            "/v1/grants",
            body.to_string().into_bytes(),
        )?;
        Ok(())
    }

    fn grants_pending(&self) -> Result<Option<u32>, SyncError> {
        Ok(self
            .meta(GRANTS_PENDING)?
            .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
            .map(u32::from_be_bytes))
    }

    /// Replaces this vault's key of `epoch` with the one another coordinator delivered
    /// for it (sealed to this device).
    fn adopt_epoch(
        &self,
        signer: &Signer_,
        transport: &dyn Transport,
        epoch: u32,
    ) -> Result<(), SyncError> {
        let taken = || SyncError::Server {
            status: 409,
            code: "epoch_taken".into(),
        };
        let grants = self.grants_after(signer, transport, epoch - 1)?;
        let sealed = grants
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, g)| g)
            .ok_or_else(taken)?;
        self.with_unlocked(SyncError::Locked, |u| {
            let secret = rotation::kx_secret(u)?;
            let conn = u.store.conn();
            let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
            let previous =
                team::key(conn, &u.sealer, epoch - 1)?.ok_or(SyncError::UnknownEpoch(epoch - 1))?;
            let key = open_signed_grant(u, team.id, &secret, epoch, &previous, sealed)?
                .ok_or_else(taken)?;
            let tx = u.store.write()?;
            team::add_epoch(&tx, &u.sealer, epoch, &key)?;
            tx.commit().map_err(crate::store::StoreError::from)?;
            Ok(())
        })
    }

    /// The grants the server holds for this device above `after`, by epoch.
    fn grants_after(
        &self,
        signer: &Signer_,
        transport: &dyn Transport,
        after: u32,
    ) -> Result<Vec<(u32, Vec<u8>)>, SyncError> {
        let pq = format!("/v1/grants?after={after}");
        let response = signer.send(transport, "GET", &pq, Vec::new())?;
        let unreadable = || SyncError::Server {
            status: response.status,
            code: "unreadable answer".into(),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&response.body).map_err(|_| unreadable())?;
        let mut grants = json["grants"]
            .as_array()
            .ok_or_else(unreadable)?
            .iter()
            .map(|g| {
                let epoch = u32::try_from(g["epoch"].as_u64()?).ok()?;
                Some((epoch, unhex(g["sealed"].as_str()?)?))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(unreadable)?;
        grants.sort_by_key(|(epoch, _)| *epoch);
        Ok(grants)
    }

    /// Installs the new team keys the server holds for this device (after a
    /// coordinator removed another device), oldest first; returns how many. A grant
    /// that does not open (forged, damaged) is ignored.
    fn fetch_grants(&self, signer: &Signer_, transport: &dyn Transport) -> Result<u32, SyncError> {
        let current = self.team()?.ok_or(SyncError::NoTeam)?.epoch;
        let grants = self.grants_after(signer, transport, current)?;
        self.with_unlocked(SyncError::Locked, |u| {
            let secret = rotation::kx_secret(u)?;
            let mut installed = 0;
            for (epoch, sealed) in &grants {
                let conn = u.store.conn();
                let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
                if *epoch <= team.epoch {
                    continue;
                }
                let Some(previous) = team::key(conn, &u.sealer, epoch - 1)? else {
                    break;
                };
                let Some(key) = open_signed_grant(u, team.id, &secret, *epoch, &previous, sealed)?
                else {
                    continue;
                };
                let tx = u.store.write()?;
                let team = team::add_epoch(&tx, &u.sealer, *epoch, &key)?;
                tx.commit().map_err(crate::store::StoreError::from)?;
                u.epoch = team.epoch;
                installed += 1;
            }
            Ok(installed)
        })
    }

    /// One sync round with the team's server: push, then pull until caught up. Safe to
    /// stop at any point (a cut, `cancelled`, the app killed): the next round resumes.
    /// A device the server revoked is wiped, and the error is [`SyncError::Revoked`].
    pub fn sync_online(
        &self,
        transport: &dyn Transport,
        progress: &mut dyn FnMut(SyncPhase, u64),
        cancelled: &dyn Fn() -> bool,
    ) -> Result<SyncRound, SyncError> {
        self.wiping(self.sync_round(transport, progress, cancelled))
    }

    /// Wipes this vault when the server said it was revoked, whatever was asked, if a
    /// coordinator of the team signed the removal (a vault that joined before
    /// coordinators' chains existed knows no root, and takes the server's word).
    fn wiping<T>(&self, result: Result<T, SyncError>) -> Result<T, SyncError> {
        match result {
            Err(SyncError::RemovalNotice(proof)) => {
                let signed = self.with_unlocked(SyncError::Locked, |u| {
                    let conn = u.store.conn();
                    let team = team::load(conn, &u.sealer)?.ok_or(SyncError::NoTeam)?;
                    Ok(match authority::load(conn, &u.sealer)? {
                        Some(root) => authority::verified_removal(team.id, &root, u.device, &proof),
                        None => true,
                    })
                })?;
                if !signed {
                    return Err(SyncError::UnprovenRemoval);
                }
                self.wipe_now().map_err(|_| {
                    SyncError::InvalidInput("removed from the team, but the wipe failed")
                })?;
                Err(SyncError::Revoked)
            }
            other => other,
        }
    }

    fn sync_round(
        &self,
        transport: &dyn Transport,
        progress: &mut dyn FnMut(SyncPhase, u64),
        cancelled: &dyn Fn() -> bool,
    ) -> Result<SyncRound, SyncError> {
        let signer = self.signer()?;
        let peer = signer.server.clone();
        // Team keys first: deliver a rotation this vault made, take one made elsewhere
        // (so this round's bundles are sealed under, and can be read with, the newest).
        let confirmed = self.deliver_grants(&signer, transport, true)?;
        let mut round = SyncRound {
            confirmed: confirmed.unwrap_or(0),
            awaiting_confirmation: confirmed.is_none(),
            new_keys: self.fetch_grants(&signer, transport)?,
            ..SyncRound::default()
        };
        let check = || {
            if cancelled() {
                Err(SyncError::Cancelled)
            } else {
                Ok(())
            }
        };

        // A bundle left from a cut round goes first, under its own batch number.
        let (cursor_key, outbox_key) = (
            per_server("server_cursor", &peer),
            per_server("server_outbox", &peer),
        );
        if let Some(saved) = self.meta(&outbox_key)? {
            check()?;
            self.push_saved(&signer, transport, &peer, &outbox_key, saved)?;
            round.pushed += 1;
            progress(SyncPhase::Pushing, round.pushed);
        }
        let theirs = self.delivered(&peer)?;
        self.export_bundles(Some(&theirs), PUSH_BUDGET, |header, bytes| {
            check()?;
            let mut saved = header.batch.to_be_bytes().to_vec();
            saved.extend_from_slice(&bytes);
            self.set_meta(&outbox_key, &saved)?;
            self.push_saved(&signer, transport, &peer, &outbox_key, saved)?;
            round.pushed += 1;
            progress(SyncPhase::Pushing, round.pushed);
            Ok(())
        })?;

        let mut cursor = self
            .meta(&cursor_key)?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map_or(0, u64::from_be_bytes);
        loop {
            check()?;
            let pq = format!("/v1/bundles?after={cursor}&max_bytes={PULL_BUDGET}");
            let response = signer.send(transport, "GET", &pq, Vec::new())?;
            let more = response.header("x-safekeep-more") == Some("1");
            let mut rest = response.body.as_slice();
            while !rest.is_empty() {
                let (seq, bytes, after) = frame(rest).ok_or_else(|| SyncError::Server {
                    status: response.status,
                    code: "malformed pull answer".into(),
                })?;
                rest = after;
                match self.import_bundle(bytes) {
                    Ok(report) => {
                        round.report.absorb(report);
                        round.pulled += 1;
                        if let Ok(header) = bundle::read_header(bytes) {
                            let held = extend_marks(&self.delivered(&peer)?, &header);
                            self.mark_delivered(&peer, &held)?;
                        }
                    }
                    // A key epoch this vault does not have yet: stop here, keep the
                    // cursor, so the bundle is pulled again once the key has come.
                    // Altered, unreadable or another team's: it can never apply here
                    // or anywhere; skipped and counted.
                    Err(
                        SyncError::Unauthentic
                        | SyncError::MalformedBundle(_)
                        | SyncError::OtherTeam,
                    ) => round.refused += 1,
                    // A key epoch not here yet: the round ends here, cursor kept, and
                    // the bundle is pulled again once the key has come.
                    Err(SyncError::UnknownEpoch(epoch)) => {
                        round.waiting_for_key = Some(epoch);
                        return Ok(round);
                    }
                    // Anything else (a newer format, a full disk) may pass later: stop
                    // without moving the cursor.
                    Err(e) => return Err(e),
                }
                cursor = seq;
                self.set_meta(&cursor_key, &cursor.to_be_bytes())?;
                progress(SyncPhase::Pulling, round.pulled);
            }
            if !more {
                break;
            }
        }
        Ok(round)
    }

    /// Pushes a saved outbox entry (`batch ‖ bundle`) and, once the server has it,
    /// marks its ops delivered and clears the outbox.
    fn push_saved(
        &self,
        signer: &Signer_,
        transport: &dyn Transport,
        peer: &str,
        outbox_key: &str,
        saved: Vec<u8>,
    ) -> Result<(), SyncError> {
        let (batch, bytes) = saved
            .split_at_checked(8)
            .ok_or(SyncError::Inconsistent("the saved outbox is cut short"))?;
        let batch = u64::from_be_bytes(
            batch
                .try_into()
                .map_err(|_| SyncError::Inconsistent("the saved outbox is cut short"))?,
        );
        let header = bundle::read_header(bytes)?;
        let pq = format!("/v1/bundles?batch={batch}");
        let response = signer.send(transport, "POST", &pq, bytes.to_vec())?;
        // Only the server's own acknowledgement counts (a proxy or captive portal
        // answering 200 must not make the ops count as delivered).
        let acknowledged = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .is_some_and(|v| v["seq"].as_u64().is_some());
        if !acknowledged {
            return Err(SyncError::Server {
                status: response.status,
                code: "no acknowledgement".into(),
            });
        }
        let held = extend_marks(&self.delivered(peer)?, &header);
        self.mark_delivered(peer, &held)?;
        self.delete_meta(outbox_key)?;
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, SyncError> {
        self.with_unlocked(SyncError::Locked, |u| Ok(Store::meta(u.store.conn(), key)?))
    }

    fn set_meta(&self, key: &str, value: &[u8]) -> Result<(), SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            Ok(Store::set_meta(u.store.conn(), key, value)?)
        })
    }

    fn delete_meta(&self, key: &str) -> Result<(), SyncError> {
        self.with_unlocked(SyncError::Locked, |u| {
            Ok(Store::delete_meta(u.store.conn(), key)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Passphrase, VaultOptions};

    fn vault(dir: &std::path::Path) -> Vault {
        let options = VaultOptions::default().insecure_fast_kdf_for_tests();
        Vault::create(dir, &Passphrase::new("kiln seven, gate two"), options)
            .expect("vault")
            .0
    }

    fn join(coordinator: &Vault, member: &Vault, role: Role) {
        let invite = coordinator
            .create_invite(role, team::DEFAULT_INVITE_VALIDITY)
            .expect("invite");
        member
            .join_team(&invite.invite, &invite.secret)
            .expect("join");
    }

    /// `by` confirms coordinator `whom`, as its round does through the server.
    fn confirm(by: &Vault, whom: &Vault) {
        let key = whom
            .device_public_key()
            .ok()
            .and_then(|k| unhex(&k))
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .expect("key");
        let chain = by
            .with_unlocked(SyncError::Locked, |u| {
                let team = team::load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)?;
                let (signing, held) = coordinator_key(u.store.conn(), &u.sealer, team.id)?;
                Ok(held.extended(team.id, &signing, key))
            })
            .expect("chain");
        whom.take_confirmation(&chain).expect("taken");
    }

    /// Device id and key-exchange key of a member.
    fn card(member: &Vault) -> (DeviceId, [u8; 32]) {
        member
            .with_unlocked(SyncError::Locked, |u| {
                Ok((u.device, rotation::kx_public(u)?))
            })
            .expect("card")
    }

    fn epoch_key(member: &Vault, epoch: u32) -> crypto::SecretKey {
        member
            .with_unlocked(SyncError::Locked, |u| {
                team::key(u.store.conn(), &u.sealer, epoch)?.ok_or(SyncError::UnknownEpoch(epoch))
            })
            .expect("key")
    }

    /// What `member` makes of a grant of `epoch` (the key it would install).
    fn opened(member: &Vault, epoch: u32, grant: &[u8]) -> Option<crypto::SecretKey> {
        member
            .with_unlocked(SyncError::Locked, |u| {
                let secret = rotation::kx_secret(u)?;
                let team = team::load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)?;
                let previous = team::key(u.store.conn(), &u.sealer, epoch - 1)?
                    .ok_or(SyncError::UnknownEpoch(epoch - 1))?;
                open_signed_grant(u, team.id, &secret, epoch, &previous, grant)
            })
            .expect("open")
    }

    fn sealed_for(coordinator: &Vault, epoch: u32, to: (DeviceId, [u8; 32])) -> Vec<u8> {
        let grants = coordinator
            .seal_grants(epoch, &[to])
            .expect("seal")
            .expect("keys held");
        unhex(grants[0]["sealed"].as_str().expect("hex")).expect("hex")
    }

    /// A removed field phone knows the team key its removal retires, and whoever holds
    /// it may also control the server. It can seal a new key to a member under the old
    /// one, but it cannot sign the grant as a coordinator: the member refuses it, while
    /// the grants of the team's creator and of a coordinator the creator invited open.
    #[test]
    fn a_removed_phone_cannot_slip_the_team_a_key() {
        let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().expect("dir")).collect();
        let (creator, deputy, member, removed) = (
            vault(dirs[0].path()),
            vault(dirs[1].path()),
            vault(dirs[2].path()),
            vault(dirs[3].path()),
        );
        creator.create_team("Kiln rescue", None).expect("team");
        join(&creator, &deputy, Role::Coordinator);
        join(&creator, &member, Role::Field);
        // A coordinator invite's device signs nothing until a coordinator confirms it.
        assert!(matches!(
            deputy.create_invite(Role::Field, team::DEFAULT_INVITE_VALIDITY),
            Err(SyncError::AwaitingConfirmation)
        ));
        assert!(deputy.awaiting_confirmation().expect("awaiting"));
        confirm(&creator, &deputy);
        assert!(!deputy.awaiting_confirmation().expect("confirmed"));
        join(&deputy, &removed, Role::Field);
        let removed_id = card(&removed).0;
        assert_eq!(creator.rotate_team_key(&[removed_id]).expect("rotate"), 2);

        // The creator's grant opens, and carries the creator's new key.
        let genuine = sealed_for(&creator, 2, card(&member));
        let key = opened(&member, 2, &genuine).expect("the creator's grant opens");
        assert_eq!(key.expose(), epoch_key(&creator, 2).expose());

        // A coordinator the creator invited signs under its chain: it opens too.
        assert_eq!(deputy.rotate_team_key(&[removed_id]).expect("rotate"), 2);
        let deputy_grant = sealed_for(&deputy, 2, card(&member));
        assert!(opened(&member, 2, &deputy_grant).is_some());

        // The removed phone seals its own key under the epoch-1 key it holds.
        let (team_id, forged_key) = removed
            .with_unlocked(SyncError::Locked, |u| {
                Ok((
                    team::load(u.store.conn(), &u.sealer)?
                        .ok_or(SyncError::NoTeam)?
                        .id,
                    crypto::SecretKey::make_random()?,
                ))
            })
            .expect("team");
        let (member_id, member_kx) = card(&member);
        let previous = epoch_key(&removed, 1);
        let sealed =
            rotation::seal_grant(team_id, member_id, &member_kx, 2, &forged_key, &previous)
                .expect("seal");
        // Unsigned, as grants were before: refused.
        assert!(opened(&member, 2, &sealed).is_none());
        // Signed with its own device key, under a chain it starts itself: refused.
        let own_key = removed
            .with_unlocked(SyncError::Locked, |u| device_key(u.store.conn(), &u.sealer))
            .expect("key");
        let own = authority::Authority::root_of(&own_key);
        let forged = authority::sign_grant(team_id, member_id, 2, &sealed, &own_key, &own, &[]);
        assert!(opened(&member, 2, &forged).is_none());
        // Signed with its own key under the team's real root (its invite carried it):
        // the chain does not end at its key, refused.
        let held = removed
            .with_unlocked(SyncError::Locked, |u| {
                authority::load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)
            })
            .expect("authority");
        let forged = authority::sign_grant(team_id, member_id, 2, &sealed, &own_key, &held, &[]);
        assert!(opened(&member, 2, &forged).is_none());

        // A removal the member wipes itself on: signed by a coordinator, for it.
        let removal = |by: &Vault, of: DeviceId| {
            by.with_unlocked(SyncError::Locked, |u| {
                let held = authority::load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)?;
                let key = device_key(u.store.conn(), &u.sealer)?;
                Ok(authority::sign_removal(team_id, of, &key, &held))
            })
            .expect("removal")
        };
        let root = |of: &Vault| {
            of.with_unlocked(SyncError::Locked, |u| {
                authority::load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)
            })
            .expect("root")
        };
        let checks =
            |proof: &[u8]| authority::verified_removal(team_id, &root(&member), member_id, proof);
        assert!(checks(&removal(&creator, member_id)));
        assert!(checks(&removal(&deputy, member_id)));
        assert!(
            !checks(&removal(&creator, removed_id)),
            "another device's removal"
        );
        assert!(
            !checks(&removal(&removed, member_id)),
            "signed by a field phone"
        );
        assert!(!checks(b""), "no proof");
    }

    /// Answers every request with one device list, as a server would, and keeps the
    /// confirmations posted to it (device path, proof).
    #[derive(Default)]
    struct Listing(
        std::sync::Mutex<serde_json::Value>,
        std::sync::Mutex<Vec<(String, Vec<u8>)>>,
    );

    impl Listing {
        fn of(devices: Vec<serde_json::Value>) -> Self {
            Self(
                std::sync::Mutex::new(json!({ "devices": devices })),
                Default::default(),
            )
        }

        fn confirmed(&self) -> Vec<(String, Vec<u8>)> {
            self.1.lock().expect("posted").clone()
        }
    }

    impl Transport for Listing {
        fn send(
            &self,
            request: HttpRequest,
        ) -> Result<HttpResponse, super::super::transport::TransportError> {
            if request.url.ends_with("/confirm") {
                let body: serde_json::Value =
                    serde_json::from_slice(&request.body).expect("confirmation");
                let proof = unhex(body["proof"].as_str().expect("proof")).expect("hex");
                self.1.lock().expect("posted").push((request.url, proof));
            }
            let body = self.0.lock().expect("listing").to_string().into_bytes();
            Ok(HttpResponse {
                status: 200,
                headers: Vec::new(),
                body,
            })
        }
    }

    /// A team's creator whose team names a server (nothing listens there: the tests
    /// answer with a `Listing`).
    fn creator_online(dir: &std::path::Path) -> (Vault, TeamId) {
        let creator = vault(dir);
        let team = creator
            .create_team("Kiln rescue", Some("http://127.0.0.1:9".into()))
            .expect("team");
        (creator, team.id)
    }

    /// An invite's one-time key for `role`, made by `coordinator`, with the chain that
    /// ends at it (what the invite carries).
    fn invite_key(coordinator: &Vault, role: Role) -> (SigningKey, authority::Authority) {
        let once = SigningKey::from_bytes(&crypto::make_random::<32>().expect("random"));
        let link = coordinator
            .with_unlocked(SyncError::Locked, |u| {
                let team = team::load(u.store.conn(), &u.sealer)?.ok_or(SyncError::NoTeam)?;
                let (key, held) = coordinator_key(u.store.conn(), &u.sealer, team.id)?;
                Ok(held.extended_for_invite(team.id, &key, once.verifying_key().to_bytes(), role))
            })
            .expect("invite key");
        (once, link)
    }

    /// An invite's one-time key vouches for one device: a second device vouched by
    /// the same key is not trusted, whether both are listed or the first was listed
    /// once and is hidden later, nor is the first device's id listed with another key,
    /// nor either of two devices a key is first seen with; and a device listed under
    /// another role than its invite gave it is not trusted either.
    #[test]
    fn one_invite_key_vouches_for_one_device_in_one_role() {
        let dir = tempfile::tempdir().expect("dir");
        let (creator, team_id) = creator_online(dir.path());
        // A member invite's one-time key, and whoever kept it vouching for two devices.
        let invite_key = || invite_key(&creator, Role::Field);
        let entry_for = |(once, link): &(SigningKey, authority::Authority),
                         role: &str,
                         id: DeviceId| {
            let (key, kx) = (
                crypto::make_random::<32>().expect("key"),
                crypto::make_random::<32>().expect("kx"),
            );
            let proof = authority::vouch_member(team_id, id, Role::Field, (&key, &kx), once, link);
            json!({"device": id.to_string(), "role": role, "enrolled_ms": 1,
                "revoked_ms": null, "kx_public": hex(&kx), "public_key": hex(&key),
                "lacks": [], "enrolled_by": null, "membership": hex(&proof)})
        };
        let entry = |voucher: &(SigningKey, authority::Authority), role: &str| {
            entry_for(voucher, role, DeviceId::make_random().expect("id"))
        };
        let kept = invite_key();
        let (first, second) = (entry(&kept, "field"), entry(&kept, "field"));
        let list = |devices: Vec<serde_json::Value>| {
            creator
                .server_devices(&Listing::of(devices))
                .expect("list")
                .iter()
                .map(|d| d.verified)
                .collect::<Vec<_>>()
        };
        assert_eq!(list(vec![first.clone()]), [true], "vouched");
        assert_eq!(list(vec![first.clone(), second.clone()]), [false, false]);
        assert_eq!(list(vec![second]), [false], "the first is pinned");
        assert_eq!(list(vec![first.clone()]), [true]);
        // The same id with another Ed25519 key, vouched by the same kept key: the pin
        // holds the key too.
        let first_id = first["device"].as_str().expect("id").parse().expect("id");
        let swapped = entry_for(&kept, "field", first_id);
        assert_eq!(
            list(vec![swapped]),
            [false],
            "another key for the pinned id"
        );
        // A voucher first seen for two devices at once is trusted for neither, then or
        // later, whichever the server lists alone.
        let shared = invite_key();
        let (one, two) = (entry(&shared, "field"), entry(&shared, "field"));
        assert_eq!(list(vec![one.clone(), two.clone()]), [false, false]);
        assert_eq!(list(vec![one]), [false]);
        assert_eq!(list(vec![two]), [false]);
        // Its invite made it a field worker: listed as a coordinator, it is refused.
        let other = invite_key();
        assert_eq!(list(vec![entry(&other, "coordinator")]), [false]);
        assert_eq!(list(vec![entry(&invite_key(), "field")]), [true]);
    }

    /// Whoever kept a coordinator invite holds its one-time key. With a server that
    /// lists what it likes, it still gets no key of its own confirmed: not under the
    /// id of the device the invite brought in, not by the removal of a device waiting
    /// for its confirmation, and the waiting device takes only a confirmation of its
    /// own key.
    #[test]
    fn a_kept_coordinator_invite_gets_no_other_key_confirmed() {
        let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().expect("dir")).collect();
        let ((creator, team_id), deputy) = (creator_online(dirs[0].path()), vault(dirs[1].path()));
        let (chain, root_key) = creator
            .with_unlocked(SyncError::Locked, |u| {
                coordinator_key(u.store.conn(), &u.sealer, team_id).map(|(k, held)| (held, k))
            })
            .expect("creator");
        let coordinator_invite = || invite_key(&creator, Role::Coordinator);
        let entry = |(once, link): &(SigningKey, authority::Authority),
                     id: DeviceId,
                     key: [u8; 32]| {
            let kx = [5; 32];
            let proof =
                authority::vouch_member(team_id, id, Role::Coordinator, (&key, &kx), once, link);
            json!({"device": id.to_string(), "role": "coordinator", "enrolled_ms": 1,
                "revoked_ms": null, "kx_public": hex(&kx), "public_key": hex(&key),
                "lacks": [], "enrolled_by": null, "membership": hex(&proof)})
        };
        let signer = creator.signer().expect("signer");
        let round = |listing: &Listing| creator.deliver_grants(&signer, listing, true);

        // The invite brings in a device: listed unconfirmed, confirmed once.
        let kept = coordinator_invite();
        let (id, key) = (DeviceId::make_random().expect("id"), [7; 32]);
        let genuine = Listing::of(vec![entry(&kept, id, key)]);
        let shown = creator.server_devices(&genuine).expect("list");
        assert!(shown[0].verified && shown[0].awaiting_confirmation);
        assert_eq!(round(&genuine).expect("round"), Some(1));
        let posted = genuine.confirmed();
        assert!(posted[0].0.ends_with(&format!("/v1/devices/{id}/confirm")));
        let root = authority::Authority::root_of(&root_key);
        assert!(authority::confirms(team_id, &root, &key, &posted[0].1).is_some());
        // The kept key vouches for the same id with a key of its choosing: unverified,
        // never confirmed.
        let stolen = Listing::of(vec![entry(&kept, id, [8; 32])]);
        assert!(!creator.server_devices(&stolen).expect("list")[0].verified);
        assert_eq!(round(&stolen).expect("round"), Some(0));
        assert!(stolen.confirmed().is_empty());

        // A device still waiting is removed: the removal confirms nothing.
        let waiting = coordinator_invite();
        let gone = DeviceId::make_random().expect("id");
        let listing = Listing::of(vec![entry(&waiting, gone, [9; 32])]);
        creator.revoke_device(gone, &listing).expect("removed");
        assert!(listing.confirmed().is_empty(), "{:?}", listing.confirmed());
        assert_eq!(round(&listing).expect("round"), Some(0));
        assert!(listing.confirmed().is_empty());

        // A deputy takes a confirmation of its own key only.
        join(&creator, &deputy, Role::Coordinator);
        let (deputy_id, deputy_key) = (
            deputy
                .with_unlocked(SyncError::Locked, |u| Ok(u.device))
                .expect("id"),
            <[u8; 32]>::try_from(unhex(&deputy.device_public_key().expect("key")).expect("hex"))
                .expect("key"),
        );
        let other_key = SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes();
        let listed = |key: [u8; 32]| {
            let confirmation = chain.extended(team_id, &root_key, key);
            let mut device = entry(&coordinator_invite(), deputy_id, key);
            device["confirmation"] = hex(&confirmation.to_bytes()).into();
            Listing::of(vec![device])
        };
        deputy.server_devices(&listed(other_key)).expect("list");
        assert!(deputy.awaiting_confirmation().expect("still waiting"));
        deputy.server_devices(&listed(deputy_key)).expect("list");
        assert!(!deputy.awaiting_confirmation().expect("confirmed"));
    }
}
