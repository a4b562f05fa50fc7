//! `safekeep demo`: a real run on a fresh vault with the default (production) KDF and a
//! few embedded sample records, ending with a scan of the vault's files for any of the
//! sample text in clear.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use safekeep_core::forms::{EntryKind, Mode, NewEntry, parse_text_answers};
use safekeep_core::records::Choice;
use safekeep_core::sync::{Role, SyncError, bundle};
use safekeep_core::{
    Answers, Changes, FormRef, Passphrase, RecordFilter, RecordId, Unlock, Value, Vault, VaultError,
};

use crate::{CliResult, Failure, options, output};

/// Three identifications from an operation at a brick kiln, as `safekeep add --answer`
/// takes them (NAME=VALUE, typed by the built-in identification form). Invented
/// people; the Devanagari spelling shows that non-Latin text never reaches the disk in
/// clear. The third is the second boy, identified again at the gate by another worker.
const IDENTIFICATIONS: &[&[&str]] = &[
    &[
        "name=आशा देवी",
        "alias=Asha",
        "sex=female",
        "age=14",
        "age_estimated=yes",
        "nationality=IN",
        "languages=hi other",
        "languages_other=Bhojpuri",
        "interpreter_needed=no",
        "operation_date=2026-11-02",
        "place=Kiln 7, Rampur brick field",
        "place_type=brick_kiln",
        "exploitation_type=bonded_labour child_labour",
        "labour_sector=manufacturing",
        "indicators=debt withheld_documents restricted_movement",
        "companions=2",
        "sibling_group=no",
        "notes=Owner holds her Aadhaar card; says the family owes 40,000 rupees",
    ],
    &[
        "name=Ravi Kumar Manjhi",
        "sex=male",
        "age=16",
        "age_estimated=yes",
        "nationality=IN",
        "languages=hi",
        "operation_date=2026-11-02",
        "place=Kiln 7, Rampur brick field",
        "place_type=brick_kiln",
        "exploitation_type=bonded_labour",
        "labour_sector=manufacturing",
        "indicators=debt threats",
        "companions=2",
        "notes=Wants to go home to Gaya",
    ],
    &[
        "name=Ravee Manjhi",
        "sex=male",
        "age=15",
        "operation_date=2026-11-02",
        "place=Kiln 7 gate",
        "companions=2",
    ],
];

/// A save the form refuses: no name, an impossible age, a choice not in the list.
const REFUSED: &[&str] = &["age=130", "sex=unknown_value", "operation_date=2026-11-02"];

const SERVICE: &[&str] = &[
    "service_type=counselling",
    "status=delivered",
    "service_date=2026-11-05",
    "provider=Shelter counsellor, Varanasi",
    "follow_up_date=2026-11-19",
];

/// What the coordinator's laptop and the field phone each write about the first person
/// while apart: the same answer, changed on both.
const LAPTOP_NOTE: &str = "Aadhaar card still with the kiln owner; police informed";
const PHONE_NOTE: &str = "Aadhaar card returned to her at the shelter";

fn pairs<'a>(lines: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    lines.iter().filter_map(|l| l.split_once('=')).collect()
}

/// Types the sample answers with `form` (the sample is tested to parse).
fn typed(vault: &Vault, form: &FormRef, lines: &[&str]) -> CliResult<Answers> {
    let form = vault.resolve_form(form)?;
    let (answers, problems) = parse_text_answers(&form, pairs(lines));
    if let Some(p) = problems.first() {
        return Err(Failure::new(format!(
            "the demo's sample answer '{}' does not fit the form",
            p.question
        )));
    }
    Ok(answers)
}

fn fresh_dir() -> CliResult<PathBuf> {
    let suffix: [u8; 4] =
        safekeep_core::crypto::make_random().map_err(|e| Failure::new(e.to_string()))?;
    let tag: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(std::env::temp_dir().join(format!("safekeep-demo-{tag}")))
}

/// Every free-text answer of the sample (typed by its form), as it would appear in
/// clear.
fn sample_texts(vault: &Vault) -> CliResult<Vec<String>> {
    let identification = FormRef::new("victim_identification");
    let service = FormRef::new("restoration_service");
    let mut out = Vec::new();
    let samples = IDENTIFICATIONS
        .iter()
        .map(|lines| (&identification, *lines))
        .chain(std::iter::once((&service, SERVICE)));
    for (form, lines) in samples {
        for value in typed(vault, form, lines)?.into_values() {
            if let Value::Text(text) = value {
                out.push(text);
            }
        }
    }
    Ok(out)
}

