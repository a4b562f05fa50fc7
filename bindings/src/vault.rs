//! The vault object: create, open (passphrase, platform key, recovery key), lock,
//! keys, forms, records, search, duplicates, links, check, teams and sync.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use safekeep_core::forms::{EntryKind, FormFormat, NewEntry as CoreEntry};
use safekeep_core::sync::InviteSecret;
use safekeep_core::{Passphrase, RecoveryKey, Unlock, Value, VaultOptions};
use zeroize::Zeroize;

use crate::convert::{self, invalid, record_id};
use crate::error::SafekeepError;
use crate::keys::{Foreign, PlatformKeyProvider};
use crate::online::{self, HttpClient, ServerDevice, SyncCancel, SyncListener, SyncRound};
use crate::progress::{BulkReport, ProgressListener};
use crate::types::*;

/// A passphrase from the app as UTF-8 bytes (a `ByteArray` / `Data` the app can wipe,
/// unlike a `String`). Moved, not copied, into the core's zeroizing type.
fn passphrase(bytes: Vec<u8>) -> Result<Passphrase, SafekeepError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Passphrase::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(invalid("the passphrase is not UTF-8"))
        }
    }
}

fn options(settings: &VaultSettings) -> VaultOptions {
    let options = VaultOptions::default();
    if settings.insecure_fast_kdf_for_tests {
        options.insecure_fast_kdf_for_tests()
    } else {
        options
    }
}

fn recovery_key(typed: &str) -> Result<RecoveryKey, SafekeepError> {
    RecoveryKey::parse(typed).map_err(|_| {
        invalid("not a recovery key: 32 letters and digits in groups of four, as written down")
    })
}

/// A form summary with the languages of that form version.
fn form_summary(
    vault: &safekeep_core::Vault,
    summary: safekeep_core::forms::FormSummary,
) -> Result<FormSummary, SafekeepError> {
    let languages = vault
        .form(&summary.id, summary.version.as_deref())?
        .map(|f| f.languages)
        .unwrap_or_default();
    Ok(FormSummary {
        id: summary.id,
        version: summary.version,
        title: summary.title,
        builtin: summary.builtin,
        languages,
    })
}

/// A vault just created, and its recovery key: show the key once, for the person to
/// write down and keep apart from the phone; it is not stored anywhere readable.
#[derive(uniffi::Record)]
pub struct NewVault {
    /// The open vault.
    pub vault: Arc<Vault>,
    /// 32 characters in groups of four.
    pub recovery_key: String,
}

/// An encrypted vault of case records in one folder. All calls block: call them off
/// the main thread. Safe to share between threads. `close_vault()` checkpoints and
/// releases the files; after it or `wipe` every call fails with `Locked`.
#[derive(uniffi::Object)]
pub struct Vault {
    inner: Mutex<Option<Arc<safekeep_core::Vault>>>,
    folder: PathBuf,
    settings: VaultSettings,
}

impl Vault {
    fn wrap(vault: safekeep_core::Vault, folder: PathBuf, settings: VaultSettings) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Some(Arc::new(vault))),
            folder,
            settings,
        })
    }

    /// The core vault, without holding our lock while it works (the core may call the
    /// app's key provider).
    fn core(&self) -> Result<Arc<safekeep_core::Vault>, SafekeepError> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or(SafekeepError::Locked)
    }

    /// After the core wiped the vault on the server's word, this object holds nothing
    /// (every later call fails with `Locked`).
    fn after_revocation<T>(&self, result: &Result<T, safekeep_core::sync::SyncError>) {
        if matches!(result, Err(safekeep_core::sync::SyncError::Revoked)) {
            drop(self.take());
        }
    }

    fn take(&self) -> Option<Arc<safekeep_core::Vault>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Creates a vault in `folder` (created if missing) with a passphrase; returns it open,
/// with its recovery key.
#[uniffi::export(default(settings = None))]
pub fn create_vault(
    folder: String,
    passphrase: Vec<u8>,
    settings: Option<VaultSettings>,
) -> Result<NewVault, SafekeepError> {
    let settings = settings.unwrap_or_default();
    let passphrase = self::passphrase(passphrase)?;
    let folder = PathBuf::from(folder);
    let (vault, recovery) = safekeep_core::Vault::create(&folder, &passphrase, options(&settings))?;
    Ok(NewVault {
        vault: Vault::wrap(vault, folder, settings),
        recovery_key: recovery.to_display_string(),
    })
}

