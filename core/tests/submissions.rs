//! Records filled with forms: checked against the exact form version, drafts, every
//! problem at once with nothing stored; persons: search across spellings, duplicates,
//! linking as the same person, and no name in clear on disk.

mod common;

use common::*;
use safekeep_core::forms::{EntryKind, FormFormat, Mode, NewEntry, ProblemKind, SubmitError};
use safekeep_core::{Answers, Changes, FormRef, RecordFilter, Unlock, Value, Vault};

fn identification(answers: Answers, mode: Mode) -> NewEntry {
    NewEntry {
        case: None,
        kind: EntryKind::Submission,
        form: FormRef::new("victim_identification"),
        answers,
        mode,
    }
}

fn choice(s: &str) -> Value {
    Value::Choice(s.into())
}

#[test]
fn a_minor_is_flagged_and_the_form_version_is_kept_with_the_submission() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let saved = vault
        .submit(
            identification(
                answers(&[
                    ("name", text("Asha")),
                    ("age", Value::Integer(14)),
                    ("sex", choice("female")),
                ]),
                Mode::Final,
            ),
            None,
        )
        .unwrap();
    assert!(saved.new_case && saved.is_complete());
    let record = vault.get(saved.record).unwrap();
    assert_eq!(record.answer("minor"), Some(&text("yes")));
    assert_eq!(
        record.form,
        Some(FormRef {
            id: "victim_identification".into(),
            version: Some("2026.11.1".into())
        })
    );
    assert_eq!(record.case, Some(saved.case));
}

#[test]
fn a_refused_save_lists_every_problem_in_hindi_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let sealed_before = vault.check().unwrap().sealed_values_ok;
    let err = vault
        .submit(
            identification(
                answers(&[
                    ("age", Value::Integer(130)),
                    ("sex", choice("unknown_value")),
                    ("village", text("Rampur")),
                    ("operation_date", text("yesterday")),
                ]),
                Mode::Final,
            ),
            Some("hi"),
        )
        .unwrap_err();
    let SubmitError::Invalid(problems) = err else {
        panic!("expected the answers to be refused")
    };
    let mut found: Vec<(&str, ProblemKind)> = problems
        .iter()
        .map(|p| (p.question.as_str(), p.kind))
        .collect();
    found.sort_by_key(|(q, _)| *q);
    assert_eq!(
        found,
        [
            ("age", ProblemKind::Constraint),
            ("name", ProblemKind::Required),
            ("operation_date", ProblemKind::Type),
            ("sex", ProblemKind::UnknownChoice),
            ("village", ProblemKind::UnknownQuestion),
        ]
    );
    let age = problems.iter().find(|p| p.question == "age").unwrap();
    assert_eq!(age.message, "आयु वर्षों में, 0 से 120 के बीच होनी चाहिए।");
    assert!(vault.list(&RecordFilter::default()).unwrap().is_empty());
    assert_eq!(
        vault.check().unwrap().sealed_values_ok,
        sealed_before,
        "nothing was sealed for a refused save"
    );
}

#[test]
fn a_draft_is_saved_incomplete_and_finalized_later() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let consent = FormRef::new("consent");
    let entry = |answers, mode| NewEntry {
        case: None,
        kind: EntryKind::Submission,
        form: consent.clone(),
        answers,
        mode,
    };
    let partial = answers(&[("consent_services", choice("yes"))]);
    assert!(matches!(
        vault.submit(entry(partial.clone(), Mode::Final), None),
        Err(SubmitError::Invalid(_))
    ));
    let saved = vault.submit(entry(partial, Mode::Draft), None).unwrap();
    assert!(!saved.is_complete());
    let record = vault.get(saved.record).unwrap();
    let missing = vault.missing_to_finalize(&record, None).unwrap();
    assert!(missing.iter().all(|p| p.kind == ProblemKind::Required));
    assert!(missing.iter().any(|p| p.question == "consent_photos"));

    // A draft still refuses what is wrong, not only what is missing.
    let mut wrong = Changes::new();
    wrong.insert("consent_photos".into(), Some(choice("maybe")));
    assert!(matches!(
        vault.edit_answers(saved.record, wrong, Mode::Draft, None),
        Err(SubmitError::Invalid(_))
    ));

    let mut rest = Changes::new();
    for (name, value) in [
        ("consent_sharing", choice("no")),
        ("consent_reporting", choice("yes")),
        ("consent_photos", choice("no")),
        ("given_by", choice("person")),
        (
            "consent_date",
            Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()),
        ),
    ] {
        rest.insert(name.into(), Some(value));
    }
    let finished = vault
        .edit_answers(saved.record, rest, Mode::Final, None)
        .unwrap();
    assert!(finished.is_complete());
    let record = vault.get(saved.record).unwrap();
    assert!(vault.missing_to_finalize(&record, None).unwrap().is_empty());
}

