//! The `safekeep` command end to end, on real vault folders.

mod common;

use common::{files_containing_text, ok, run, safekeep};
use serde_json::Value as Json;

const NAME: &str = "शबनम परवीन";
const PLACE: &str = "Hotel Sagar, room 12, Kamathipura";
const NOTE: &str = "दलाल ने पहचान पत्र छीन लिया";

fn init(dir: &std::path::Path) -> String {
    let out = ok(safekeep(dir).arg("init"));
    out.lines()
        .map(str::trim)
        .find(|l| l.len() == 39 && l.matches('-').count() == 7)
        .expect("recovery key printed")
        .to_owned()
}

fn add(dir: &std::path::Path, extra: &[&str]) -> Json {
    add_form(dir, "victim_identification", extra)
}

#[test]
fn a_coordinator_records_edits_lists_and_deletes_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault");
    init(&vault);

    let first = add(
        &vault,
        &[
            "--answer",
            &format!("name={NAME}"),
            "--answer",
            "age=15",
            "--answer",
            "sex=female",
            "--answer",
            "indicators=debt withheld_documents",
            "--answer",
            "operation_date=2026-11-02",
            "--answer",
            "interpreter_needed=yes",
            "--answer",
            &format!("place={PLACE}"),
            "--answer",
            "notes=to be cleared",
        ],
    );
    assert_eq!(first["complete"], true);
    assert_eq!(first["version"], "2026.11.1", "the form version is stored");
    let case = first["case"].as_str().unwrap().to_owned();
    let id = first["submission"].as_str().unwrap().to_owned();
    let intake = ok(safekeep(&vault).args([
        "add",
        "--form",
        "crisis_intake",
        "--case",
        &case,
        "--answer",
        &format!("notes={NOTE}"),
    ]));
    assert!(intake.starts_with("submission "), "{intake}");
    assert!(
        !intake.contains("case "),
        "no new case when --case is given"
    );

    ok(safekeep(&vault).args(["edit", &id, "--answer", "age=16", "--clear", "notes"]));

    let shown: Json = serde_json::from_str(&ok(safekeep(&vault).args([
        "show",
        &id,
        "--json",
        "--history",
    ])))
    .unwrap();
    let answers = &shown["answers"];
    assert_eq!(answers["name"], NAME);
    assert_eq!(answers["age"], 16);
    assert_eq!(answers["minor"], "yes", "the form's calculation is stored");
    assert_eq!(
        answers["indicators"],
        serde_json::json!(["debt", "withheld_documents"])
    );
    assert_eq!(answers["operation_date"], "2026-11-02");
    assert_eq!(answers["interpreter_needed"], "yes");
    assert!(answers.get("notes").is_none(), "cleared");
    assert_eq!(shown["case"], case.as_str());
    assert_eq!(shown["history"].as_array().unwrap().len(), 2);

    let human = ok(safekeep(&vault).args(["show", &id]));
    assert!(
        human.contains(NAME) && human.contains("(integer)"),
        "{human}"
    );

    let list: Json = serde_json::from_str(&ok(safekeep(&vault).args(["list", "--json"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let intakes: Json = serde_json::from_str(&ok(safekeep(&vault).args([
        "list",
        "--json",
        "--form",
        "crisis_intake",
    ])))
    .unwrap();
    assert_eq!(intakes.as_array().unwrap().len(), 1);

    ok(safekeep(&vault).args(["delete", &case]));
    assert!(ok(safekeep(&vault).arg("list")).contains("no records"));
    let gone = run(safekeep(&vault).args(["show", &id]));
    assert_eq!(gone.status.code(), Some(4));

    let check = ok(safekeep(&vault).arg("check"));
    assert!(
        check.contains("check passed") && check.contains("insecure test KDF"),
        "{check}"
    );
    let check: Json =
        serde_json::from_str(&ok(safekeep(&vault).args(["check", "--json"]))).unwrap();
    assert_eq!(check["ok"], true);
    assert_eq!(check["insecure_test_kdf"], true);

    for secret in [NAME, PLACE, NOTE, "victim_identification", "crisis_intake"] {
        assert!(
            files_containing_text(&vault, secret).is_empty(),
            "found in clear on disk"
        );
    }
}

#[test]
fn passphrase_change_and_recovery_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    let recovery = init(&vault);
    let id = add(&vault, &["--answer", "name=Mina"])["submission"]
        .as_str()
        .unwrap()
        .to_owned();

    ok(safekeep(&vault)
        .arg("passwd")
        .env("SAFEKEEP_NEW_PASSPHRASE", "second passphrase"));
    let old = run(safekeep(&vault).arg("list"));
    assert_eq!(old.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&old.stderr).trim(),
        "safekeep: wrong passphrase"
    );
    ok(safekeep(&vault)
        .arg("list")
        .env("SAFEKEEP_PASSPHRASE", "second passphrase"));

    ok(safekeep(&vault)
        .arg("recover")
        .env("SAFEKEEP_RECOVERY_KEY", recovery.to_lowercase())
        .env("SAFEKEEP_NEW_PASSPHRASE", "third passphrase"));
    let shown = ok(safekeep(&vault)
        .args(["show", &id])
        .env("SAFEKEEP_PASSPHRASE", "third passphrase"));
    assert!(shown.contains("Mina"));
}

#[test]
fn duress_and_the_unlock_limit_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    init(&vault);
    add(&vault, &["--answer", "name=Sabina Yasmin"]);
    ok(safekeep(&vault)
        .arg("duress")
        .env("SAFEKEEP_DURESS_PASSPHRASE", "let me go"));
    let coerced = ok(safekeep(&vault)
        .arg("list")
        .env("SAFEKEEP_PASSPHRASE", "let me go"));
    assert!(coerced.contains("no records"), "{coerced}");
    assert!(files_containing_text(&vault, "Sabina").is_empty());
    assert_eq!(run(safekeep(&vault).arg("list")).status.code(), Some(3));

    let other = dir.path().join("w");
    init(&other);
    ok(safekeep(&other).args(["unlock-limit", "2"]));
    assert_eq!(
        run(safekeep(&other).arg("list").env("SAFEKEEP_PASSPHRASE", "x"))
            .status
            .code(),
        Some(3)
    );
    let wiped = run(safekeep(&other).arg("list").env("SAFEKEEP_PASSPHRASE", "x"));
    assert_eq!(wiped.status.code(), Some(5));
    assert_eq!(run(safekeep(&other).arg("list")).status.code(), Some(4));
}