/// Whether `folder` holds a vault.
#[uniffi::export]
pub fn vault_exists(folder: String) -> bool {
    safekeep_core::Vault::exists(std::path::Path::new(&folder))
}

#[uniffi::export]
impl Vault {
    /// Opens with the passphrase. The duress passphrase, if one is set, destroys the
    /// vault and opens an empty one, looking the same.
    #[uniffi::constructor(default(settings = None))]
    pub fn open_with_passphrase(
        folder: String,
        passphrase: Vec<u8>,
        settings: Option<VaultSettings>,
    ) -> Result<Arc<Self>, SafekeepError> {
        let settings = settings.unwrap_or_default();
        let passphrase = self::passphrase(passphrase)?;
        let folder = PathBuf::from(folder);
        let vault = safekeep_core::Vault::open(
            &folder,
            Unlock::Passphrase(&passphrase),
            options(&settings),
        )?;
        Ok(Self::wrap(vault, folder, settings))
    }

    /// Opens with the platform key set up by `set_platform_key`.
    #[uniffi::constructor(default(settings = None))]
    pub fn open_with_platform_key(
        folder: String,
        provider: Arc<dyn PlatformKeyProvider>,
        settings: Option<VaultSettings>,
    ) -> Result<Arc<Self>, SafekeepError> {
        let settings = settings.unwrap_or_default();
        let folder = PathBuf::from(folder);
        let foreign = Foreign(provider.as_ref());
        let vault =
            safekeep_core::Vault::open(&folder, Unlock::Platform(&foreign), options(&settings))?;
        Ok(Self::wrap(vault, folder, settings))
    }

    /// Opens with the recovery key (then set a new passphrase with
    /// `change_passphrase`).
    #[uniffi::constructor(default(settings = None))]
    pub fn open_with_recovery_key(
        folder: String,
        recovery_key: String,
        settings: Option<VaultSettings>,
    ) -> Result<Arc<Self>, SafekeepError> {
        let settings = settings.unwrap_or_default();
        let key = self::recovery_key(&recovery_key)?;
        let folder = PathBuf::from(folder);
        let vault =
            safekeep_core::Vault::open(&folder, Unlock::RecoveryKey(&key), options(&settings))?;
        Ok(Self::wrap(vault, folder, settings))
    }

    /// Locks: keys and the name index are wiped from memory; unlock again with any way
    /// in. Call it when the app goes to the background.
    pub fn lock(&self) -> Result<(), SafekeepError> {
        self.core()?.lock();
        Ok(())
    }

    /// Whether the vault is locked (or closed).
    pub fn is_locked(&self) -> bool {
        self.core().map(|v| v.is_locked()).unwrap_or(true)
    }

    /// Unlocks with the passphrase.
    pub fn unlock_with_passphrase(&self, passphrase: Vec<u8>) -> Result<(), SafekeepError> {
        let passphrase = self::passphrase(passphrase)?;
        Ok(self.core()?.unlock(Unlock::Passphrase(&passphrase))?)
    }

    /// Unlocks with the platform key.
    pub fn unlock_with_platform_key(
        &self,
        provider: Arc<dyn PlatformKeyProvider>,
    ) -> Result<(), SafekeepError> {
        let foreign = Foreign(provider.as_ref());
        Ok(self.core()?.unlock(Unlock::Platform(&foreign))?)
    }

    /// Unlocks with the recovery key.
    pub fn unlock_with_recovery_key(&self, recovery_key: String) -> Result<(), SafekeepError> {
        let key = self::recovery_key(&recovery_key)?;
        Ok(self.core()?.unlock(Unlock::RecoveryKey(&key))?)
    }

    /// Checkpoints and closes the vault files. Later calls fail with `Locked`. (Named
    /// so as not to clash with Kotlin's `AutoCloseable.close`, which frees this object.)
    pub fn close_vault(&self) -> Result<(), SafekeepError> {
        if let Some(vault) = self.take() {
            match Arc::try_unwrap(vault) {
                Ok(vault) => vault.close()?,
                // A call still running on another thread holds it: lock it now; it is
                // released when that call returns.
                Err(shared) => shared.lock(),
            }
        }
        Ok(())
    }

