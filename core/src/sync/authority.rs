//! Who may hand a team a new key: its coordinators, each proved by a chain of
//! signatures that starts at the team's *root key* (the Ed25519 device key of the
//! coordinator who created the team). Every member learns the root from its invite,
//! so neither the server nor a removed phone can name a coordinator of its own.
//!
//! - A link is `subject public key (32) ‖ kind (1) ‖ signature (64)`: the previous key
//!   (the root for the first link) signs `"safekeep coordinator v1" ‖ team id ‖ kind ‖
//!   subject`. Kind 4: the subject is a coordinator's device key; kind 3: a coordinator
//!   invite's one-time key, which may vouch for one coordinator's membership; kind 2: a
//!   member invite's one-time key, which may vouch for one member's. Only kind-4 links
//!   extend a chain. (Kind 1, of the first chains, let an invite's one-time key extend
//!   one: whoever kept a used or expired coordinator invite could name coordinators for
//!   good. It is refused now.)
//! - Every invite carries its issuer's chain, one more link to a one-time key made for
//!   the invite (kind 3 for a coordinator invite, 2 otherwise), and that key's secret.
//!   The joining device signs its *membership* with it (below), then drops it; members
//!   keep the team's root alone. A new coordinator can sign nothing for the team until
//!   another coordinator *confirms* it: that coordinator's next round finds its
//!   membership verified, extends its own chain with a kind-4 link to the new key and
//!   leaves the chain with the server, and the new coordinator takes it at its next
//!   round. Only device keys, which a removal can name, ever sign a link.
//! - A membership is `authority ‖ signature (64)`: the key the chain ends at signs
//!   `"safekeep member v1" ‖ team id ‖ device id ‖ role ‖ Ed25519 key ‖ X25519 key`
//!   (the role as its name's length and name). Each
//!   device gives it to the server at enrollment, the server lists it, and a
//!   coordinator seals a new team key only to a device whose membership verifies from
//!   the team's root: a server cannot list a device of its own making to receive it.
//! - A grant (see `rotation`) travels signed: `0x02 ‖ authority ‖ removed ‖ signature
//!   (64) ‖ sealed grant`, where `authority` is `root (32) ‖ link count (1) ‖ links`
//!   and `removed` is `count (2) ‖ device ids (16 each)`, the devices the signer knows
//!   were removed; the key the chain ends at signs `"safekeep signed grant v1" ‖ team
//!   id ‖ recipient device ‖ epoch ‖ 0x02 ‖ authority ‖ removed ‖ sealed grant`. A
//!   device opens a grant only if the chain starts at its team's root and ends at the
//!   grant's signer; a coordinator that opens one adds its removed devices to its own
//!   never-seal list, so no coordinator hands a later key to a device another one
//!   removed, whatever the server lists.
//!
//! So a removed phone that knows the previous epoch's key, together with a server
//! that relays what it likes, can no longer slip the team a key: it holds no
//! coordinator's key. A coordinator phone seized *before* its removal still can; the
//! removal does not reach the members' chains (see docs/server-protocol.md).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rusqlite::Connection;

use super::SyncError;
use super::team::Role;
use crate::crypto::{Place, Sealer};
use crate::ids::{DeviceId, TeamId};
use crate::store::Store;

/// Meta key of this vault's authority (sealed): the team's root key and, for a
/// coordinator, the chain from it to this device's key.
const AUTHORITY: &str = "team_authority";
const LINK_CONTEXT: &[u8] = b"safekeep coordinator v1";
const MEMBER_CONTEXT: &[u8] = b"safekeep member v1";
/// A link's subject is a member invite's one-time key: it vouches for a member only.
const MEMBER: u8 = 2;
/// A link's subject is a coordinator invite's one-time key: it vouches for one
/// coordinator's membership, and extends no chain.
const COORDINATOR_INVITE: u8 = 3;
/// A link's subject is a confirmed coordinator's device key.
const COORDINATOR: u8 = 4;
const GRANT_CONTEXT: &[u8] = b"safekeep signed grant v1";
const REMOVAL_CONTEXT: &[u8] = b"safekeep removal v1";
const SIGNED_GRANT: u8 = 0x02;
const LINK_LEN: usize = 32 + 1 + 64;
/// Most links in a chain: each generation of coordinators adds one (its confirmation),
/// and a membership one more (its invite's one-time key).
const MAX_LINKS: usize = 32;

