//! Forms in a vault: an organisation loads its own XLSForm; the vault keeps it sealed,
//! keeps older versions for old submissions, and refuses a broken form whole.

mod common;

use common::*;
use safekeep_core::forms::FormFormat;
use safekeep_core::forms::registry::RegistryError;

fn form_json(version: &str, label: &str) -> String {
    format!(
        r#"{{"survey": [{{"type": "text", "name": "shelter_name", "label::English (en)": "{label}"}},
                        {{"type": "integer", "name": "beds", "constraint": ". > 0"}}],
            "settings": [{{"form_id": "kolkata_shelter_visit", "version": "{version}"}}]}}"#
    )
}

#[test]
fn a_coordinator_loads_two_versions_of_a_form_and_both_stay_usable() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let v1 = vault
        .load_form(
            form_json("2026.1", "Name of the Sonagachi shelter").as_bytes(),
            FormFormat::Json,
            "x",
        )
        .unwrap();
    assert_eq!(
        (v1.id.as_str(), v1.version.as_deref(), v1.builtin),
        ("kolkata_shelter_visit", Some("2026.1"), false)
    );
    vault
        .load_form(
            form_json("2026.10", "Shelter name").as_bytes(),
            FormFormat::Json,
            "x",
        )
        .unwrap();
    // Loading the same id and version again replaces it.
    vault
        .load_form(
            form_json("2026.10", "Name of the shelter").as_bytes(),
            FormFormat::Json,
            "x",
        )
        .unwrap();
    vault.close().unwrap();

    let vault = reopen(dir.path());
    let loaded: Vec<_> = vault
        .forms()
        .unwrap()
        .into_iter()
        .filter(|f| !f.builtin)
        .collect();
    assert_eq!(loaded.len(), 2);
    let latest = vault.form("kolkata_shelter_visit", None).unwrap().unwrap();
    assert_eq!(
        latest.version.as_deref(),
        Some("2026.10"),
        "2026.10 is newer than 2026.1"
    );
    let label = &latest.question("shelter_name").unwrap().label;
    assert_eq!(label.get(None, None), Some("Name of the shelter"));
    let old = vault
        .form("kolkata_shelter_visit", Some("2026.1"))
        .unwrap()
        .unwrap();
    assert_eq!(
        old.question("shelter_name").unwrap().label.get(None, None),
        Some("Name of the Sonagachi shelter")
    );
    assert!(vault.form("no_such_form", None).unwrap().is_none());
    vault.close().unwrap();

    for text in ["kolkata_shelter_visit", "Sonagachi", "shelter_name"] {
        assert!(
            files_containing_text(dir.path(), text).is_empty(),
            "a form's text is on disk in clear"
        );
    }
}

#[test]
fn a_broken_form_is_refused_whole_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let broken = r#"{"survey": [{"type": "integer", "name": "age", "relevant": "${agee} > 1"}],
                     "settings": [{"form_id": "broken"}]}"#;
    let err = vault
        .load_form(broken.as_bytes(), FormFormat::Json, "broken")
        .unwrap_err();
    match err {
        RegistryError::Invalid(e) => assert_eq!(e.problems[0].column.as_deref(), Some("relevant")),
        other => panic!("expected the form's problems, got {other}"),
    }
    assert!(vault.forms().unwrap().iter().all(|f| f.builtin));
    vault.lock();
    assert!(matches!(vault.forms(), Err(RegistryError::Locked)));
}

fn reopen(dir: &std::path::Path) -> safekeep_core::Vault {
    safekeep_core::Vault::open(
        dir,
        safekeep_core::Unlock::Passphrase(&passphrase()),
        options(),
    )
    .unwrap()
}

#[test]
fn check_opens_every_loaded_form_and_names_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    vault
        .load_form(form_json("1", "Beds").as_bytes(), FormFormat::Json, "x")
        .unwrap();
    let before = vault.check().unwrap();
    assert!(before.is_ok());
    vault.close().unwrap();
    {
        let db = rusqlite::Connection::open(dir.path().join("vault.db")).unwrap();
        let mut body: Vec<u8> = db
            .query_row("SELECT body FROM forms", [], |r| r.get(0))
            .unwrap();
        body[30] ^= 1;
        db.execute("UPDATE forms SET body = ?1", [body]).unwrap();
    }
    let vault = reopen(dir.path());
    let report = vault.check().unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.damaged.len(), 1);
    assert_eq!(report.damaged[0].0, "forms");
    assert!(matches!(vault.forms(), Err(RegistryError::Damaged)));
}
