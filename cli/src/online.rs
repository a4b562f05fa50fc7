//! The command's side of the sync server: registering a team, offering invites and
//! enrolling through it, `safekeep sync`, `devices` and `revoke`.

use std::path::Path;

use safekeep_core::sync::{HttpTransport, NewInvite, SyncError, SyncPhase};
use safekeep_core::{DeviceId, Vault};
use serde_json::json;

use crate::{CliResult, Failure, open};

/// The operator token's variable: registering a team with a server needs it.
pub const SERVER_TOKEN: &str = "SAFEKEEP_SERVER_TOKEN";

/// Registers this vault's team with its server, with the operator token from the
/// environment; without one, says how to do it later.
pub fn register(vault: &Vault, required: bool) -> CliResult {
    match std::env::var(SERVER_TOKEN) {
        Ok(token) if !token.trim().is_empty() => {
            vault.register_team(&HttpTransport::default(), &token)?;
            println!("registered the team and this device with the server");
            Ok(())
        }
        _ if required => Err(Failure::new(format!(
            "set {SERVER_TOKEN} to the server's operator token (printed once by `safekeep serve`)"
        ))),
        _ => {
            println!(
                "to sync through the server, register the team: {SERVER_TOKEN}=... safekeep team register"
            );
            Ok(())
        }
    }
}

/// Lets the server enroll the device that opens `invite`.
pub fn offer(vault: &Vault, invite: &NewInvite) -> CliResult {
    vault.offer_invite(invite, &HttpTransport::default())?;
    Ok(())
}

/// Enrolls this device with the team's server.
pub fn enroll(vault: &Vault) -> CliResult {
    let role = vault.enroll(&HttpTransport::default())?;
    println!("enrolled with the team's server as {}", role.name());
    Ok(())
}

/// `safekeep sync [--server URL]`.
pub fn sync(dir: &Path, server: Option<&str>, json_out: bool) -> CliResult {
    let vault = open(dir)?;
    if let Some(server) = server {
        vault.set_team_server(Some(server.to_owned()))?;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    let result = vault.sync_online(
        &HttpTransport::default(),
        &mut |phase, done| {
            let what = match phase {
                SyncPhase::Pushing => "sent",
                SyncPhase::Pulling => "received",
            };
            bar.set_message(format!("{done} bundle(s) {what}"));
            bar.tick();
        },
        &|| false,
    );
    bar.finish_and_clear();
    let round = match result {
        Err(SyncError::Revoked) => return Err(SyncError::Revoked.into()),
        other => other?,
    };
    if json_out {
        println!(
            "{}",
            json!({
                "pushed": round.pushed,
                "pulled": round.pulled,
                "refused": round.refused,
                "applied": round.report.applied,
                "duplicates": round.report.duplicates,
                "records": round.report.records,
                "conflicted": round.report.conflicted,
                "ahead": round.report.ahead,
                "own_unknown": round.report.own_unknown,
                "new_keys": round.new_keys,
                "waiting_for_key": round.waiting_for_key,
                "awaiting_confirmation": round.awaiting_confirmation,
                "confirmed": round.confirmed,
            })
        );
    } else {
        println!(
            "sent {} bundle(s), received {} ({} change(s) applied, {} record(s) updated, {} with a conflict)",
            round.pushed,
            round.pulled,
            round.report.applied,
            round.report.records,
            round.report.conflicted
        );
        if round.new_keys > 0 {
            println!(
                "received {} new team key(s): a device was removed from the team",
                round.new_keys
            );
        }
        if let Some(epoch) = round.waiting_for_key {
            println!(
                "stopped at changes sealed under team key {epoch}, which this device does not hold yet: they follow once a coordinator has synced"
            );
        }
        if round.confirmed > 0 {
            println!(
                "confirmed {} new coordinator(s): they can now invite, remove devices and hand out keys",
                round.confirmed
            );
        }
        if round.awaiting_confirmation {
            println!(
                "this device joined as a coordinator and waits for another coordinator to confirm it: until then it cannot invite, remove devices or hand out keys (sync again after a coordinator has synced)"
            );
        }
        if round.refused > 0 {
            println!(
                "{} bundle(s) from the server were refused (altered, or not this team's) and skipped",
                round.refused
            );
        }
    }
    vault.close()?;
    Ok(())
}

/// `safekeep devices [--json]`.
pub fn devices(dir: &Path, json_out: bool) -> CliResult {
    let vault = open(dir)?;
    let list = vault.server_devices(&HttpTransport::default())?;
    if json_out {
        let items: Vec<_> = list
            .iter()
            .map(|d| {
                json!({
                    "device": d.device.to_string(),
                    "role": d.role.name(),
                    "enrolled_ms": d.enrolled_ms,
                    "revoked_ms": d.revoked_ms,
                    "enrolled_by": d.enrolled_by.map(|c| c.to_string()),
                    "verified": d.verified,
                    "awaiting_confirmation": d.awaiting_confirmation,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(items));
    } else {
        for d in &list {
            let by = d
                .enrolled_by
                .map(|c| format!("enrolled by {c}"))
                .unwrap_or_default();
            // A device no invite of this team vouched for gets no new team key.
            let state = match (d.revoked_ms, d.verified, d.awaiting_confirmation) {
                (Some(_), _, _) => "revoked",
                (None, false, _) => "UNVERIFIED",
                (None, true, true) => "unconfirmed",
                (None, true, false) => "",
            };
            println!("{}  {:<11}  {state:<11}  {by}", d.device, d.role.name());
        }
    }
    vault.close()?;
    Ok(())
}

/// `safekeep revoke DEVICE`.
pub fn revoke(dir: &Path, device: &str) -> CliResult {
    let device: DeviceId = device
        .trim()
        .parse()
        .map_err(|_| Failure::new("not a device id: expected 32 hexadecimal digits"))?;
    let vault = open(dir)?;
    let epoch = vault.revoke_device(device, &HttpTransport::default())?;
    println!(
        "revoked {device}: its next sync wipes it; the team moved to key epoch {epoch}, \
         delivered to the other enrolled devices at their next sync"
    );
    vault.close()?;
    Ok(())
}