/// One signature in a chain: the previous key vouches for `subject`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Link {
    subject: [u8; 32],
    kind: u8,
    signature: [u8; 64],
}

/// The team's root key and a chain of links from it (empty for the root itself, and
/// for members who only check chains).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Authority {
    root: [u8; 32],
    chain: Vec<Link>,
}

fn link_text(team: TeamId, kind: u8, subject: &[u8; 32]) -> Vec<u8> {
    let mut text = LINK_CONTEXT.to_vec();
    text.extend_from_slice(team.as_bytes());
    text.push(kind);
    text.extend_from_slice(subject);
    text
}

fn member_text(
    team: TeamId,
    device: DeviceId,
    role: Role,
    key: &[u8; 32],
    kx: &[u8; 32],
) -> Vec<u8> {
    let mut text = MEMBER_CONTEXT.to_vec();
    text.extend_from_slice(team.as_bytes());
    text.extend_from_slice(device.as_bytes());
    // The role's name, length first: the server cannot list a member in another role.
    text.push(role.name().len() as u8);
    text.extend_from_slice(role.name().as_bytes());
    text.extend_from_slice(key);
    text.extend_from_slice(kx);
    text
}

/// The kind of link to an invite's one-time key for `role`.
fn invite_kind(role: Role) -> u8 {
    if role == Role::Coordinator {
        COORDINATOR_INVITE
    } else {
        MEMBER
    }
}

fn verifying(key: &[u8; 32]) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(key).ok()
}

impl Authority {
    /// The authority of a team's creator: its own key is the root.
    pub(crate) fn root_of(key: &SigningKey) -> Self {
        Self {
            root: key.verifying_key().to_bytes(),
            chain: Vec::new(),
        }
    }

    /// The root alone, as members other than coordinators hold it.
    pub(crate) fn root_only(&self) -> Self {
        Self {
            root: self.root,
            chain: Vec::new(),
        }
    }

    /// Whether this is the root alone, without a chain.
    pub(crate) fn is_root_only(&self) -> bool {
        self.chain.is_empty()
    }

    /// Whether `other` names the same team root.
    pub(crate) fn same_root(&self, other: &Authority) -> bool {
        self.root == other.root
    }

    /// This chain with one more link: `signer` (the key the chain ends at) confirms
    /// `subject` as a coordinator's device key.
    pub(crate) fn extended(&self, team: TeamId, signer: &SigningKey, subject: [u8; 32]) -> Self {
        self.link(team, signer, subject, COORDINATOR)
    }

    /// This chain with one more link to the one-time key `subject` of an invite for
    /// `role`, which may vouch for one device in that role and extends no chain.
    pub(crate) fn extended_for_invite(
        &self,
        team: TeamId,
        signer: &SigningKey,
        subject: [u8; 32],
        role: Role,
    ) -> Self {
        self.link(team, signer, subject, invite_kind(role))
    }

    fn link(&self, team: TeamId, signer: &SigningKey, subject: [u8; 32], kind: u8) -> Self {
        let mut out = self.clone();
        out.chain.push(Link {
            subject,
            kind,
            signature: signer.sign(&link_text(team, kind, &subject)).to_bytes(),
        });
        out
    }

    /// The coordinator key the chain ends at, when every link is a valid kind-4
    /// signature of the key before it for `team`.
    pub(crate) fn verified_end(&self, team: TeamId) -> Option<[u8; 32]> {
        self.verified(team, None)
    }

    /// The key the chain ends at (the root for an empty chain), when every link
    /// verifies and is of kind 4, the last one possibly of `last_kind` instead.
    fn verified(&self, team: TeamId, last_kind: Option<u8>) -> Option<[u8; 32]> {
        let mut key = self.root;
        for (i, link) in self.chain.iter().enumerate() {
            let last = i + 1 == self.chain.len();
            if link.kind != COORDINATOR && !(last && last_kind == Some(link.kind)) {
                return None;
            }
            verifying(&key)?
                .verify_strict(
                    &link_text(team, link.kind, &link.subject),
                    &Signature::from_bytes(&link.signature),
                )
                .ok()?;
            key = link.subject;
        }
        Some(key)
    }

