//! `safekeep team create | show | invite | join`: the devices that share records under
//! one team key. The invite is shown as text and as a QR code; its secret is shown
//! apart, to be given another way.

use std::path::Path;
use std::time::Duration;

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use safekeep_core::Vault;
use safekeep_core::sync::{NewInvite, Role, Team};
use serde_json::{Value as Json, json};

use crate::{CliResult, Failure, TeamCommand, files, online, open, secrets};

/// The longest team name the core accepts, in bytes.
const MAX_NAME_BYTES: usize = 200;
/// The longest server address the core accepts, in bytes.
const MAX_SERVER_BYTES: usize = 512;

/// Parses `--role`.
pub fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| "expected field, aftercare or coordinator".to_owned())
}

fn team_json(team: &Team) -> Json {
    json!({
        "id": team.id.to_string(),
        "name": team.name,
        "role": team.role.name(),
        "epoch": team.epoch,
        "server": team.server,
    })
}

fn print_team(team: &Team) {
    println!("team:    {}", team.name);
    println!("id:      {}", team.id);
    println!("role:    {}", team.role.name());
    println!("epoch:   {}", team.epoch);
    println!("server:  {}", team.server.as_deref().unwrap_or("none"));
}

/// The checks the core makes on a new team, with messages about a team (the core's
/// speak of invites, where the same checks apply to what an invite carries).
fn check_new_team(name: &str, server: Option<&str>) -> CliResult {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(Failure::new(format!(
            "the team name must be 1 to {MAX_NAME_BYTES} bytes"
        )));
    }
    if let Some(server) = server.map(str::trim).filter(|s| !s.is_empty())
        && (!(server.starts_with("https://") || server.starts_with("http://"))
            || server.len() > MAX_SERVER_BYTES)
    {
        return Err(Failure::new(
            "the server must be an http:// or https:// address",
        ));
    }
    Ok(())
}

fn expiry_text(expires_ms: u64) -> Option<String> {
    let ms = i64::try_from(expires_ms).ok()?;
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339())
}

/// The invite as a QR code of unicode half blocks (two rows of modules a line), light
/// modules drawn, for the light-on-dark terminals most people use.
fn qr_lines(invite: &str) -> Option<String> {
    let code = QrCode::new(invite.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

fn print_invite(team: &Team, invite: &NewInvite) {
    let expires = expiry_text(invite.expires_ms).unwrap_or_else(|| "-".into());
    println!(
        "Invite to team \"{}\" as {}, valid until {expires}.",
        team.name,
        invite.role.name()
    );
    println!();
    match qr_lines(&invite.invite) {
        Some(qr) => println!("{qr}"),
        None => println!("(the invite is too long for a QR code; give the text below)"),
    }
    println!("Invite (scan the QR code, or copy this text):");
    println!("  {}", invite.invite);
    println!();
    println!("Secret (shown only now):");
    println!("  {}", invite.secret.to_display_string());
    println!();
    println!(
        "Give the secret by another way than the QR code: say it, or send it separately. \
         Anyone with both can join the team."
    );
    println!("On the new device: safekeep team join INVITE  (it asks for the secret)");
}

fn create(vault: &Vault, name: &str, server: Option<&str>, json: bool) -> CliResult {
    check_new_team(name, server)?;
    let team = vault.create_team(name, server.map(str::to_owned))?;
    if team.server.is_some() {
        online::register(vault, false)?;
    }
    if json {
        println!("{}", team_json(&team));
    } else {
        println!(
            "created team \"{}\" ({}); this vault is its coordinator",
            team.name, team.id
        );
        println!("invite members with: safekeep team invite --role field");
    }
    Ok(())
}

fn show(vault: &Vault, json: bool) -> CliResult {
    let team = vault
        .team()?
        .ok_or(safekeep_core::sync::SyncError::NoTeam)?;
    if json {
        println!("{}", team_json(&team));
    } else {
        print_team(&team);
    }
    Ok(())
}

fn invite(vault: &Vault, role: Role, hours: u64, json: bool) -> CliResult {
    let team = vault
        .team()?
        .ok_or(safekeep_core::sync::SyncError::NoTeam)?;
    let invite = vault.create_invite(role, Duration::from_secs(hours.saturating_mul(3600)))?;
    if team.server.is_some() {
        // The server must know the invite's token before the device enrolls with it.
        online::offer(vault, &invite)?;
    }
    if json {
        // The command's purpose is to show the secret, once.
        println!(
            "{}",
            json!({
                "invite": invite.invite,
                "secret": invite.secret.to_display_string(),
                "role": invite.role.name(),
                "expires": expiry_text(invite.expires_ms),
            })
        );
    } else {
        print_invite(&team, &invite);
    }
    Ok(())
}

fn join(vault: &Vault, invite: &str, json: bool) -> CliResult {
    let invite = files::text_arg(invite, "invite")?;
    let secret = secrets::invite_secret()?;
    let team = vault.join_team(&invite, &secret)?;
    if team.server.is_some()
        && let Err(failure) = online::enroll(vault)
    {
        eprintln!(
            "safekeep: joined, but enrolling with the server failed ({}); retry with: safekeep team enroll",
            failure.message
        );
    }
    if json {
        println!("{}", team_json(&team));
    } else {
        println!(
            "joined team \"{}\" as {} (key epoch {})",
            team.name,
            team.role.name(),
            team.epoch
        );
        println!("exchange records with: safekeep bundle summary / bundle export / bundle import");
    }
    Ok(())
}

/// Runs one `team` subcommand.
pub fn run(dir: &Path, command: &TeamCommand) -> CliResult {
    let vault = open(dir)?;
    match command {
        TeamCommand::Create { name, server, json } => {
            create(&vault, name, server.as_deref(), *json)?
        }
        TeamCommand::Show { json } => show(&vault, *json)?,
        TeamCommand::Invite {
            role,
            valid_hours,
            json,
        } => invite(&vault, *role, *valid_hours, *json)?,
        TeamCommand::Join { invite, json } => join(&vault, invite, *json)?,
        TeamCommand::Register => online::register(&vault, true)?,
        TeamCommand::Enroll => online::enroll(&vault)?,
    }
    vault.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_fits_a_qr_code_of_half_blocks() {
        let invite = format!("SKINV1:{}", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".repeat(12));
        let qr = qr_lines(&invite).unwrap();
        assert!(qr.lines().count() > 20);
        assert!(qr.chars().all(|c| " ▀▄█\n".contains(c)), "{qr}");
    }

    #[test]
    fn a_new_team_is_checked_before_the_vault_is_touched() {
        assert!(check_new_team("Kolkata shelter", Some("https://sync.example.org")).is_ok());
        assert!(check_new_team("  ", None).is_err());
        assert!(check_new_team("x", Some("ftp://example.org")).is_err());
        assert!(check_new_team(&"x".repeat(201), None).is_err());
    }
}