#[test]
fn finalizing_an_edit_clears_answers_that_are_no_longer_relevant() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let saved = vault
        .submit(
            identification(
                answers(&[
                    ("name", text("Ravi")),
                    ("age", Value::Integer(16)),
                    ("age_estimated", choice("yes")),
                ]),
                Mode::Final,
            ),
            None,
        )
        .unwrap();
    let mut changes = Changes::new();
    changes.insert("age".into(), None);
    vault
        .edit_answers(saved.record, changes, Mode::Final, None)
        .unwrap();
    let record = vault.get(saved.record).unwrap();
    assert_eq!(record.answer("age"), None);
    assert_eq!(
        record.answer("age_estimated"),
        None,
        "age_estimated is only asked when an age is given"
    );
    assert_eq!(record.answer("minor"), None, "the calculation follows");
}

const SHELTER_V1: &str = r#"{
  "survey": [
    {"type": "text", "name": "shelter", "label": "Shelter", "required": "yes"},
    {"type": "integer", "name": "beds", "label": "Beds", "constraint": ". <= 20"}
  ],
  "settings": [{"form_id": "shelter_visit", "version": "1"}]
}"#;

const SHELTER_V2: &str = r#"{
  "survey": [
    {"type": "text", "name": "shelter", "label": "Shelter", "required": "yes"},
    {"type": "integer", "name": "beds", "label": "Beds", "constraint": ". <= 50"},
    {"type": "date", "name": "inspected", "label": "Inspected on", "required": "yes"}
  ],
  "settings": [{"form_id": "shelter_visit", "version": "2"}]
}"#;

#[test]
fn a_submission_made_with_an_older_form_version_stays_editable_against_it() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let case = vault.create_case(Answers::new()).unwrap();
    vault
        .load_form(SHELTER_V1.as_bytes(), FormFormat::Json, "x")
        .unwrap();
    let entry = |answers| NewEntry {
        case: Some(case),
        kind: EntryKind::Submission,
        form: FormRef::new("shelter_visit"),
        answers,
        mode: Mode::Final,
    };
    let old = vault
        .submit(entry(answers(&[("shelter", text("Asha Kiran"))])), None)
        .unwrap();
    assert_eq!(old.form.version.as_deref(), Some("1"));
    vault
        .load_form(SHELTER_V2.as_bytes(), FormFormat::Json, "x")
        .unwrap();
    // New submissions take the newest version, which requires an inspection date.
    assert!(matches!(
        vault.submit(entry(answers(&[("shelter", text("Prerana"))])), None),
        Err(SubmitError::Invalid(_))
    ));
    // The old one is edited against version 1: no inspection date, at most 20 beds.
    let mut beds = Changes::new();
    beds.insert("beds".into(), Some(Value::Integer(12)));
    vault
        .edit_answers(old.record, beds, Mode::Final, None)
        .unwrap();
    let mut too_many = Changes::new();
    too_many.insert("beds".into(), Some(Value::Integer(30)));
    assert!(matches!(
        vault.edit_answers(old.record, too_many, Mode::Final, None),
        Err(SubmitError::Invalid(_))
    ));
    let screen = vault.render_record(old.record, None).unwrap();
    let names: Vec<&str> = screen.questions.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["shelter", "beds"]);
    assert_eq!(
        vault.get(old.record).unwrap().answer("beds"),
        Some(&Value::Integer(12))
    );
}

fn identify_person(
    vault: &Vault,
    name: &str,
    sex: &str,
    age: i64,
) -> (safekeep_core::RecordId, safekeep_core::RecordId) {
    let saved = vault
        .submit(
            identification(
                answers(&[
                    ("name", text(name)),
                    ("sex", choice(sex)),
                    ("age", Value::Integer(age)),
                    ("nationality", choice("IN")),
                ]),
                Mode::Final,
            ),
            None,
        )
        .unwrap();
    (saved.case, saved.record)
}