    /// `root ‖ link count ‖ links`.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.root.to_vec();
        out.push(self.chain.len() as u8);
        for link in &self.chain {
            out.extend_from_slice(&link.subject);
            out.push(link.kind);
            out.extend_from_slice(&link.signature);
        }
        out
    }

    /// Reads [`Authority::to_bytes`] at the start of `bytes`; returns it and the rest.
    pub(crate) fn read(bytes: &[u8]) -> Option<(Self, &[u8])> {
        let root: [u8; 32] = bytes.get(..32)?.try_into().ok()?;
        let count = usize::from(*bytes.get(32)?);
        if count > MAX_LINKS {
            return None;
        }
        let links = bytes.get(33..33 + count * LINK_LEN)?;
        let chain = links
            .chunks_exact(LINK_LEN)
            .map(|l| {
                Some(Link {
                    subject: l[..32].try_into().ok()?,
                    kind: l[32],
                    signature: l[33..].try_into().ok()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some((Self { root, chain }, &bytes[33 + count * LINK_LEN..]))
    }

    /// Whether another link still fits.
    pub(crate) fn can_extend(&self) -> bool {
        self.chain.len() + 2 <= MAX_LINKS
    }
}

fn place() -> Place<'static> {
    Place {
        table: "meta",
        row: AUTHORITY.as_bytes(),
    }
}

/// This vault's authority (`None` for a vault that joined before chains existed).
pub(crate) fn load(conn: &Connection, sealer: &Sealer) -> Result<Option<Authority>, SyncError> {
    let Some(sealed) = Store::meta(conn, AUTHORITY)? else {
        return Ok(None);
    };
    let plain = sealer.open(place(), &sealed)?;
    match Authority::read(&plain) {
        Some((authority, [])) => Ok(Some(authority)),
        _ => Err(SyncError::Inconsistent("the team authority is malformed")),
    }
}

/// Records this vault's authority.
pub(crate) fn save(
    conn: &Connection,
    sealer: &Sealer,
    authority: &Authority,
) -> Result<(), SyncError> {
    Store::set_meta(
        conn,
        AUTHORITY,
        &sealer.seal(place(), &authority.to_bytes())?,
    )?;
    Ok(())
}

/// A device's membership: `voucher` (the one-time key of its invite, or the root for
/// the team's creator), at the end of `chain`, vouches for the device's id, Ed25519
/// key and X25519 key.
pub(crate) fn vouch_member(
    team: TeamId,
    device: DeviceId,
    role: Role,
    (key, kx): (&[u8; 32], &[u8; 32]),
    voucher: &SigningKey,
    chain: &Authority,
) -> Vec<u8> {
    let mut out = chain.to_bytes();
    out.extend_from_slice(
        &voucher
            .sign(&member_text(team, device, role, key, kx))
            .to_bytes(),
    );
    out
}

/// Who vouched for a listed device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Vouched {
    /// The key that signed its membership: its invite's one-time key (the root for the
    /// team's creator).
    pub voucher: [u8; 32],
    /// It joined with a coordinator invite: it signs for the team only once another
    /// coordinator has confirmed its key.
    pub needs_confirmation: bool,
}

/// Who vouched for a listed device, when the device's membership verifies from `root`
/// for exactly this id, role and these keys: a coordinator only by a coordinator
/// invite (or the root), anyone else only by a member invite (or a coordinator).
pub(crate) fn verified_member(
    team: TeamId,
    root: &Authority,
    device: DeviceId,
    role: Role,
    (key, kx): (&[u8; 32], &[u8; 32]),
    membership: &[u8],
) -> Option<Vouched> {
    let (chain, rest) = Authority::read(membership)?;
    if !chain.same_root(root) {
        return None;
    }
    let signature: [u8; 64] = rest.try_into().ok()?;
    let voucher = chain.verified(team, Some(invite_kind(role)))?;
    verifying(&voucher)?
        .verify_strict(
            &member_text(team, device, role, key, kx),
            &Signature::from_bytes(&signature),
        )
        .ok()?;
    Some(Vouched {
        voucher,
        needs_confirmation: chain
            .chain
            .last()
            .is_some_and(|l| l.kind == COORDINATOR_INVITE),
    })
}

/// Whether `confirmation` (another coordinator's chain from `root`, see
/// [`Authority::extended`]) confirms `key` as a coordinator's key of `team`.
pub(crate) fn confirms(
    team: TeamId,
    root: &Authority,
    key: &[u8; 32],
    confirmation: &[u8],
) -> Option<Authority> {
    match Authority::read(confirmation) {
        Some((chain, [])) if chain.same_root(root) && chain.verified_end(team) == Some(*key) => {
            Some(chain)
        }
        _ => None,
    }
}

/// Meta key of this device's membership (sealed), sent to the server at enrollment.
const MEMBERSHIP: &str = "team_membership";

fn membership_place() -> Place<'static> {
    Place {
        table: "meta",
        row: MEMBERSHIP.as_bytes(),
    }
}