#[test]
fn errors_are_one_clear_line_without_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    let cases: Vec<(Vec<String>, Option<i32>)> = vec![
        (vec!["list".into()], Some(4)),
        (vec!["show".into(), "not-an-id".into()], Some(1)),
    ];
    for (args, code) in cases {
        let out = run(safekeep(&vault).args(&args));
        assert_eq!(out.status.code(), code, "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"));
    }
    init(&vault);
    let secret = "Sunita Oraon";
    for bad in [
        format!("age={secret}"),
        format!("operation_date={secret}"),
        format!("village={secret}"),
        format!("sex={secret}"),
    ] {
        let out = run(safekeep(&vault).args([
            "add",
            "--form",
            "victim_identification",
            "--answer",
            &bad,
        ]));
        assert_eq!(out.status.code(), Some(7));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("Sunita") && !err.contains("Oraon"),
            "the value leaked into the error: {err}"
        );
    }
    let unknown = run(safekeep(&vault).args(["add", "--form", "f", "--answer", "a=b"]));
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&unknown.stderr).lines().count(), 1);
    let missing = run(safekeep(&vault).args(["show", "00000000000000000000000000000000"]));
    assert_eq!(missing.status.code(), Some(4));
    let no_vault = run(safekeep(&vault).arg("list").env_remove("SAFEKEEP_VAULT"));
    assert!(!no_vault.status.success());
}

#[test]
fn a_coordinator_lists_shows_and_loads_forms() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    init(&vault);
    let list = ok(safekeep(&vault).args(["forms", "list"]));
    for id in [
        "victim_identification",
        "crisis_intake",
        "restoration_service",
        "legal_milestone",
        "bonded_labour_release",
        "consent",
    ] {
        assert!(list.contains(id), "{id} missing from:\n{list}");
    }
    let shown =
        ok(safekeep(&vault).args(["forms", "show", "victim_identification", "--lang", "hi"]));
    assert!(
        shown.contains("name") && shown.contains("(required)"),
        "{shown}"
    );
    assert!(shown.contains("नाम"), "labels in Hindi:\n{shown}");

    let file = dir.path().join("shelter_visit.json");
    std::fs::write(
        &file,
        r#"{"survey": [{"type": "integer", "name": "beds", "label": "Beds", "constraint": ". > 0"}],
            "settings": [{"version": "3"}]}"#,
    )
    .unwrap();
    let loaded = ok(safekeep(&vault).args(["forms", "load"]).arg(&file));
    assert_eq!(loaded.trim(), "loaded shelter_visit version 3");
    let list: Json =
        serde_json::from_str(&ok(safekeep(&vault).args(["forms", "list", "--json"]))).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "shelter_visit" && f["builtin"] == false)
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{"survey": [{"type": "integer", "name": "a", "relevant": "${b} >"}]}"#,
    )
    .unwrap();
    let out = run(safekeep(&vault).args(["forms", "load"]).arg(&broken));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 2") && err.contains("relevant"), "{err}");
}