    /// Destroys the vault now: keys first (nothing can be decrypted after that), then
    /// the files.
    pub fn wipe(&self) -> Result<(), SafekeepError> {
        match self.take() {
            Some(vault) => match Arc::try_unwrap(vault) {
                Ok(vault) => Ok(vault.wipe()?),
                Err(shared) => {
                    shared.lock();
                    Ok(safekeep_core::Vault::wipe_folder(&self.folder)?)
                }
            },
            None => Ok(safekeep_core::Vault::wipe_folder(&self.folder)?),
        }
    }

    /// Changes the passphrase (the records are not rewritten).
    pub fn change_passphrase(&self, new_passphrase: Vec<u8>) -> Result<(), SafekeepError> {
        let new = self::passphrase(new_passphrase)?;
        Ok(self.core()?.change_passphrase(&new)?)
    }

    /// Replaces the recovery key; returns the new one to show once.
    pub fn new_recovery_key(&self) -> Result<String, SafekeepError> {
        Ok(self.core()?.new_recovery_key()?.to_display_string())
    }

    /// Sets (or with `None` removes) the duress passphrase: entering it at unlock
    /// destroys this vault and opens an empty one.
    pub fn set_duress_passphrase(&self, duress: Option<Vec<u8>>) -> Result<(), SafekeepError> {
        let duress = duress.map(self::passphrase).transpose()?;
        Ok(self.core()?.set_duress_passphrase(duress.as_ref())?)
    }

    /// Wipes the vault after this many failed unlock attempts in a row (`None`: never).
    pub fn set_failed_unlock_limit(&self, limit: Option<u32>) -> Result<(), SafekeepError> {
        Ok(self.core()?.set_failed_unlock_limit(limit)?)
    }

    /// Adds (or replaces) the platform-key way in. The provider is called without any
    /// lock held.
    pub fn set_platform_key(
        &self,
        provider: Arc<dyn PlatformKeyProvider>,
    ) -> Result<(), SafekeepError> {
        let foreign = Foreign(provider.as_ref());
        Ok(self.core()?.set_platform_key(&foreign)?)
    }

    /// Removes the platform-key way in.
    pub fn remove_platform_key(&self) -> Result<(), SafekeepError> {
        Ok(self.core()?.remove_platform_key()?)
    }

    /// Checks the database, every sealed value, and every record against its history.
    pub fn check(&self) -> Result<CheckReport, SafekeepError> {
        Ok(convert::check_report(&self.core()?.check()?))
    }

    /// Whether this vault was made with the insecure test KDF setting.
    pub fn settings(&self) -> VaultSettings {
        self.settings.clone()
    }

    // Forms.

    /// Every form this vault can use: the built-in pack, then forms loaded into it.
    pub fn forms(&self) -> Result<Vec<FormSummary>, SafekeepError> {
        let vault = self.core()?;
        vault
            .forms()?
            .into_iter()
            .map(|summary| form_summary(&vault, summary))
            .collect()
    }

