//! `safekeep`: the command for coordinators and for trying Safekeep on a laptop.
//!
//! Errors are one line on stderr and a non-zero exit; never a backtrace, never a
//! record's content or a passphrase.

mod answers;
mod bundles;
mod conflicts;
mod demo;
mod entries;
mod files;
mod forms;
mod online;
mod output;
mod persons;
mod secrets;
mod serve;
mod team;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};
use safekeep_core::sync::{Role, SyncError};
use safekeep_core::{
    RecordError, RecordFilter, RecordId, RecordKind, Unlock, Value, Vault, VaultError, VaultOptions,
};

/// Exit code: this vault is not in a team (or is already in one).
const TEAM_MEMBERSHIP: u8 = 8;
/// Exit code: only the team's coordinator can do this.
const NOT_COORDINATOR: u8 = 9;
/// Exit code: a bundle or summary was refused.
const BUNDLE_REFUSED: u8 = 10;
/// Exit code: an invite was refused.
const INVITE_REFUSED: u8 = 11;
/// Exit code: the conflict changed since it was listed.
const CONFLICT_CHANGED: u8 = 12;
/// Exit code: the server removed this device; its vault was wiped.
const REVOKED: u8 = 13;
/// Exit code: the server could not be reached, or refused.
const SERVER: u8 = 14;

/// The exit codes, shown at the end of `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0   success
  1   error: bad argument, unreadable or existing file, other failure
  2   wrong command-line usage
  3   wrong passphrase or recovery key
  4   not found: vault, record, form, conflict or conflict value
  5   the vault wiped itself after too many failed unlock attempts
  6   damaged vault: the check failed, or a stored value failed authentication
  7   answers refused by the form (every problem listed, nothing saved)
  8   not in a team (create one or join with an invite), or already in one
  9   only the team's coordinator can do this (invite, resolve)
  10  bundle or summary refused: altered, another team's, an unknown key epoch,
      unreadable or from a newer version; nothing was imported
  11  invite refused: mistyped, wrong secret, or expired
  12  the conflict gained a value since it was listed (an import arrived):
      nothing was decided; list the conflicts again
  13  the team's server removed this device: its vault has been wiped
  14  the server could not be reached (try again later) or refused the request";