#[test]
fn a_refused_save_lists_every_problem_and_stores_nothing_and_a_draft_can_be_finished() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    init(&vault);
    let refused = run(safekeep(&vault).args([
        "add",
        "--form",
        "victim_identification",
        "--lang",
        "hi",
        "--answer",
        "age=130",
        "--answer",
        "sex=unknown_value",
        "--answer",
        "operation_date=2 Nov",
        "--answer",
        "village=Rampur",
    ]));
    assert_eq!(refused.status.code(), Some(7));
    let err = String::from_utf8_lossy(&refused.stderr);
    for expected in [
        "5 problem(s)",
        "name: required: व्यक्ति की पहचान के लिए नाम या उपनाम आवश्यक है।",
        "age: constraint: आयु वर्षों में, 0 से 120 के बीच होनी चाहिए।",
        "sex: unknown choice",
        "operation_date: type",
        "village: unknown question",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(ok(safekeep(&vault).arg("list")).contains("no records"));

    // Consent needs an answer per purpose: a draft is saved without them.
    let draft = add_form(
        &vault,
        "consent",
        &["--draft", "--answer", "consent_services=yes"],
    );
    assert_eq!(draft["complete"], false);
    let missing = draft["missing"].as_array().unwrap();
    assert!(missing.iter().any(|m| m == "consent_photos"), "{missing:?}");
    let case = draft["case"].as_str().unwrap().to_owned();
    let id = draft["submission"].as_str().unwrap().to_owned();
    let list: Json = serde_json::from_str(&ok(safekeep(&vault).args(["list", "--json"]))).unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap();
    assert_eq!(entry["complete"], false);
    assert!(ok(safekeep(&vault).arg("list")).contains("draft"));

    // Finalizing without the missing answers is refused and changes nothing.
    let refused = run(safekeep(&vault).args(["edit", &id, "--answer", "consent_sharing=no"]));
    assert_eq!(refused.status.code(), Some(7));
    let shown: Json =
        serde_json::from_str(&ok(safekeep(&vault).args(["show", &id, "--json"]))).unwrap();
    assert!(shown["answers"].get("consent_sharing").is_none());

    let out = ok(safekeep(&vault).args([
        "edit",
        &id,
        "-a",
        "consent_sharing=no",
        "-a",
        "consent_reporting=yes",
        "-a",
        "consent_photos=no",
        "-a",
        "given_by=person",
        "-a",
        "consent_date=2026-11-03",
    ]));
    assert!(!out.contains("draft"), "{out}");
    let list: Json = serde_json::from_str(&ok(
        safekeep(&vault).args(["list", "--json", "--case", &case])
    ))
    .unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap();
    assert_eq!(entry["complete"], true);
}

fn add_form(dir: &std::path::Path, form: &str, extra: &[&str]) -> Json {
    let out = ok(safekeep(dir)
        .args(["add", "--json", "--form", form])
        .args(extra));
    serde_json::from_str(&out).expect("json")
}

#[test]
fn a_coordinator_finds_a_person_by_another_spelling_and_links_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("v");
    init(&vault);
    let lakshmi = add(
        &vault,
        &[
            "-a",
            "name=Lakshmi Devi",
            "-a",
            "sex=female",
            "-a",
            "age=15",
            "-a",
            "nationality=IN",
        ],
    );
    add(&vault, &["-a", "name=Rekha Kumari", "-a", "sex=female"]);
    let again = add(
        &vault,
        &[
            "-a",
            "name=Laxmi Devee",
            "-a",
            "sex=female",
            "-a",
            "age=16",
            "-a",
            "nationality=IN",
        ],
    );
    let found: Json =
        serde_json::from_str(&ok(safekeep(&vault).args(["search", "laxmi", "--json"]))).unwrap();
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|m| m["name"] != "Rekha Kumari"));

    let first_case = lakshmi["case"].as_str().unwrap();
    let dups: Json = serde_json::from_str(&ok(safekeep(&vault).args([
        "duplicates",
        again["submission"].as_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    assert_eq!(dups[0]["case"], first_case, "{dups}");
    ok(safekeep(&vault).args(["link", again["case"].as_str().unwrap(), first_case]));
    let persons: Json =
        serde_json::from_str(&ok(safekeep(&vault).args(["persons", "--json"]))).unwrap();
    assert_eq!(persons["persons"], 2);
    assert_eq!(persons["cases"], 3);
    let dups: Json = serde_json::from_str(&ok(safekeep(&vault).args([
        "duplicates",
        again["case"].as_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    assert!(
        dups.as_array()
            .unwrap()
            .iter()
            .all(|d| d["case"] != first_case),
        "a linked case is no longer suggested: {dups}"
    );
    for secret in ["Lakshmi", "Laxmi", "Rekha", "lksm", "laksmi"] {
        assert!(
            files_containing_text(&vault, secret).is_empty(),
            "{secret} found in clear on disk"
        );
    }
}