/// Files under `dir` that contain any of `needles` as UTF-8 or UTF-16 (LE or BE).
fn scan_for_clear_text(
    dir: &Path,
    needles: &[String],
) -> std::io::Result<(usize, u64, Vec<String>)> {
    let mut files = 0;
    let mut bytes = 0;
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let content = std::fs::read(entry.path())?;
            files += 1;
            bytes += content.len() as u64;
            for needle in needles {
                let utf8 = needle.as_bytes().to_vec();
                let le: Vec<u8> = needle
                    .encode_utf16()
                    .flat_map(|u| u.to_le_bytes())
                    .collect();
                let be: Vec<u8> = needle
                    .encode_utf16()
                    .flat_map(|u| u.to_be_bytes())
                    .collect();
                if [utf8, le, be]
                    .iter()
                    .any(|n| content.windows(n.len()).any(|w| w == n.as_slice()))
                {
                    found.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
        }
    }
    Ok((files, bytes, found))
}

/// One offline exchange: `from` writes what `to` lacks (by `to`'s summary text) as
/// bundle files in `folder`, and `to` imports them. Returns files and ops applied.
fn carry(from: &Vault, to: &Vault, folder: &Path, tag: &str) -> CliResult<(usize, u64)> {
    let theirs = from.read_summary(&to.summary_text()?)?;
    let mut bundles = Vec::new();
    from.export_bundles(Some(&theirs), bundle::DEFAULT_MAX_BYTES, |_, bytes| {
        bundles.push(bytes);
        Ok(())
    })?;
    let mut applied = 0;
    for (i, bytes) in bundles.iter().enumerate() {
        let path = folder.join(format!("{tag}-{}.skb", i + 1));
        std::fs::write(&path, bytes).map_err(|e| Failure::new(format!("demo bundle: {e}")))?;
        let read = std::fs::read(&path).map_err(|e| Failure::new(format!("demo bundle: {e}")))?;
        applied += to.import_bundle(&read)?.applied;
    }
    Ok((bundles.len(), applied))
}

fn set_notes(vault: &Vault, id: RecordId, text: &str) -> CliResult {
    let mut changes = Changes::new();
    changes.insert("notes".into(), Some(Value::Text(text.into())));
    vault.edit_answers(id, changes, Mode::Final, None)?;
    Ok(())
}

/// A field phone (a second vault in `phone_dir`) joins the laptop's team; both change
/// the first person's notes while apart; the conflict shows on both; the coordinator
/// keeps the phone's value and the next exchange settles it everywhere.
fn second_device(
    laptop: &Vault,
    person: RecordId,
    phone_dir: &Path,
    passphrase: &Passphrase,
) -> CliResult {
    let team = laptop.create_team("Rampur rescue team", None)?;
    let invite = laptop.create_invite(Role::Field, Duration::from_secs(3600))?;
    let (phone, _) = Vault::create(&phone_dir.join("vault"), passphrase, options())?;
    phone.join_team(&invite.invite, &invite.secret)?;
    println!(
        "    team \"{}\" created on the laptop; the phone joined with an invite and its secret",
        team.name
    );
    let folder = phone_dir.join("usb");
    std::fs::create_dir_all(&folder).map_err(|e| Failure::new(format!("demo folder: {e}")))?;
    let (files, ops) = carry(laptop, &phone, &folder, "laptop")?;
    println!("    laptop -> phone: {files} bundle file(s), {ops} op(s) applied");

    set_notes(&phone, person, PHONE_NOTE)?;
    set_notes(laptop, person, LAPTOP_NOTE)?;
    carry(&phone, laptop, &folder, "phone")?;
    carry(laptop, &phone, &folder, "laptop-2")?;
    let conflicts = laptop.conflicts()?;
    let Some(conflict) = conflicts.first() else {
        return Err(Failure::new("the demo's concurrent edits made no conflict"));
    };
    if phone.conflicts()? != conflicts {
        return Err(Failure::new("the demo's devices list different conflicts"));
    }
    println!(
        "    both changed the first person's notes while apart: conflict {} on both devices",
        conflict.id
    );
    for (i, value) in conflict.values.iter().enumerate() {
        let text = value
            .value
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        println!(
            "      {}. device {}  {text}",
            i + 1,
            output::short_device(&value.device)
        );
    }
    match phone.resolve(&conflict.id, Choice::Keep("1".into())) {
        Err(SyncError::NotCoordinator(_)) => {
            println!("    the phone cannot resolve it: only a coordinator can")
        }
        Err(e) => return Err(e.into()),
        Ok(()) => return Err(Failure::new("the demo's field phone resolved a conflict")),
    }
    let phone_device = phone.device_id()?;
    let Some(kept) = conflict.values.iter().find(|v| v.device == phone_device) else {
        return Err(Failure::new("the demo's conflict lacks the phone's value"));
    };
    laptop.resolve(&conflict.id, Choice::Keep(kept.id.clone()))?;
    carry(laptop, &phone, &folder, "laptop-3")?;
    let (a, b) = (laptop.get(person)?, phone.get(person)?);
    if !laptop.conflicts()?.is_empty()
        || !phone.conflicts()?.is_empty()
        || a.answers() != b.answers()
    {
        return Err(Failure::new("the demo's devices did not converge"));
    }
    println!(
        "    the coordinator kept the phone's value; after the next exchange both show: {}",
        a.answer("notes").map(Value::to_string).unwrap_or_default()
    );
    phone.close()?;
    Ok(())
}