/// This device's membership (`None` for a vault that joined before memberships).
pub(crate) fn load_membership(
    conn: &Connection,
    sealer: &Sealer,
) -> Result<Option<Vec<u8>>, SyncError> {
    match Store::meta(conn, MEMBERSHIP)? {
        Some(sealed) => Ok(Some(sealer.open(membership_place(), &sealed)?.to_vec())),
        None => Ok(None),
    }
}

/// Records this device's membership.
pub(crate) fn save_membership(
    conn: &Connection,
    sealer: &Sealer,
    membership: &[u8],
) -> Result<(), SyncError> {
    Store::set_meta(
        conn,
        MEMBERSHIP,
        &sealer.seal(membership_place(), membership)?,
    )?;
    Ok(())
}

fn removal_text(team: TeamId, device: DeviceId) -> Vec<u8> {
    let mut text = REMOVAL_CONTEXT.to_vec();
    text.extend_from_slice(team.as_bytes());
    text.extend_from_slice(device.as_bytes());
    text
}

/// A coordinator's signed removal of `device`: `authority ‖ signature (64)` by `key`,
/// the key `authority`'s chain ends at. The server hands it to the removed device with
/// the wipe instruction.
pub(crate) fn sign_removal(
    team: TeamId,
    device: DeviceId,
    key: &SigningKey,
    authority: &Authority,
) -> Vec<u8> {
    let mut out = authority.to_bytes();
    out.extend_from_slice(&key.sign(&removal_text(team, device)).to_bytes());
    out
}

/// Whether `proof` is a removal of `device` signed by a coordinator whose chain starts
/// at `root`: only then does a device wipe itself.
pub(crate) fn verified_removal(
    team: TeamId,
    root: &Authority,
    device: DeviceId,
    proof: &[u8],
) -> bool {
    let Some((chain, rest)) = Authority::read(proof) else {
        return false;
    };
    let (Ok(signature), true) = (<[u8; 64]>::try_from(rest), chain.same_root(root)) else {
        return false;
    };
    chain
        .verified_end(team)
        .and_then(|signer| verifying(&signer))
        .is_some_and(|signer| {
            signer
                .verify_strict(
                    &removal_text(team, device),
                    &Signature::from_bytes(&signature),
                )
                .is_ok()
        })
}

fn grant_text(
    team: TeamId,
    recipient: DeviceId,
    epoch: u32,
    head: &[u8],
    sealed: &[u8],
) -> Vec<u8> {
    let mut text = GRANT_CONTEXT.to_vec();
    text.extend_from_slice(team.as_bytes());
    text.extend_from_slice(recipient.as_bytes());
    text.extend_from_slice(&epoch.to_be_bytes());
    text.extend_from_slice(head);
    text.extend_from_slice(sealed);
    text
}

/// Most removed devices a grant names.
const MAX_REMOVED: usize = 4096;

