//! `safekeep demo`: a real run on a fresh vault with the default (production) KDF and a
//! few embedded sample records, ending with a scan of the vault's files for any of the
//! sample text in clear.

use std::path::{Path, PathBuf};
use std::time::Instant;

use safekeep_core::{
    Answers, Changes, FormRef, Passphrase, RecordFilter, Unlock, Value, Vault, VaultError,
};

use crate::{CliResult, Failure, answers, options, output};

/// Three people identified at an operation at a brick kiln, in the KEY:TYPE=VALUE form
/// that `safekeep add --answer` takes. Invented people; the Devanagari spellings are
/// there to show non-Latin text never reaches the disk in clear.
const IDENTIFICATIONS: &[&[&str]] = &[
    &[
        "name=आशा देवी",
        "alias=Asha",
        "sex:choice=female",
        "age:integer=14",
        "age_estimated:boolean=true",
        "nationality:choice=IN",
        "languages:choices=hi,bho",
        "interpreter_needed:boolean=false",
        "exploitation_type:choice=bonded_labour",
        "indicators:choices=debt,withheld_documents,restricted_movement",
        "found_at=Kiln 7, Rampur brick field",
        "operation_date:date=2026-11-02",
        "location:location=25.3176,82.9739",
        "notes=Owner holds her Aadhaar card; says the family owes 40,000 rupees",
    ],
    &[
        "name=Ravi Kumar Manjhi",
        "sex:choice=male",
        "age:integer=16",
        "age_estimated:boolean=true",
        "nationality:choice=IN",
        "languages:choices=hi",
        "exploitation_type:choice=bonded_labour",
        "indicators:choices=debt,threats",
        "found_at=Kiln 7, Rampur brick field",
        "operation_date:date=2026-11-02",
        "notes=Brother of the girl found at the moulding line; wants to go home to Gaya",
    ],
    &[
        "name=Ravi K. Manjhi",
        "sex:choice=male",
        "age:integer=16",
        "found_at=Kiln 7 gate",
        "operation_date:date=2026-11-02",
        "notes=Entered twice by mistake",
    ],
];

const SERVICE: &[&str] = &[
    "service_type:choice=counselling",
    "service_date:date=2026-11-05",
    "provider=Shelter counsellor, Varanasi",
    "status:choice=delivered",
    "follow_up_date:date=2026-11-19",
];

fn parse(lines: &[&str]) -> CliResult<Answers> {
    let owned: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    answers::parse_all(&owned)
}

fn fresh_dir() -> CliResult<PathBuf> {
    let suffix: [u8; 4] =
        safekeep_core::crypto::make_random().map_err(|e| Failure::new(e.to_string()))?;
    let tag: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(std::env::temp_dir().join(format!("safekeep-demo-{tag}")))
}

/// Every text answer of the sample, as it would appear in clear.
fn sample_texts() -> CliResult<Vec<String>> {
    let mut out = Vec::new();
    for lines in IDENTIFICATIONS.iter().chain(std::iter::once(&SERVICE)) {
        for (_, value) in parse(lines)? {
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
    let form = FormRef {
        id: "victim_identification".into(),
        version: Some("2026-11".into()),
    };
    let mut ids = Vec::new();
    for lines in IDENTIFICATIONS {
        let answers = parse(lines)?;
        let (case, id) = vault.batch(|b| {
            let case = b.create_case(Answers::new())?;
            Ok((case, b.add_submission(case, form.clone(), answers)?))
        })?;
        println!("   case {case}  identification {id}");
        ids.push((case, id));
    }

    println!("4. Logging a counselling session for the first person");
    let service = vault.add_service_entry(
        ids[0].0,
        FormRef::new("restoration_service"),
        parse(SERVICE)?,
    )?;
    println!("   service entry {service}");

    println!("5. Correcting the second person's age after a medical age assessment");
    let mut changes = Changes::new();
    changes.insert("age".into(), Some(Value::Integer(17)));
    changes.insert("age_estimated".into(), Some(Value::Boolean(false)));
    vault.edit(ids[1].1, changes)?;

    println!("6. Deleting the third case, entered twice by mistake");
    vault.delete(ids[2].0)?;

    println!("7. Listing the vault");
    output::print_table(&vault.list(&RecordFilter::default())?);

    println!("8. The second identification, with its history");
    output::print_record(&vault.get(ids[1].1)?);
    output::print_history(&vault.history(ids[1].1)?);

    println!("9. Checking the vault");
    let report = vault.check()?;
    output::print_check(&report);
    vault.close()?;

    println!("10. Scanning every file in the vault folder for the sample text in clear");
    let needles = sample_texts()?;
    let (files, bytes, found) =
        scan_for_clear_text(&dir, &needles).map_err(|e| Failure::new(format!("scan: {e}")))?;
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
