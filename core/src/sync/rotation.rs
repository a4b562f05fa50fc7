//! Key rotation: when a coordinator removes a device, the team moves to a new key epoch
//! that the removed device never sees. The new key reaches every remaining device as a
//! *grant* relayed by the server: the key sealed to that device's X25519 key.
//!
//! A grant is `ephemeral public key (32) ‖ nonce (24) ‖ XChaCha20-Poly1305(team id ‖
//! epoch ‖ key) ‖ tag (16)`, with associated data binding team, device and epoch. Its
//! key is derived from the X25519 shared secret *and* the previous epoch's key:
//!
//! - the server relays grants but cannot open them (it has no device's secret key), and
//!   cannot forge one (it does not know the previous epoch's key), so it can never slip
//!   the team a key it knows;
//! - the removed device knows the previous key but is refused by the server from the
//!   moment of its removal, so it neither receives grants nor delivers forged ones;
//! - and grants travel signed by a coordinator whose chain starts at the team's root
//!   (`authority`), so even a removed phone in the hands of someone who also controls
//!   the server cannot forge one.

use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::SyncError;
use crate::crypto::{self, Place, SecretKey};
use crate::ids::{DeviceId, TeamId};
use crate::store::Store;
use crate::vault::Unlocked;

/// Meta key of this device's X25519 secret (sealed).
const KX_KEY: &str = "device_kx_key";
const GRANT_AAD: &[u8] = b"safekeep grant v1";
const GRANT_KEY_CONTEXT: &str = "safekeep 2026-11 team key grant";
const PLAIN_LEN: usize = 16 + 4 + 32;

fn kx_place() -> Place<'static> {
    Place {
        table: "meta",
        row: KX_KEY.as_bytes(),
    }
}

/// This device's key-exchange secret, made on first use and sealed in the vault.
pub(crate) fn kx_secret(u: &Unlocked) -> Result<StaticSecret, SyncError> {
    let conn = u.store.conn();
    if let Some(sealed) = Store::meta(conn, KX_KEY)? {
        let opened = u.sealer.open(kx_place(), &sealed)?;
        if opened.len() != 32 {
            return Err(SyncError::Inconsistent("the key-exchange key is malformed"));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&opened);
        return Ok(StaticSecret::from(*bytes));
    }
    let bytes = Zeroizing::new(crypto::make_random::<32>()?);
    Store::set_meta(conn, KX_KEY, &u.sealer.seal(kx_place(), bytes.as_slice())?)?;
    Ok(StaticSecret::from(*bytes))
}

/// This device's key-exchange public key.
pub(crate) fn kx_public(u: &Unlocked) -> Result<[u8; 32], SyncError> {
    Ok(PublicKey::from(&kx_secret(u)?).to_bytes())
}

fn aad(team: TeamId, device: DeviceId, epoch: u32) -> Vec<u8> {
    let mut out = GRANT_AAD.to_vec();
    out.extend_from_slice(team.as_bytes());
    out.extend_from_slice(device.as_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out
}

fn grant_key(
    shared: &[u8; 32],
    ephemeral: &[u8; 32],
    recipient: &[u8; 32],
    previous: &SecretKey,
) -> Option<SecretKey> {
    let mut material = Zeroizing::new(Vec::with_capacity(128));
    material.extend_from_slice(shared);
    material.extend_from_slice(ephemeral);
    material.extend_from_slice(recipient);
    material.extend_from_slice(previous.expose());
    let derived = Zeroizing::new(blake3::derive_key(GRANT_KEY_CONTEXT, &material));
    SecretKey::from_slice(derived.as_slice())
}

/// Seals `key` (of `epoch`) for `device`, whose key-exchange public key is
/// `recipient`, under the authority of `previous` (the key of `epoch - 1`).
pub(crate) fn seal_grant(
    team: TeamId,
    device: DeviceId,
    recipient: &[u8; 32],
    epoch: u32,
    key: &SecretKey,
    previous: &SecretKey,
) -> Result<Vec<u8>, SyncError> {
    let seed = Zeroizing::new(crypto::make_random::<32>()?);
    let ephemeral = StaticSecret::from(*seed);
    let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&PublicKey::from(*recipient));
    if !shared.was_contributory() {
        return Err(SyncError::InvalidInput(
            "a device's key-exchange key is invalid",
        ));
    }
    let sealing = grant_key(shared.as_bytes(), &ephemeral_public, recipient, previous)
        .ok_or(SyncError::Inconsistent("grant key"))?;
    let mut plain = Zeroizing::new(Vec::with_capacity(PLAIN_LEN));
    plain.extend_from_slice(team.as_bytes());
    plain.extend_from_slice(&epoch.to_be_bytes());
    plain.extend_from_slice(key.expose());
    let mut out = ephemeral_public.to_vec();
    out.extend(crypto::seal_detached(
        &sealing,
        &aad(team, device, epoch),
        &plain,
    )?);
    Ok(out)
}