#[test]
fn a_person_is_found_by_another_spelling_and_the_index_follows_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (lakshmi, lakshmi_id) = identify_person(&vault, "Lakshmi Devi", "female", 15);
    let (mohammad, _) = identify_person(&vault, "Mohammad Rafiq", "male", 17);
    identify_person(&vault, "Rekha Kumari", "female", 14);

    let found = vault.search("Laxmi", 10).unwrap();
    assert_eq!(found.first().map(|m| m.case), Some(lakshmi));
    assert_eq!(found[0].name, "Lakshmi Devi");
    let found = vault.search("Mohd Rafik", 10).unwrap();
    assert_eq!(found.first().map(|m| m.case), Some(mohammad));
    assert!(
        vault
            .search("लक्ष्मी", 10)
            .unwrap()
            .iter()
            .any(|m| m.case == lakshmi)
    );

    // Saved after the index was built: found at once.
    let (sokha, _) = identify_person(&vault, "Sokha Chan", "female", 13);
    assert_eq!(vault.search("Sokhar", 10).unwrap()[0].case, sokha);
    // A corrected name replaces the old one in the index.
    let mut rename = Changes::new();
    rename.insert("name".into(), Some(text("Jyoti Sharma")));
    vault
        .edit_answers(lakshmi_id, rename, Mode::Final, None)
        .unwrap();
    assert!(
        vault
            .search("Lakshmi", 10)
            .unwrap()
            .iter()
            .all(|m| m.case != lakshmi)
    );
    assert_eq!(vault.search("Jyothi", 10).unwrap()[0].case, lakshmi);
    // Deleted persons are not found; after lock and unlock the index is rebuilt.
    vault.delete(sokha).unwrap();
    assert!(vault.search("Sokha", 10).unwrap().is_empty());
    vault.lock();
    assert!(vault.search("Jyoti", 10).is_err(), "locked");
    vault.unlock(Unlock::Passphrase(&passphrase())).unwrap();
    assert_eq!(vault.search("Jyoti", 10).unwrap()[0].case, lakshmi);
    vault.close().unwrap();

    for needle in [
        "Lakshmi", "Jyoti", "Sokha", "Mohammad", "Rafiq", "laksmi", "lxm", "jyti",
    ] {
        assert!(
            files_containing_text(dir.path(), needle).is_empty(),
            "{needle} in clear on disk"
        );
    }
}

#[test]
fn duplicates_are_ranked_and_a_link_makes_two_cases_one_person() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let (first, _) = identify_person(&vault, "Lakshmi Devi", "female", 15);
    let (brother, _) = identify_person(&vault, "Lakshman Dev", "male", 15);
    let (older, _) = identify_person(&vault, "Laxmi Devi", "female", 40);
    let (again, again_id) = identify_person(&vault, "Laxmi Devee", "female", 16);

    let ranked = vault.duplicates(again_id, 10).unwrap();
    let order: Vec<_> = ranked.iter().map(|c| c.case).collect();
    assert_eq!(order.first(), Some(&first), "{ranked:?}");
    let pos = |c| order.iter().position(|x| *x == c);
    assert!(
        pos(older).is_none_or(|p| p > 0) && pos(brother).is_none_or(|p| p > 0),
        "same name, different age or sex ranks lower: {ranked:?}"
    );
    assert!(!order.contains(&again), "not its own duplicate");

    vault.link(again, first, true).unwrap();
    assert_eq!(vault.get(again).unwrap().same_person, [first]);
    assert_eq!(vault.get(first).unwrap().same_person, [again]);
    let persons = vault.persons().unwrap();
    assert_eq!(persons.len(), 3, "four cases, three persons");
    assert!(
        vault
            .duplicates(again, 10)
            .unwrap()
            .iter()
            .all(|c| c.case != first),
        "a linked case is no longer suggested"
    );
    assert!(vault.link(again, again, true).is_err());
    assert!(
        vault.link(again, again_id, true).is_err(),
        "only cases are linked"
    );

    vault.link(first, again, false).unwrap();
    assert_eq!(vault.persons().unwrap().len(), 4);
    let report = vault.check().unwrap();
    assert!(
        report.is_ok(),
        "link ops replay to the stored state: {report:?}"
    );
}