pub fn run(dir: Option<&Path>) -> CliResult {
    let dir = match dir {
        Some(d) => d.to_owned(),
        None => fresh_dir()?,
    };
    if Vault::exists(&dir) {
        return Err(VaultError::AlreadyExists.into());
    }
    const DEMO_PASSPHRASE: &str = "demo only: kiln seven rescue";
    let chosen = std::env::var("SAFEKEEP_PASSPHRASE")
        .ok()
        .map(zeroize::Zeroizing::new);
    let passphrase = Passphrase::new(chosen.as_deref().map_or(DEMO_PASSPHRASE, |p| p.as_str()));

    println!("1. Creating a vault in {}", dir.display());
    let started = Instant::now();
    let (vault, recovery) = Vault::create(&dir, &passphrase, options())?;
    println!(
        "   created in {} ms (Argon2id key derivation included)",
        started.elapsed().as_millis()
    );
    println!(
        "   recovery key (normally shown once, for the coordinator): {}",
        recovery.to_display_string()
    );
    drop(recovery);
    vault.close()?;

    let started = Instant::now();
    let vault = Vault::open(&dir, Unlock::Passphrase(&passphrase), options())?;
    println!(
        "2. Unlocked with the passphrase in {} ms",
        started.elapsed().as_millis()
    );

    println!("3. Saving three identifications from an operation at a brick kiln");
    let identification = FormRef::new("victim_identification");
    let mut ids = Vec::new();
    for lines in IDENTIFICATIONS {
        let saved = vault.submit(
            NewEntry {
                case: None,
                kind: EntryKind::Submission,
                form: identification.clone(),
                answers: typed(&vault, &identification, lines)?,
                mode: Mode::Final,
            },
            None,
        )?;
        println!(
            "   case {}  identification {} (form {} version {})",
            saved.case,
            saved.record,
            saved.form.id,
            saved.form.version.as_deref().unwrap_or("-")
        );
        ids.push((saved.case, saved.record));
    }
    let minor = vault.get(ids[0].1)?;
    println!(
        "   the form computed minor = {} for the first person (age 14)",
        minor
            .answer("minor")
            .map(Value::to_string)
            .unwrap_or_default()
    );

    println!("4. A save the form refuses, with every problem (in Hindi), and nothing stored");
    let refused = vault.submit(
        NewEntry {
            case: None,
            kind: EntryKind::Submission,
            form: identification.clone(),
            answers: parse_text_answers(&vault.resolve_form(&identification)?, pairs(REFUSED)).0,
            mode: Mode::Final,
        },
        Some("hi"),
    );
    match refused {
        Err(safekeep_core::forms::SubmitError::Invalid(problems)) => {
            for p in problems {
                println!("   {}: {}", p.question, p.message);
            }
        }
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(Failure::new("the demo's invalid sample was accepted")),
    }

    println!("5. Logging a counselling session for the first person");
    let service_form = FormRef::new("restoration_service");
    let service = vault.submit(
        NewEntry {
            case: Some(ids[0].0),
            kind: EntryKind::ServiceEntry,
            form: service_form.clone(),
            answers: typed(&vault, &service_form, SERVICE)?,
            mode: Mode::Final,
        },
        None,
    )?;
    println!("   service entry {}", service.record);

    println!("6. Correcting the second person's age after a medical age assessment");
    let mut changes = Changes::new();
    changes.insert("age".into(), Some(Value::Integer(17)));
    changes.insert("age_estimated".into(), Some(Value::Choice("no".into())));
    vault.edit_answers(ids[1].1, changes, Mode::Final, None)?;

    println!("7. Searching by other spellings (the name index lives in memory only)");
    for query in ["Aasha", "asha devi", "Ravi Manjhee"] {
        let found = vault.search(query, 3)?;
        let names: Vec<String> = found
            .iter()
            .map(|m| format!("{} ({:.0}%)", m.name, m.score * 100.0))
            .collect();
        println!("   {query:<14} -> {}", names.join(", "));
    }

    println!("8. Likely duplicates of the third identification, and linking the best one");
    let candidates = vault.duplicates(ids[2].1, 3)?;
    for c in &candidates {
        println!("   case {}  {:.0}%  {}", c.case, c.score * 100.0, c.name);
    }
    if let Some(best) = candidates.first() {
        vault.link(ids[2].0, best.case, true)?;
    }
    let persons = vault.persons()?;
    println!(
        "   {} person(s) in {} case(s)",
        persons.len(),
        persons.iter().map(Vec::len).sum::<usize>()
    );

    println!("9. Listing the vault");
    let records = vault.list(&RecordFilter::default())?;
    let missing: Vec<Option<usize>> = records
        .iter()
        .map(|r| {
            r.form
                .as_ref()
                .and_then(|_| vault.missing_to_finalize(r, None).ok())
                .map(|m| m.len())
        })
        .collect();
    output::print_table(&records, &missing);

    println!("10. The second identification, with its history");
    output::print_record(&vault.get(ids[1].1)?);
    output::print_history(&vault.history(ids[1].1)?);

    println!("11. Checking the vault");
    let report = vault.check()?;
    output::print_check(&report);
    let mut needles = sample_texts(&vault)?;
    needles.extend([LAPTOP_NOTE.to_owned(), PHONE_NOTE.to_owned()]);

    println!("12. A field phone joins the team; one exchange of bundle files, with a conflict");
    let phone_dir = tempfile::Builder::new()
        .prefix("safekeep-demo-phone-")
        .tempdir()
        .map_err(|e| Failure::new(format!("demo folder: {e}")))?;
    second_device(&vault, ids[0].1, phone_dir.path(), &passphrase)?;
    vault.close()?;

    println!(
        "13. Scanning every file of both vaults and the bundle files for the sample text in clear"
    );
    let mut files = 0;
    let mut bytes = 0;
    let mut found = Vec::new();
    for folder in [dir.as_path(), phone_dir.path()] {
        let (f, b, mut hits) = scan_for_clear_text(folder, &needles)
            .map_err(|e| Failure::new(format!("scan: {e}")))?;
        files += f;
        bytes += b;
        found.append(&mut hits);
    }
    if found.is_empty() {
        println!(
            "    {files} file(s), {bytes} bytes: none of the {} sample texts is readable",
            needles.len()
        );
    } else {
        return Err(Failure::new(format!(
            "sample text found in clear in: {}",
            found.join(", ")
        )));
    }
    if !report.is_ok() {
        return Err(Failure {
            message: "the vault check found problems".into(),
            code: 6,
        });
    }
    println!();
    println!("Done. The vault stays in {} ; try:", dir.display());
    if chosen.is_some() {
        // Never echo a passphrase the person chose.
        println!(
            "  safekeep --vault {} list   (with your SAFEKEEP_PASSPHRASE)",
            dir.display()
        );
    } else {
        println!(
            "  SAFEKEEP_PASSPHRASE='{DEMO_PASSPHRASE}' safekeep --vault {} list",
            dir.display()
        );
    }
    Ok(())
}