    /// Checks an XLSForm (`.xlsx`, `.xls` or `.json`, told by `file_name`) and keeps it
    /// in the vault. A refused form gives `InvalidForm` with every problem.
    pub fn load_form(
        &self,
        bytes: Vec<u8>,
        file_name: String,
    ) -> Result<FormSummary, SafekeepError> {
        let format = FormFormat::from_file_name(&file_name)
            .ok_or_else(|| invalid("a form file ends in .xlsx, .xls or .json"))?;
        let stem = std::path::Path::new(&file_name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("form")
            .to_owned();
        let vault = self.core()?;
        let summary = vault.load_form(&bytes, format, &stem)?;
        form_summary(&vault, summary)
    }

    /// What to show for a form and the answers so far, in `lang` ("hi", "Hindi (hi)";
    /// `None`: the form's default language).
    #[uniffi::method(default(lang = None))]
    pub fn form_screen(
        &self,
        form: FormRef,
        answers: std::collections::HashMap<String, Answer>,
        lang: Option<String>,
    ) -> Result<Screen, SafekeepError> {
        let answers = convert::answers(answers)?;
        let screen =
            self.core()?
                .render_form(&convert::form_ref_in(form), &answers, lang.as_deref())?;
        Ok(convert::screen(screen))
    }

    /// What to show to continue or edit a saved entry, against the form version it was
    /// filled with.
    #[uniffi::method(default(lang = None))]
    pub fn record_screen(&self, id: String, lang: Option<String>) -> Result<Screen, SafekeepError> {
        let id = record_id(&id, "id")?;
        Ok(convert::screen(
            self.core()?.render_record(id, lang.as_deref())?,
        ))
    }

    /// Every problem with these answers, without saving (`draft`: required answers may
    /// be missing).
    #[uniffi::method(default(lang = None))]
    pub fn validate(
        &self,
        form: FormRef,
        answers: std::collections::HashMap<String, Answer>,
        draft: bool,
        lang: Option<String>,
    ) -> Result<Vec<Problem>, SafekeepError> {
        let answers = convert::answers(answers)?;
        let checked = self.core()?.validate(
            &convert::form_ref_in(form),
            &answers,
            lang.as_deref(),
            convert::mode(draft),
        )?;
        Ok(convert::problems(checked.problems))
    }

    // Records.

    /// Saves a filled form, checked against it; `Validation` with every problem (in
    /// `lang`) and nothing stored when refused.
    #[uniffi::method(default(lang = None))]
    pub fn submit(&self, entry: NewEntry, lang: Option<String>) -> Result<Saved, SafekeepError> {
        let case = entry
            .case_id
            .as_deref()
            .map(|c| record_id(c, "case_id"))
            .transpose()?;
        let saved = self.core()?.submit(
            CoreEntry {
                case,
                kind: if entry.service_entry {
                    EntryKind::ServiceEntry
                } else {
                    EntryKind::Submission
                },
                form: convert::form_ref_in(entry.form),
                answers: convert::answers(entry.answers)?,
                mode: convert::mode(entry.draft),
            },
            lang.as_deref(),
        )?;
        Ok(convert::saved(saved))
    }

    /// Saves many filled forms, each wholly or not at all, calling `listener` after each
    /// (return `false` from it to stop). Entries the form refuses are reported with
    /// their problems and the rest are saved.
    #[uniffi::method(default(lang = None))]
    pub fn submit_all(
        &self,
        entries: Vec<NewEntry>,
        listener: Option<Arc<dyn ProgressListener>>,
        lang: Option<String>,
    ) -> Result<BulkReport, SafekeepError> {
        crate::progress::submit_all(entries, listener, |entry| self.submit(entry, lang.clone()))
    }

    /// Changes answers (`None` clears one), checked against the form version the entry
    /// was filled with.
    #[uniffi::method(default(lang = None))]
    pub fn edit(
        &self,
        id: String,
        changes: std::collections::HashMap<String, Option<Answer>>,
        draft: bool,
        lang: Option<String>,
    ) -> Result<Saved, SafekeepError> {
        let id = record_id(&id, "id")?;
        let changes = convert::changes(changes)?;
        let saved =
            self.core()?
                .edit_answers(id, changes, convert::mode(draft), lang.as_deref())?;
        Ok(convert::saved(saved))
    }

    /// What a saved entry still needs to be final, in `lang` (empty: complete).
    #[uniffi::method(default(lang = None))]
    pub fn missing_to_finalize(
        &self,
        id: String,
        lang: Option<String>,
    ) -> Result<Vec<Problem>, SafekeepError> {
        let id = record_id(&id, "id")?;
        let vault = self.core()?;
        let record = vault.get(id)?;
        Ok(convert::problems(
            vault.missing_to_finalize(&record, lang.as_deref())?,
        ))
    }

    /// Deletes a record; a case goes with everything in it.
    pub fn delete(&self, id: String) -> Result<(), SafekeepError> {
        let id = record_id(&id, "id")?;
        Ok(self.core()?.delete(id)?)
    }

    /// One record.
    pub fn get(&self, id: String) -> Result<Record, SafekeepError> {
        let id = record_id(&id, "id")?;
        Ok(convert::record(&self.core()?.get(id)?))
    }

    /// Records matching `filter`, oldest first.
    pub fn list(&self, filter: RecordFilter) -> Result<Vec<Record>, SafekeepError> {
        let filter = safekeep_core::RecordFilter {
            kind: filter.kind.map(convert::kind_in),
            case: filter
                .case_id
                .as_deref()
                .map(|c| record_id(c, "case_id"))
                .transpose()?,
            form: filter.form_id,
            include_deleted: false,
        };
        Ok(self
            .core()?
            .list(&filter)?
            .iter()
            .map(convert::record)
            .collect())
    }

    /// Persons whose name or alias is like `text` (spelling variants, transliteration,
    /// typos), best first.
    #[uniffi::method(default(limit = 10))]
    pub fn search(&self, text: String, limit: u32) -> Result<Vec<PersonMatch>, SafekeepError> {
        Ok(self
            .core()?
            .search(&text, limit as usize)?
            .into_iter()
            .map(convert::person)
            .collect())
    }

    /// Builds the name index now (after unlock, off the main thread) so the first
    /// search is instant.
    pub fn prepare_search(&self) -> Result<(), SafekeepError> {
        Ok(self.core()?.prepare_search()?)
    }

    /// Cases that may be the same person as this case or identification, ranked.
    #[uniffi::method(default(limit = 10))]
    pub fn duplicates(
        &self,
        id: String,
        limit: u32,
    ) -> Result<Vec<DuplicateCandidate>, SafekeepError> {
        let id = record_id(&id, "id")?;
        Ok(self
            .core()?
            .duplicates(id, limit as usize)?
            .into_iter()
            .map(convert::duplicate)
            .collect())
    }

    /// Links two cases as the same person (`same = false` withdraws the link).
    pub fn link(
        &self,
        case_id: String,
        other_case_id: String,
        same: bool,
    ) -> Result<(), SafekeepError> {
        let a = record_id(&case_id, "case_id")?;
        let b = record_id(&other_case_id, "other_case_id")?;
        Ok(self.core()?.link(a, b, same)?)
    }

    /// Cases grouped by person (linked cases together); reports count the groups.
    pub fn persons(&self) -> Result<Vec<Vec<String>>, SafekeepError> {
        Ok(self
            .core()?
            .persons()?
            .into_iter()
            .map(|g| g.iter().map(|c| c.to_string()).collect())
            .collect())
    }

    /// Adds a note to a record's `notes` log (`Record.logs["notes"]`). Notes written on
    /// several devices never conflict: they are all kept, in time order.
    pub fn append_note(&self, id: String, text: String) -> Result<(), SafekeepError> {
        let id = record_id(&id, "id")?;
        Ok(self.core()?.append(id, "notes", Value::Text(text))?)
    }

    // Team and sync.

    /// Creates a team with this vault as its coordinator, and returns it. `server`: the
    /// team's sync server (`https://...`), if it has one. `AlreadyInTeam` when this
    /// vault is in a team; `InvalidInput` for a name that is empty or over 200 bytes, or
    /// a server that is not an http(s) address.
    #[uniffi::method(default(server = None))]
    pub fn create_team(
        &self,
        name: String,
        server: Option<String>,
    ) -> Result<TeamInfo, SafekeepError> {
        let team = self.core()?.create_team(&name, server)?;
        Ok(convert::team(team))
    }

    /// This vault's team (`None`: not in one yet).
    pub fn team(&self) -> Result<Option<TeamInfo>, SafekeepError> {
        Ok(self.core()?.team()?.map(convert::team))
    }

    /// Records the team's sync server (`None` forgets it).
    pub fn set_team_server(&self, server: Option<String>) -> Result<TeamInfo, SafekeepError> {
        let team = self.core()?.set_team_server(server)?;
        Ok(convert::team(team))
    }

    /// Makes an invite into this vault's team for a new member with `role`, valid for
    /// `valid_seconds` (48 hours unless told). Only a coordinator invites
    /// (`NotCoordinator`), once confirmed (`AwaitingConfirmation` for a coordinator
    /// that joined with a coordinator invite, until another coordinator's sync confirms
    /// it and its own next `sync` takes the confirmation); `NoTeam` before
    /// `create_team`.
    ///
    /// With `http` and a team server, the invite is also registered with the server
    /// (only a one-way hash of a token derived from its secret), so that the device
    /// that joins with it can `enroll`; without, it serves exchanges by bundle file
    /// only. Server errors: `ServerRefused`, `Network` (no invite is returned then:
    /// make a new one when the server is reachable).
    #[uniffi::method(default(valid_seconds = 172800, http = None))]
    pub fn create_invite(
        &self,
        role: TeamRole,
        valid_seconds: u64,
        http: Option<Arc<dyn HttpClient>>,
    ) -> Result<Invite, SafekeepError> {
        let vault = self.core()?;
        let invite = vault.create_invite(
            convert::role_in(role),
            std::time::Duration::from_secs(valid_seconds),
        )?;
        if let Some(http) = http {
            let offered = vault.offer_invite(&invite, &online::Foreign(http));
            self.after_revocation(&offered);
            offered?;
        }
        Ok(convert::invite(invite))
    }

    /// Joins the team of `invite` (its text or QR code content) with its `secret` as
    /// typed (case, spaces and dashes do not matter). Joining the same team again with
    /// a newer invite updates the team key and the role. Errors: `InvalidInvite`,
    /// `WrongInviteSecret` (also for a mistyped one), `InviteExpired`, `AlreadyInTeam`
    /// (another team).
    ///
    /// The secret crosses as a `String`, not as bytes the app can wipe like a
    /// passphrase: it opens this one invite only, which stops working when it expires,
    /// and the vault it is typed into holds the team key it unlocks anyway.
    pub fn join_team(&self, invite: String, secret: String) -> Result<TeamInfo, SafekeepError> {
        let secret = InviteSecret::parse(&secret)?;
        Ok(convert::team(self.core()?.join_team(&invite, &secret)?))
    }

    /// This device's id (32 hex digits): how the server and `server_devices` name it.
    pub fn device_id(&self) -> Result<String, SafekeepError> {
        Ok(self.core()?.device_id()?.to_string())
    }

    /// Registers this vault's team and this device (its coordinator) with the team's
    /// server, using the operator token the server printed on its first start. Only a
    /// coordinator registers (`NotCoordinator`); `NoServer` when the team has none;
    /// `ServerRefused` (401: wrong token; 409: already registered), `Network`.
    pub fn register_team(
        &self,
        http: Arc<dyn HttpClient>,
        operator_token: String,
    ) -> Result<(), SafekeepError> {
        let operator_token = zeroize::Zeroizing::new(operator_token);
        Ok(self
            .core()?
            .register_team(&online::Foreign(http), &operator_token)?)
    }

    /// Enrolls this device with the team's server, using the invite it joined with
    /// (registered by `create_invite` with `http`); returns the role the server gave
    /// it. Once per device: `ServerRefused` (403) for an invite already used, expired
    /// or never registered.
    pub fn enroll(&self, http: Arc<dyn HttpClient>) -> Result<TeamRole, SafekeepError> {
        Ok(convert::role(self.core()?.enroll(&online::Foreign(http))?))
    }

    /// One sync round with the team's server: sends what the server lacks, then
    /// receives until caught up, applying as it goes. Safe to cut at any point (no
    /// signal, the app killed): the next round resumes without losing or doubling
    /// anything. `listener` hears progress; `cancel` stops the round at the next
    /// bundle (`Cancelled`). Errors: `NoServer`, `Network` (try later),
    /// `ServerRefused`, and `Revoked`: the server removed this device from the team and
    /// the vault has been wiped (show that; the vault object is unusable after it).
    #[uniffi::method(default(listener = None, cancel = None))]
    pub fn sync(
        &self,
        http: Arc<dyn HttpClient>,
        listener: Option<Arc<dyn SyncListener>>,
        cancel: Option<Arc<SyncCancel>>,
    ) -> Result<SyncRound, SafekeepError> {
        let vault = self.core()?;
        let round = vault.sync_online(
            &online::Foreign(http),
            &mut |phase, bundles| {
                if let Some(listener) = &listener {
                    listener.progress(phase.into(), bundles);
                }
            },
            &|| cancel.as_ref().is_some_and(|c| c.is_cancelled()),
        );
        self.after_revocation(&round);
        Ok(online::round(round?))
    }

    /// The team's devices as the server lists them (a coordinator's screen of phones
    /// to remove). Only a coordinator may ask (`ServerRefused` 403).
    pub fn server_devices(
        &self,
        http: Arc<dyn HttpClient>,
    ) -> Result<Vec<ServerDevice>, SafekeepError> {
        let listed = self.core()?.server_devices(&online::Foreign(http));
        self.after_revocation(&listed);
        Ok(listed?.into_iter().map(online::server_device).collect())
    }

    /// Removes a device (a lost or seized phone, a member who left) from the team on
    /// the server: it can no longer send or receive, and its next contact with the
    /// server wipes its vault. Only a coordinator (`NotCoordinator`), once confirmed
    /// (`AwaitingConfirmation`, nothing changed); `InvalidInput` for an id that is not
    /// 32 hex digits.
    ///
    /// The team then moves to a new key epoch (returned) that the removed device never
    /// sees: the new key is sealed to each remaining enrolled device and left with the
    /// server; the others take it at their next `sync`. A device that joined without
    /// the server needs a new invite. `Network` after the removal: the new key is
    /// delivered by this vault's next `sync`.
    pub fn revoke_device(
        &self,
        http: Arc<dyn HttpClient>,
        device_id: String,
    ) -> Result<u32, SafekeepError> {
        let device = device_id
            .trim()
            .parse()
            .map_err(|_| invalid("not a device id: expected 32 hexadecimal digits"))?;
        let vault = self.core()?;
        let result = vault.revoke_device(device, &online::Foreign(http));
        self.after_revocation(&result);
        Ok(result?)
    }

    /// What this vault holds, as a text (`SKSUM1:...`, short enough for a QR code) for
    /// another device of the team to pass to `export_bundles`, which then sends only
    /// what this vault lacks. Sealed under the team key. Make a new one for every
    /// exchange. `NoTeam` before joining one.
    pub fn summary(&self) -> Result<String, SafekeepError> {
        Ok(self.core()?.summary_text()?)
    }

    /// Seals what the device that made `for_summary` lacks (everything, when `None`)
    /// into bundles of about `max_bytes` of changes each (4 MiB unless told, at least
    /// 1 KiB), in order: import all of them on the other device. Empty: nothing to
    /// send. `InvalidSummary` for a summary not of this team. The bundles are returned
    /// together, in memory.
    #[uniffi::method(default(for_summary = None, max_bytes = 4194304))]
    pub fn export_bundles(
        &self,
        for_summary: Option<String>,
        max_bytes: u64,
    ) -> Result<Vec<ExportedBundle>, SafekeepError> {
        let vault = self.core()?;
        let theirs = for_summary
            .as_deref()
            .map(|text| vault.read_summary(text))
            .transpose()?;
        let max_bytes = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        let mut bundles = Vec::new();
        vault.export_bundles(theirs.as_ref(), max_bytes, |header, bytes| {
            bundles.push(ExportedBundle {
                bytes,
                info: convert::bundle_info(header),
            });
            Ok(())
        })?;
        Ok(bundles)
    }

    /// Opens a bundle and checks it against this vault (team, key, changes) without
    /// applying anything. `BundleRejected` says why one is refused.
    pub fn verify_bundle(&self, bytes: Vec<u8>) -> Result<BundleInfo, SafekeepError> {
        Ok(convert::bundle_info(&self.core()?.verify_bundle(&bytes)?))
    }

    /// Imports a bundle: checks all of it, then applies it in one transaction. A
    /// refused bundle (`BundleRejected`, with the reason) changes nothing; importing
    /// the same bundle again changes nothing either. `listener` is told
    /// `progress(done, total)` in changes applied, on the calling thread with no lock
    /// held; an import cannot stop halfway, so what it returns is ignored.
    #[uniffi::method(default(listener = None))]
    pub fn import_bundle(
        &self,
        bytes: Vec<u8>,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<SyncReport, SafekeepError> {
        let vault = self.core()?;
        crate::progress::import_bundle(&vault, &bytes, listener)
    }

    /// Every open conflict, by record. Devices with the same changes list the same
    /// conflicts with the same ids and values.
    pub fn conflicts(&self) -> Result<Vec<Conflict>, SafekeepError> {
        Ok(self
            .core()?
            .conflicts()?
            .into_iter()
            .map(convert::conflict)
            .collect())
    }

    /// Resolves an open conflict. Only a coordinator resolves (`NotCoordinator`); the
    /// decision is a change like any other and reaches the other devices with the next
    /// exchange. `ConflictNotFound` when it was resolved meanwhile; `InvalidInput` for a
    /// value id not in the conflict, or a new value for a deletion conflict.
    pub fn resolve(&self, conflict_id: String, choice: ResolveChoice) -> Result<(), SafekeepError> {
        let choice = convert::choice(choice)?;
        Ok(self.core()?.resolve(&conflict_id, choice)?)
    }
}