/// Signs a sealed grant of `epoch` for `recipient` with `key`, the key `authority`'s
/// chain ends at (this coordinator's device key). `removed` are the devices the signer
/// knows were removed from the team (16-byte ids, concatenated): every coordinator
/// that takes the key learns them, and seals no later key to them whatever the
/// server lists.
pub(crate) fn sign_grant(
    team: TeamId,
    recipient: DeviceId,
    epoch: u32,
    sealed: &[u8],
    key: &SigningKey,
    authority: &Authority,
    removed: &[u8],
) -> Vec<u8> {
    let removed = &removed[..removed.len().min(MAX_REMOVED * 16) / 16 * 16];
    let mut head = vec![SIGNED_GRANT];
    head.extend(authority.to_bytes());
    head.extend_from_slice(&((removed.len() / 16) as u16).to_be_bytes());
    head.extend_from_slice(removed);
    let signature = key.sign(&grant_text(team, recipient, epoch, &head, sealed));
    let mut out = head;
    out.extend_from_slice(&signature.to_bytes());
    out.extend_from_slice(sealed);
    out
}

/// What a signed grant holds, once its signature checks.
pub(crate) struct SignedGrant<'a> {
    /// The chain it was signed under (the caller checks its root).
    pub authority: Authority,
    /// The devices its signer knew were removed (16-byte ids, concatenated).
    pub removed: &'a [u8],
    /// The sealed grant.
    pub sealed: &'a [u8],
}