/// Opens a grant made by [`seal_grant`] for this device; `None` when it is not a
/// genuine grant of `team`'s `epoch` for this device under `previous`.
pub(crate) fn open_grant(
    team: TeamId,
    device: DeviceId,
    secret: &StaticSecret,
    epoch: u32,
    previous: &SecretKey,
    grant: &[u8],
) -> Option<SecretKey> {
    let ephemeral: [u8; 32] = grant.get(..32)?.try_into().ok()?;
    let recipient = PublicKey::from(secret).to_bytes();
    let shared = secret.diffie_hellman(&PublicKey::from(ephemeral));
    if !shared.was_contributory() {
        return None;
    }
    let sealing = grant_key(shared.as_bytes(), &ephemeral, &recipient, previous)?;
    let plain = crypto::open_detached(&sealing, &aad(team, device, epoch), &grant[32..]).ok()?;
    if plain.len() != PLAIN_LEN
        || plain[..16] != team.as_bytes()[..]
        || plain[16..20] != epoch.to_be_bytes()
    {
        return None;
    }
    SecretKey::from_slice(&plain[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (TeamId, DeviceId, StaticSecret, SecretKey, SecretKey) {
        (
            TeamId::make_random().unwrap(),
            DeviceId::make_random().unwrap(),
            StaticSecret::from(crypto::make_random::<32>().unwrap()),
            SecretKey::make_random().unwrap(),
            SecretKey::make_random().unwrap(),
        )
    }

    #[test]
    fn a_grant_opens_only_for_its_device_team_epoch_and_previous_key() {
        let (team, device, secret, key, previous) = setup();
        let public = PublicKey::from(&secret).to_bytes();
        let grant = seal_grant(team, device, &public, 2, &key, &previous).unwrap();
        let opened = open_grant(team, device, &secret, 2, &previous, &grant).unwrap();
        assert_eq!(opened.expose(), key.expose());

        let other = StaticSecret::from(crypto::make_random::<32>().unwrap());
        assert!(open_grant(team, device, &other, 2, &previous, &grant).is_none());
        let (other_team, other_device, _, _, wrong_previous) = setup();
        assert!(open_grant(other_team, device, &secret, 2, &previous, &grant).is_none());
        assert!(open_grant(team, other_device, &secret, 2, &previous, &grant).is_none());
        assert!(open_grant(team, device, &secret, 3, &previous, &grant).is_none());
        // Whoever lacks the previous key (the server) can neither open nor forge one.
        assert!(open_grant(team, device, &secret, 2, &wrong_previous, &grant).is_none());
        let forged = seal_grant(team, device, &public, 2, &key, &wrong_previous).unwrap();
        assert!(open_grant(team, device, &secret, 2, &previous, &forged).is_none());
        for i in [0, 40, grant.len() - 1] {
            let mut tampered = grant.clone();
            tampered[i] ^= 1;
            assert!(open_grant(team, device, &secret, 2, &previous, &tampered).is_none());
        }
        assert!(open_grant(team, device, &secret, 2, &previous, &grant[..31]).is_none());
    }
}