/// Safekeep: encrypted, offline case records for anti-trafficking teams.
#[derive(Parser)]
#[command(name = "safekeep", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    /// Vault folder.
    #[arg(long, global = true, env = "SAFEKEEP_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new vault and print its recovery key (shown once).
    Init,
    /// Save a filled form, checked against the form; without --case a new case is
    /// created for it. A refused save lists every problem and stores nothing.
    Add {
        /// Form id, e.g. victim_identification (`safekeep forms list`).
        #[arg(long)]
        form: String,
        /// Form version (default: the newest).
        #[arg(long)]
        form_version: Option<String>,
        /// Add to this existing case.
        #[arg(long)]
        case: Option<String>,
        /// Save as an entry in the case's service log.
        #[arg(long)]
        service: bool,
        /// An answer, NAME=VALUE, typed by the form as ODK stores it: several choices
        /// separated by spaces, dates as YYYY-MM-DD, geopoints as "lat lon".
        #[arg(long = "answer", short = 'a', value_name = "NAME=VALUE")]
        answers: Vec<String>,
        /// Save incomplete (required answers may be missing; everything given must
        /// still be valid).
        #[arg(long)]
        draft: bool,
        /// Language of problem messages ("hi", "Hindi (hi)").
        #[arg(long)]
        lang: Option<String>,
        /// Print the new ids as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change answers of a submission or service entry, checked against the form
    /// version it was filled with.
    Edit {
        /// Record id.
        id: String,
        /// A new answer: NAME=VALUE.
        #[arg(long = "answer", short = 'a', value_name = "NAME=VALUE")]
        answers: Vec<String>,
        /// Clear an answer.
        #[arg(long = "clear", value_name = "NAME")]
        clear: Vec<String>,
        /// Keep it a draft (required answers may be missing).
        #[arg(long)]
        draft: bool,
        /// Language of problem messages.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Find persons by name or alias (spelling variants, transliterations and typos
    /// match).
    Search {
        /// Name or alias, in any spelling.
        text: String,
        /// Most results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Cases that may be the same person as this case or identification, ranked.
    Duplicates {
        /// Case or identification id.
        id: String,
        /// Most results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Link two cases as the same person (reports count the person once).
    Link {
        /// A case (or a record in it).
        case: String,
        /// The other case (or a record in it).
        other: String,
        /// Withdraw the link instead.
        #[arg(long)]
        undo: bool,
    },
    /// Count persons: cases linked as the same person count once.
    Persons {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// List records.
    List {
        /// Only submissions of this form.
        #[arg(long)]
        form: Option<String>,
        /// Only records of this case.
        #[arg(long)]
        case: Option<String>,
        /// Include deleted records.
        #[arg(long)]
        deleted: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one record.
    Show {
        /// Record id.
        id: String,
        /// Also list every change (who, when, what).
        #[arg(long)]
        history: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Delete a record (a case with everything in it).
    Delete {
        /// Record id.
        id: String,
    },
    /// Add a note to a record's notes log (entries are appended; they never conflict).
    Note {
        /// Record id.
        id: String,
        /// The note.
        text: String,
    },
    /// The team this vault shares records with: create, show, invite, join.
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
    /// Sync with the team's server: send this vault's changes, receive the team's.
    /// Safe to interrupt: the next sync resumes.
    Sync {
        /// Use (and remember) this server instead of the team's.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// List the team's devices on its server (coordinator only).
    Devices {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Remove a device from the team on its server (coordinator only); its next sync
    /// wipes it.
    Revoke {
        /// The device id (32 hexadecimal digits, from `safekeep devices`).
        device: String,
    },
    /// Records carried between team devices as sealed files (USB stick, SD card).
    Bundle {
        #[command(subcommand)]
        command: BundleCommand,
    },
    /// List open conflicts: concurrent edits kept side by side for a coordinator.
    Conflicts {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Resolve an open conflict (coordinator only: exit code 9 on any other device).
    /// The decision reaches the other devices with the next bundle exchange.
    #[command(group(ArgGroup::new("decision").required(true).args(["keep", "value", "clear"])))]
    Resolve {
        /// Conflict id (`safekeep conflicts`).
        conflict: String,
        /// Keep one of the values: its id, or its number in the list.
        #[arg(long, value_name = "VALUE_ID")]
        keep: Option<String>,
        /// Set a new value, typed and checked by the record's form (as `--answer`).
        #[arg(long, value_name = "TEXT")]
        value: Option<String>,
        /// Clear the field.
        #[arg(long)]
        clear: bool,
        /// Language of problem messages.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Change the passphrase (new one from SAFEKEEP_NEW_PASSPHRASE or a prompt).
    Passwd,
    /// Open with the recovery key (SAFEKEEP_RECOVERY_KEY or a prompt) and set a new
    /// passphrase.
    Recover,
    /// Set the duress passphrase (SAFEKEEP_DURESS_PASSPHRASE or a prompt): entering it
    /// at unlock destroys the vault and opens an empty one.
    Duress {
        /// Remove the duress passphrase instead.
        #[arg(long)]
        remove: bool,
    },
    /// Wipe the vault after this many failed unlock attempts in a row ("off" to disable).
    UnlockLimit {
        /// A number, or "off".
        limit: String,
    },
    /// Check the vault: database integrity and every sealed value.
    Check {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Forms: the built-in pack and forms loaded into this vault.
    Forms {
        #[command(subcommand)]
        command: FormsCommand,
    },
    /// A guided run on a fresh vault with sample records: save, edit, list, check, and
    /// a scan of the vault files for any sample text in clear.
    Demo,
    /// Run the sync server: a relay that stores and orders sealed bundles it cannot
    /// read. On first start it prints an operator token once (keep it: registering a
    /// team needs it) and keeps only its hash.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: std::net::SocketAddr,
        /// Data directory of the server's store.
        #[arg(long, default_value = "safekeep-server-data")]
        data: PathBuf,
        /// A PostgreSQL database instead of the data directory
        /// (postgres://user:password@host/database); several servers may share one.
        /// Add `?sslmode=require` for TLS (the database's certificate is verified).
        #[arg(
            long,
            env = "SAFEKEEP_DATABASE_URL",
            hide_env_values = true,
            conflicts_with = "data"
        )]
        database_url: Option<String>,
        /// A PEM file of the certificate authorities that signed the database's TLS
        /// certificate, when not a public one (a cloud provider's, or your own).
        #[arg(long, env = "SAFEKEEP_DATABASE_CA", requires = "database_url")]
        database_ca: Option<PathBuf>,
        /// Serve Prometheus metrics (`GET /metrics`) on this address only, apart from
        /// the devices' address (keep it private: the counts say when teams are busy).
        #[arg(long, env = "SAFEKEEP_METRICS_LISTEN")]
        metrics_listen: Option<std::net::SocketAddr>,
    },
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Create a team; this vault becomes its coordinator.
    Create {
        /// The team's name (shown to members; never in clear in invites or bundles).
        name: String,
        /// The team's sync server, http:// or https://.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show this vault's team: id, name, role, key epoch, server.
    Show {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Invite a member (coordinator only): prints the invite as text and a QR code, and
    /// its one-time secret, to be given another way.
    Invite {
        /// The new member's role: field, aftercare or coordinator.
        #[arg(long, default_value = "field", value_parser = team::parse_role)]
        role: Role,
        /// Hours until the invite stops working.
        #[arg(long, default_value_t = 48, value_parser = clap::value_parser!(u64).range(1..=8760))]
        valid_hours: u64,
        /// JSON output: {"invite", "secret", "role", "expires"}.
        #[arg(long)]
        json: bool,
    },
    /// Register this vault's team with its server (coordinator; the server's operator
    /// token from SAFEKEEP_SERVER_TOKEN). `team create --server` does it when the
    /// token is set.
    Register,
    /// Enroll this device with the team's server (done by `team join` when the invite
    /// names a server; this retries it).
    Enroll,
    /// Join a team with an invite; the secret comes from SAFEKEEP_INVITE_SECRET or a
    /// prompt.
    Join {
        /// The invite text (SKINV1:...), or @FILE holding it.
        invite: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Print (or write) what this device holds, for the other device's `export --for`.
    Summary {
        /// Write it to this file instead (replaced if it exists).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Write the records another device lacks as sealed bundle files: FILE, then
    /// FILE-2, FILE-3... before the extension when split.
    Export {
        /// The bundle file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The other device's summary (its text, or @FILE); everything without it.
        #[arg(long = "for", value_name = "SUMMARY")]
        for_summary: Option<String>,
        /// About the largest bundle, in bytes of ops before compression (at least 1024).
        #[arg(long, value_name = "BYTES", default_value_t = bundles::DEFAULT_MAX_SIZE)]
        max_size: usize,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Import bundle files: every file is verified first, and none is imported if any
    /// fails.
    Import {
        /// Bundle files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// JSON output (no progress bar).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum FormsCommand {
    /// List the forms this vault can use.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show a form's questions, in a language.
    Show {
        /// Form id.
        form: String,
        /// Version (default: the newest).
        #[arg(long)]
        version: Option<String>,
        /// Language, as the form names it ("Hindi (hi)") or its code ("hi").
        #[arg(long)]
        lang: Option<String>,
    },
    /// Check an XLSForm (.xlsx, .xls or .json) and load it into the vault; prints its id
    /// and version, or every problem by sheet, row and column.
    Load {
        /// The form file.
        file: PathBuf,
    },
}

/// A one-line error and the exit code that goes with it.
#[derive(Debug)]
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }
}

impl From<VaultError> for Failure {
    fn from(err: VaultError) -> Self {
        let code = match err {
            VaultError::WrongPassphrase | VaultError::WrongRecoveryKey => 3,
            VaultError::NotFound => 4,
            VaultError::Wiped => 5,
            VaultError::Corrupt(_) => 6,
            _ => 1,
        };
        Self {
            message: err.to_string(),
            code,
        }
    }
}

impl From<RecordError> for Failure {
    fn from(err: RecordError) -> Self {
        let code = match err {
            RecordError::NotFound(_) | RecordError::Deleted(_) => 4,
            RecordError::Tampered { .. } | RecordError::Undecodable { .. } => 6,
            _ => 1,
        };
        Self {
            message: err.to_string(),
            code,
        }
    }
}

impl From<SyncError> for Failure {
    fn from(err: SyncError) -> Self {
        if let SyncError::Record(e) = err {
            return e.into();
        }
        let code = match &err {
            SyncError::NoTeam | SyncError::AlreadyInTeam => TEAM_MEMBERSHIP,
            SyncError::NotCoordinator(_) | SyncError::AwaitingConfirmation => NOT_COORDINATOR,
            SyncError::MalformedBundle(_)
            | SyncError::UnsupportedBundle(_)
            | SyncError::OtherTeam
            | SyncError::UnknownEpoch(_)
            | SyncError::Unauthentic
            | SyncError::Inconsistent(_)
            | SyncError::InvalidSummary(_) => BUNDLE_REFUSED,
            SyncError::InvalidInvite(_)
            | SyncError::WrongInviteSecret
            | SyncError::InviteExpired => INVITE_REFUSED,
            SyncError::ConflictNotFound | SyncError::UnknownValue(_) => 4,
            SyncError::ConflictChanged => CONFLICT_CHANGED,
            SyncError::Revoked => REVOKED,
            SyncError::Server { .. }
            | SyncError::Transport(_)
            | SyncError::NoServer
            | SyncError::KeyChanged
            | SyncError::UnprovenRemoval
            | SyncError::RemovalNotice(_) => SERVER,
            SyncError::Store(safekeep_core::store::StoreError::Corrupt(_)) => 6,
            _ => 1,
        };
        Self {
            message: err.to_string(),
            code,
        }
    }
}

type CliResult<T = ()> = Result<T, Failure>;

fn main() -> ExitCode {
    // A bug must not print a backtrace or whatever the panic message holds: one line.
    std::panic::set_hook(Box::new(|_| {
        eprintln!(
            "safekeep: internal error (a bug in safekeep); run `safekeep check` to verify the vault"
        );
    }));
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("safekeep: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Vault options from the environment. The insecure KDF is for test suites only and is
/// reported by `check`.
fn options() -> VaultOptions {
    let options = VaultOptions::default();
    if std::env::var_os("SAFEKEEP_INSECURE_FAST_KDF_FOR_TESTS").is_some_and(|v| v == "1") {
        options.insecure_fast_kdf_for_tests()
    } else {
        options
    }
}

fn vault_dir(cli: &Cli) -> CliResult<&Path> {
    cli.vault
        .as_deref()
        .ok_or_else(|| Failure::new("no vault folder: pass --vault DIR or set SAFEKEEP_VAULT"))
}

fn open(dir: &Path) -> CliResult<Vault> {
    if !Vault::exists(dir) {
        return Err(VaultError::NotFound.into());
    }
    let passphrase = secrets::passphrase("SAFEKEEP_PASSPHRASE", "Passphrase: ")?;
    Ok(Vault::open(
        dir,
        Unlock::Passphrase(&passphrase),
        options(),
    )?)
}

fn record_id(text: &str) -> CliResult<RecordId> {
    text.parse()
        .map_err(|_| Failure::new("not a record id: expected 32 hexadecimal digits"))
}

fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Demo => return demo::run(cli.vault.as_deref()),
        Command::Serve {
            listen,
            data,
            database_url,
            database_ca,
            metrics_listen,
        } => {
            let store = serve::StoreArgs {
                data,
                database_url,
                database_ca,
            };
            return serve::run(listen, store, metrics_listen);
        }
        _ => {}
    }
    let dir = vault_dir(&cli)?;
    match &cli.command {
        Command::Init => {
            let passphrase = secrets::new_passphrase("SAFEKEEP_PASSPHRASE", "New passphrase: ")?;
            let (vault, recovery) = Vault::create(dir, &passphrase, options())?;
            println!("Created a vault in {}", dir.display());
            println!();
            println!(
                "Recovery key (shown only now; write it down and keep it apart from the device):"
            );
            println!("  {}", recovery.to_display_string());
            vault.close()?;
        }
        Command::Add {
            form,
            form_version,
            case,
            service,
            answers,
            draft,
            lang,
            json,
        } => {
            let case = case.as_deref().map(record_id).transpose()?;
            let vault = open(dir)?;
            entries::add(
                &vault,
                entries::Add {
                    form,
                    version: form_version.as_deref(),
                    case,
                    service: *service,
                    answers,
                    draft: *draft,
                    lang: lang.as_deref(),
                    json: *json,
                },
            )?;
            vault.close()?;
        }
        Command::Edit {
            id,
            answers,
            clear,
            draft,
            lang,
        } => {
            let id = record_id(id)?;
            let vault = open(dir)?;
            entries::edit(&vault, id, answers, clear, *draft, lang.as_deref())?;
            vault.close()?;
        }
        Command::Search { text, limit, json } => {
            let vault = open(dir)?;
            persons::search(&vault, text, *limit, *json)?;
            vault.close()?;
        }
        Command::Duplicates { id, limit, json } => {
            let id = record_id(id)?;
            let vault = open(dir)?;
            persons::duplicates(&vault, id, *limit, *json)?;
            vault.close()?;
        }
        Command::Link { case, other, undo } => {
            let (a, b) = (record_id(case)?, record_id(other)?);
            let vault = open(dir)?;
            persons::link(&vault, a, b, *undo)?;
            vault.close()?;
        }
        Command::Persons { json } => {
            let vault = open(dir)?;
            persons::persons(&vault, *json)?;
            vault.close()?;
        }
        Command::List {
            form,
            case,
            deleted,
            json,
        } => {
            let filter = RecordFilter {
                kind: None,
                case: case.as_deref().map(record_id).transpose()?,
                form: form.clone(),
                include_deleted: *deleted,
            };
            let vault = open(dir)?;
            let records = vault.list(&filter)?;
            // A draft is an entry that does not pass the final check yet.
            let missing: Vec<Option<usize>> = records
                .iter()
                .map(|r| {
                    (r.form.is_some() && r.deleted.is_none())
                        .then(|| vault.missing_to_finalize(r, None).ok().map(|m| m.len()))
                        .flatten()
                })
                .collect();
            if *json {
                let list: Vec<_> = records
                    .iter()
                    .zip(&missing)
                    .map(|(r, m)| {
                        let mut value = output::record_json(r);
                        value["complete"] = serde_json::json!(m.map(|n| n == 0));
                        value
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                output::print_table(&records, &missing);
            }
            vault.close()?;
        }
        Command::Show { id, history, json } => {
            let id = record_id(id)?;
            let vault = open(dir)?;
            let record = vault.get(id)?;
            let ops = if *history {
                Some(vault.history(id)?)
            } else {
                None
            };
            if *json {
                let mut value = output::record_json(&record);
                if let Some(ops) = &ops {
                    value["history"] = output::history_json(ops);
                }
                println!("{value}");
            } else {
                output::print_record(&record);
                if let Some(ops) = &ops {
                    output::print_history(ops);
                }
            }
            vault.close()?;
        }
        Command::Delete { id } => {
            let id = record_id(id)?;
            let vault = open(dir)?;
            let kind = vault.get(id)?.kind;
            vault.delete(id)?;
            if kind == RecordKind::Case {
                println!("deleted case {id} and everything in it");
            } else {
                println!("deleted {id}");
            }
            vault.close()?;
        }
        Command::Note { id, text } => {
            let id = record_id(id)?;
            if text.trim().is_empty() {
                return Err(Failure::new("the note is empty"));
            }
            let vault = open(dir)?;
            vault.append(id, "notes", Value::Text(text.clone()))?;
            println!("added a note to {id}");
            vault.close()?;
        }
        Command::Team { command } => team::run(dir, command)?,
        Command::Sync { server, json } => online::sync(dir, server.as_deref(), *json)?,
        Command::Devices { json } => online::devices(dir, *json)?,
        Command::Revoke { device } => online::revoke(dir, device)?,
        Command::Bundle { command } => bundles::run(dir, command)?,
        Command::Conflicts { json } => {
            let vault = open(dir)?;
            conflicts::list(&vault, *json)?;
            vault.close()?;
        }
        Command::Resolve {
            conflict,
            keep,
            value,
            clear,
            lang,
        } => {
            let decision = match (keep, value) {
                (Some(keep), _) => conflicts::Decision::Keep(keep),
                (None, Some(value)) => conflicts::Decision::Value(value),
                (None, None) if *clear => conflicts::Decision::Clear,
                (None, None) => {
                    return Err(Failure::new(
                        "give --keep VALUE_ID, --value TEXT or --clear",
                    ));
                }
            };
            let vault = open(dir)?;
            conflicts::resolve(&vault, conflict, decision, lang.as_deref())?;
            vault.close()?;
        }
        Command::Passwd => {
            let vault = open(dir)?;
            let new = secrets::new_passphrase("SAFEKEEP_NEW_PASSPHRASE", "New passphrase: ")?;
            vault.change_passphrase(&new)?;
            println!("passphrase changed");
            vault.close()?;
        }
        Command::Recover => {
            if !Vault::exists(dir) {
                return Err(VaultError::NotFound.into());
            }
            let recovery = secrets::recovery_key()?;
            let vault = Vault::open(dir, Unlock::RecoveryKey(&recovery), options())?;
            let new = secrets::new_passphrase("SAFEKEEP_NEW_PASSPHRASE", "New passphrase: ")?;
            vault.change_passphrase(&new)?;
            println!("vault opened with the recovery key; passphrase changed");
            vault.close()?;
        }
        Command::Duress { remove } => {
            let vault = open(dir)?;
            if *remove {
                vault.set_duress_passphrase(None)?;
                println!("duress passphrase removed");
            } else {
                let duress =
                    secrets::new_passphrase("SAFEKEEP_DURESS_PASSPHRASE", "Duress passphrase: ")?;
                vault.set_duress_passphrase(Some(&duress))?;
                println!("duress passphrase set: entering it at unlock destroys this vault");
            }
            vault.close()?;
        }
        Command::UnlockLimit { limit } => {
            let limit = match limit.as_str() {
                "off" | "none" => None,
                n => Some(
                    n.parse::<u32>()
                        .map_err(|_| Failure::new("the limit is a number or \"off\""))?,
                ),
            };
            let vault = open(dir)?;
            vault.set_failed_unlock_limit(limit)?;
            match limit {
                Some(n) => {
                    println!("the vault wipes itself after {n} failed unlock attempts in a row")
                }
                None => println!("failed unlock attempts no longer wipe the vault"),
            }
            vault.close()?;
        }
        Command::Check { json } => {
            let vault = open(dir)?;
            let report = vault.check()?;
            vault.close()?;
            if *json {
                println!("{}", output::check_json(&report));
            } else {
                output::print_check(&report);
            }
            if !report.is_ok() {
                return Err(Failure {
                    message: "the vault check found problems".into(),
                    code: 6,
                });
            }
        }
        Command::Forms { command } => forms::run(dir, command)?,
        Command::Demo | Command::Serve { .. } => unreachable!("handled before a vault is needed"),
    }
    Ok(())
}