/// The contents of a signed grant, when the signature is valid and made by the key
/// the chain ends at. The caller still checks that the chain starts at its team's root.
pub(crate) fn verify_grant(
    team: TeamId,
    recipient: DeviceId,
    epoch: u32,
    signed: &[u8],
) -> Option<SignedGrant<'_>> {
    let (&version, rest) = signed.split_first()?;
    if version != SIGNED_GRANT {
        return None;
    }
    let (authority, rest) = Authority::read(rest)?;
    let count = usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
    if count > MAX_REMOVED {
        return None;
    }
    let removed = rest.get(2..2 + count * 16)?;
    let rest = &rest[2 + count * 16..];
    let head = &signed[..signed.len() - rest.len()];
    let signature: [u8; 64] = rest.get(..64)?.try_into().ok()?;
    let sealed = &rest[64..];
    let signer = authority.verified_end(team)?;
    verifying(&signer)?
        .verify_strict(
            &grant_text(team, recipient, epoch, head, sealed),
            &Signature::from_bytes(&signature),
        )
        .ok()?;
    Some(SignedGrant {
        authority,
        removed,
        sealed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&crate::crypto::make_random::<32>().unwrap())
    }

    /// A coordinator two generations from the root signs a grant that verifies; the
    /// same grant with a changed byte, for another device or epoch, or signed by a key
    /// outside the chain (a removed field phone's) does not.
    #[test]
    fn only_a_chain_from_the_root_signs_grants() {
        let team = TeamId::make_random().unwrap();
        let (root, first, deputy, outsider) = (key(), key(), key(), key());
        let authority = Authority::root_of(&root)
            .extended(team, &root, first.verifying_key().to_bytes())
            .extended(team, &first, deputy.verifying_key().to_bytes());
        assert_eq!(
            authority.verified_end(team),
            Some(deputy.verifying_key().to_bytes())
        );
        assert_eq!(
            authority.verified_end(TeamId::make_random().unwrap()),
            None,
            "links are bound to their team"
        );
        let device = DeviceId::make_random().unwrap();
        let sealed = b"sealed grant bytes".to_vec();
        let signed = sign_grant(team, device, 3, &sealed, &deputy, &authority, &[7; 32]);
        let grant = verify_grant(team, device, 3, &signed).expect("verifies");
        assert!(grant.authority.same_root(&Authority::root_of(&root)));
        assert_eq!(grant.sealed, &sealed[..]);
        assert_eq!(grant.removed, &[7; 32][..], "two removed devices");

        assert!(
            verify_grant(team, device, 4, &signed).is_none(),
            "another epoch"
        );
        let other = DeviceId::make_random().unwrap();
        assert!(
            verify_grant(team, other, 3, &signed).is_none(),
            "another device"
        );
        for i in [
            0,
            5,
            40,
            signed.len() - 92,
            signed.len() - 70,
            signed.len() - 1,
        ] {
            let mut tampered = signed.clone();
            tampered[i] ^= 1;
            assert!(
                verify_grant(team, device, 3, &tampered).is_none(),
                "byte {i}"
            );
        }
        // The outsider signs with the deputy's chain: not the chain's end.
        let forged = sign_grant(team, device, 3, &sealed, &outsider, &authority, &[]);
        assert!(verify_grant(team, device, 3, &forged).is_none());
        // The outsider makes a chain of its own: it verifies, but from another root.
        let own = Authority::root_of(&outsider);
        let forged = sign_grant(team, device, 3, &sealed, &outsider, &own, &[]);
        let grant = verify_grant(team, device, 3, &forged).expect("self-made");
        assert!(!grant.authority.same_root(&authority));
        // An unsigned grant (the old form) is refused.
        assert!(verify_grant(team, device, 3, &sealed).is_none());
    }

    /// A coordinator invite's one-time key vouches for one coordinator's membership,
    /// which waits for a confirmation; it cannot name a coordinator itself, even to
    /// whoever kept the invite after it was used.
    #[test]
    fn a_coordinator_invite_key_extends_no_chain() {
        let team = TeamId::make_random().unwrap();
        let (root, once, member_once, newcomer, thief) = (key(), key(), key(), key(), key());
        let pk = |k: &SigningKey| k.verifying_key().to_bytes();
        let held = Authority::root_of(&root);
        let invite = held.extended_for_invite(team, &root, pk(&once), Role::Coordinator);
        let member_invite = held.extended_for_invite(team, &root, pk(&member_once), Role::Field);
        let device = DeviceId::make_random().unwrap();
        let kx = [9; 32];
        let vouched = |role: Role, voucher: &SigningKey, chain: &Authority| {
            let proof = vouch_member(team, device, role, (&pk(&newcomer), &kx), voucher, chain);
            verified_member(team, &held, device, role, (&pk(&newcomer), &kx), &proof)
        };
        assert_eq!(
            vouched(Role::Coordinator, &once, &invite),
            Some(Vouched {
                voucher: pk(&once),
                needs_confirmation: true
            })
        );
        assert_eq!(
            vouched(Role::Field, &member_once, &member_invite),
            Some(Vouched {
                voucher: pk(&member_once),
                needs_confirmation: false
            })
        );
        assert_eq!(
            vouched(Role::Field, &once, &invite),
            None,
            "a coordinator invite vouches for coordinators only"
        );
        assert_eq!(
            vouched(Role::Coordinator, &member_once, &member_invite),
            None,
            "a member invite vouches for no coordinator"
        );
        // The invite's key extends its chain to a key of its choosing: not a
        // coordinator, so its grants and removals are refused.
        for subject in [pk(&newcomer), pk(&thief)] {
            let stolen = invite.extended(team, &once, subject);
            assert_eq!(stolen.verified_end(team), None);
            let grant = sign_grant(team, device, 2, b"sealed", &thief, &stolen, &[]);
            assert!(verify_grant(team, device, 2, &grant).is_none());
            let removal = sign_removal(team, device, &thief, &stolen);
            assert!(!verified_removal(team, &held, device, &removal));
        }
        // The root's confirmation of the newcomer's key makes it a coordinator.
        let confirmation = held.extended(team, &root, pk(&newcomer)).to_bytes();
        let chain = confirms(team, &held, &pk(&newcomer), &confirmation).expect("confirmed");
        assert_eq!(chain.verified_end(team), Some(pk(&newcomer)));
        assert!(confirms(team, &held, &pk(&thief), &confirmation).is_none());
        let other_root = Authority::root_of(&thief);
        assert!(confirms(team, &other_root, &pk(&newcomer), &confirmation).is_none());
        let by_invite = invite.extended(team, &once, pk(&newcomer)).to_bytes();
        assert!(confirms(team, &held, &pk(&newcomer), &by_invite).is_none());
    }

    #[test]
    fn authority_bytes_round_trip_and_refuse_garbage() {
        let team = TeamId::make_random().unwrap();
        let root = key();
        let authority = Authority::root_of(&root).extended(team, &root, [7; 32]);
        let mut bytes = authority.to_bytes();
        bytes.extend_from_slice(b"rest");
        let (read, rest) = Authority::read(&bytes).unwrap();
        assert!(read == authority && rest == b"rest");
        assert!(Authority::read(&bytes[..40]).is_none());
        let mut too_long = bytes.clone();
        too_long[32] = 200;
        assert!(Authority::read(&too_long).is_none());
    }
}
