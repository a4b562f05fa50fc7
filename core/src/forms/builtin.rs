//! The built-in form pack: the forms every Safekeep install has before an organisation
//! loads its own, shipped inside the core as XLSForm JSON (`core/forms/<id>.json`, the
//! same rows and columns as an XLSForm spreadsheet, see [`super::sheets::from_json`]).
//!
//! | id | what it records |
//! |---|---|
//! | `victim_identification` | a person identified at a rescue operation |
//! | `crisis_intake` | crisis care in the first 72 hours |
//! | `restoration_service` | one entry in a person's service log |
//! | `legal_milestone` | one step of a legal case, per jurisdiction |
//! | `bonded_labour_release` | release certificate and rehabilitation (India) |
//! | `consent` | consent per purpose |
//!
//! Every form is labelled in English and Hindi (`label::English (en)`,
//! `label::Hindi (hi)`), with English as the default language. Choice lists follow the
//! international case-data standard where domain.md gives one: exploitation types and
//! indicators carry the CTDC category in a `ctdc` choice column, so de-identified
//! figures can be shared without remapping.
//!
//! The question names of `victim_identification` are a stable contract (exports,
//! reports and other tools read them): `name`, `alias`, `age`, `age_estimated`,
//! `minor`, `sex`, `nationality`, `languages`, `interpreter_needed`, `place`,
//! `place_type`, `operation_date`, `exploitation_type`, `indicators`, `companions`,
//! `sibling_group`, `consent_recorded`, `notes`. At an operation a social worker may
//! know nothing but a name or alias, so `name` is the only required question there.
//!
//! All forms carry the same `version` ([`VERSION`]); a changed form gets a new version,
//! so that submissions made with the old one stay readable against it.

use super::{Form, FormFormat, FormLoadError, load};

/// The version in the settings of every built-in form.
pub const VERSION: &str = "2026.11.1";

/// Form id of the identification of a person at an operation.
pub const VICTIM_IDENTIFICATION: &str = "victim_identification";
/// Form id of the crisis-care intake (first 72 hours).
pub const CRISIS_INTAKE: &str = "crisis_intake";
/// Form id of one entry in the restoration service log.
pub const RESTORATION_SERVICE: &str = "restoration_service";
/// Form id of one legal-case milestone.
pub const LEGAL_MILESTONE: &str = "legal_milestone";
/// Form id of the bonded-labour release and rehabilitation record (India).
pub const BONDED_LABOUR_RELEASE: &str = "bonded_labour_release";
/// Form id of consent per purpose.
pub const CONSENT: &str = "consent";

/// One built-in form: its id and its XLSForm JSON, embedded in the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinForm {
    /// The form id (also the `form_id` in the form's settings and the file name).
    pub id: &'static str,
    /// The form as XLSForm JSON.
    pub json: &'static str,
}

impl BuiltinForm {
    /// Loads and checks this form.
    pub fn load(&self) -> Result<Form, FormLoadError> {
        load(self.json.as_bytes(), FormFormat::Json, self.id)
    }
}

static BUILTIN: [BuiltinForm; 6] = [
    BuiltinForm {
        id: VICTIM_IDENTIFICATION,
        json: include_str!("../../forms/victim_identification.json"),
    },
    BuiltinForm {
        id: CRISIS_INTAKE,
        json: include_str!("../../forms/crisis_intake.json"),
    },
    BuiltinForm {
        id: RESTORATION_SERVICE,
        json: include_str!("../../forms/restoration_service.json"),
    },
    BuiltinForm {
        id: LEGAL_MILESTONE,
        json: include_str!("../../forms/legal_milestone.json"),
    },
    BuiltinForm {
        id: BONDED_LABOUR_RELEASE,
        json: include_str!("../../forms/bonded_labour_release.json"),
    },
    BuiltinForm {
        id: CONSENT,
        json: include_str!("../../forms/consent.json"),
    },
];

/// The built-in forms, in the order a case usually meets them.
pub fn builtin_forms() -> Vec<&'static BuiltinForm> {
    BUILTIN.iter().collect()
}

/// The built-in form with this id, if there is one.
pub fn find(id: &str) -> Option<&'static BuiltinForm> {
    BUILTIN.iter().find(|f| f.id == id)
}

/// Loads the built-in form with this id: `None` when there is no such form. The forms
/// are tested to load, so an error here is a bug in the pack.
pub fn load_builtin(id: &str) -> Option<Result<Form, FormLoadError>> {
    find(id).map(BuiltinForm::load)
}

/// Every built-in form, loaded. The tests prove that each loads; a form that did not
/// would be left out rather than stop the app.
pub fn all() -> Vec<Form> {
    loaded().to_vec()
}

/// The built-in forms, parsed once per process.
pub(crate) fn loaded() -> &'static [Form] {
    static FORMS: std::sync::OnceLock<Vec<Form>> = std::sync::OnceLock::new();
    FORMS.get_or_init(|| BUILTIN.iter().filter_map(|f| f.load().ok()).collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{DateTime, NaiveDate};
    use rust_decimal::Decimal;

    use super::super::model::{Item, QuestionType, Required, Text};
    use super::super::render::render;
    use super::super::validate::{Checked, Mode, Moment, ProblemKind, check};
    use super::*;
    use crate::records::{Answers, Value};

    const EN: &str = "English (en)";
    const HI: &str = "Hindi (hi)";

    /// A Thursday at a district office in India.
    fn moment() -> Moment {
        let now = DateTime::parse_from_rfc3339("2026-11-20T10:30:00+05:30").unwrap();
        Moment {
            today: now.date_naive(),
            now,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> Value {
        Value::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn choice(s: &str) -> Value {
        Value::Choice(s.into())
    }

    fn choices(names: &[&str]) -> Value {
        Value::Choices(names.iter().map(|s| s.to_string()).collect())
    }

    fn answers(pairs: &[(&str, Value)]) -> Answers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn form(id: &str) -> Form {
        match load_builtin(id) {
            Some(Ok(form)) => form,
            Some(Err(e)) => panic!("built-in form {id} does not load: {:#?}", e.problems),
            None => panic!("no built-in form {id}"),
        }
    }

    fn final_check(id: &str, a: &Answers, lang: Option<&str>) -> Checked {
        check(&form(id), a, lang, Mode::Final, moment())
    }

    fn problems_of(checked: &Checked) -> Vec<(&str, ProblemKind)> {
        checked
            .problems
            .iter()
            .map(|p| (p.question.as_str(), p.kind))
            .collect()
    }

    fn assert_bilingual(text: &Text, what: &str) {
        if text.is_empty() {
            return;
        }
        let langs: BTreeSet<&str> = text.0.keys().map(String::as_str).collect();
        assert_eq!(
            langs,
            BTreeSet::from([EN, HI]),
            "{what}: every text is in English and Hindi, and in no unnamed language"
        );
        assert!(
            text.0.values().all(|t| !t.trim().is_empty()),
            "{what}: blank text"
        );
    }

    fn check_group_labels(items: &[Item], form_id: &str) {
        for item in items {
            if let Item::Group(g) = item {
                assert!(!g.repeat, "{form_id}: no repeats in the pack");
                assert_bilingual(&g.label, &format!("{form_id}/group {}", g.name));
                assert!(
                    !g.label.is_empty(),
                    "{form_id}/group {} has a label",
                    g.name
                );
                check_group_labels(&g.items, form_id);
            }
        }
    }

    #[test]
    fn every_builtin_form_loads_with_its_id_version_and_both_languages() {
        let ids: Vec<&str> = builtin_forms().iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            [
                VICTIM_IDENTIFICATION,
                CRISIS_INTAKE,
                RESTORATION_SERVICE,
                LEGAL_MILESTONE,
                BONDED_LABOUR_RELEASE,
                CONSENT
            ]
        );
        for builtin in builtin_forms() {
            // The id comes from the form's own settings, not from the caller.
            let form = match load(builtin.json.as_bytes(), FormFormat::Json, "not_the_id") {
                Ok(form) => form,
                Err(e) => panic!("{} does not load: {:#?}", builtin.id, e.problems),
            };
            assert_eq!(form.id, builtin.id);
            assert_eq!(form.version.as_deref(), Some(VERSION), "{}", builtin.id);
            assert_eq!(form.default_language.as_deref(), Some(EN), "{}", builtin.id);
            assert!(form.title.is_some(), "{} has a title", builtin.id);
            assert_eq!(form.languages, [EN, HI], "{}", builtin.id);
        }
        assert_eq!(all().len(), BUILTIN.len(), "all() loads every form");
        assert!(load_builtin("no_such_form").is_none());
    }

    #[test]
    fn every_label_hint_message_and_choice_is_in_english_and_hindi() {
        for form in all() {
            let id = form.id.as_str();
            check_group_labels(&form.items, id);
            for q in form.questions() {
                let what = format!("{id}/{}", q.name);
                if q.kind.is_input() {
                    assert!(!q.label.is_empty(), "{what} has a label");
                }
                assert_bilingual(&q.label, &what);
                assert_bilingual(&q.hint, &format!("{what} hint"));
                assert_bilingual(&q.constraint_message, &format!("{what} constraint_message"));
                assert_bilingual(&q.required_message, &format!("{what} required_message"));
                if q.constraint.is_some() {
                    assert!(
                        !q.constraint_message.is_empty(),
                        "{what}: a constraint says why in both languages"
                    );
                }
                // Names are lowercase_with_underscores.
                assert!(
                    q.name.starts_with(|c: char| c.is_ascii_lowercase())
                        && q.name
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{what}: name is lowercase_with_underscores"
                );
                // No `or_other`: its "Other" would show untranslated.
                if let QuestionType::SelectOne { or_other, .. }
                | QuestionType::SelectMultiple { or_other, .. } = &q.kind
                {
                    assert!(!or_other, "{what}: an explicit 'other' choice instead");
                }
            }
            for (list, cs) in &form.choices {
                let mut seen = BTreeSet::new();
                for c in cs {
                    assert!(seen.insert(&c.name), "{id}/{list}: '{}' twice", c.name);
                    assert_bilingual(&c.label, &format!("{id}/{list}/{}", c.name));
                    assert!(!c.label.is_empty(), "{id}/{list}/{} has a label", c.name);
                }
            }
        }
    }

    #[test]
    fn the_identification_contract_names_exist_with_their_types() {
        let form = form(VICTIM_IDENTIFICATION);
        let kind = |name: &str| match form.question(name) {
            Some(q) => q.kind.clone(),
            None => panic!("the identification form has no '{name}'"),
        };
        assert_eq!(kind("name"), QuestionType::Text);
        assert_eq!(kind("alias"), QuestionType::Text);
        assert_eq!(kind("age"), QuestionType::Integer);
        assert_eq!(kind("minor"), QuestionType::Calculate);
        assert_eq!(kind("place"), QuestionType::Text);
        assert_eq!(kind("operation_date"), QuestionType::Date);
        assert_eq!(kind("companions"), QuestionType::Integer);
        assert_eq!(kind("notes"), QuestionType::Text);
        let select_one = |name: &str, list: &str| {
            assert_eq!(
                kind(name),
                QuestionType::SelectOne {
                    list: list.into(),
                    or_other: false
                },
                "{name}"
            );
        };
        select_one("age_estimated", "yes_no");
        select_one("sex", "sex");
        select_one("nationality", "country");
        select_one("interpreter_needed", "yes_no");
        select_one("place_type", "place_type");
        select_one("sibling_group", "yes_no");
        select_one("consent_recorded", "yes_no");
        let select_multiple = |name: &str, list: &str| {
            assert_eq!(
                kind(name),
                QuestionType::SelectMultiple {
                    list: list.into(),
                    or_other: false
                },
                "{name}"
            );
        };
        select_multiple("languages", "language");
        select_multiple("exploitation_type", "exploitation_type");
        select_multiple("indicators", "indicator");

        // `name` is required, and nothing else is.
        let required: Vec<&str> = form
            .questions()
            .into_iter()
            .filter(|q| !matches!(q.required, Required::No))
            .map(|q| q.name.as_str())
            .collect();
        assert_eq!(required, ["name"]);

        // The lists the issue names, with the codes domain.md gives.
        let names = |list: &str| -> Vec<&str> {
            form.choices[list].iter().map(|c| c.name.as_str()).collect()
        };
        for code in [
            "IN", "NP", "BD", "MM", "TH", "KH", "PH", "LA", "VN", "MY", "ID", "LK", "PK", "other",
        ] {
            assert!(names("country").contains(&code), "nationality {code}");
        }
        for t in [
            "bonded_labour",
            "commercial_sexual_exploitation",
            "osaec",
            "forced_labour",
            "child_labour",
            "domestic_servitude",
            "other",
        ] {
            assert!(names("exploitation_type").contains(&t), "exploitation {t}");
        }
        // Every exploitation type counts under a CTDC category.
        let ctdc = [
            "forced_labour",
            "sexual_exploitation",
            "forced_marriage",
            "organ_removal",
            "other",
        ];
        for c in &form.choices["exploitation_type"] {
            let category = c.extra.get("ctdc").map(String::as_str);
            assert!(
                category.is_some_and(|k| ctdc.contains(&k)),
                "{}: {category:?}",
                c.name
            );
        }
        for i in [
            "debt",
            "withheld_documents",
            "restricted_movement",
            "threats",
            "violence",
            "no_pay",
            "excessive_hours",
            "deception",
            "isolation",
        ] {
            assert!(names("indicator").contains(&i), "indicator {i}");
        }
        for l in [
            "hi", "bn", "mr", "ne", "my", "th", "km", "tl", "ceb", "en", "other",
        ] {
            assert!(names("language").contains(&l), "language {l}");
        }
    }

    #[test]
    fn a_name_alone_is_a_valid_final_identification() {
        let checked = final_check(
            VICTIM_IDENTIFICATION,
            &answers(&[("name", text("Munni"))]),
            None,
        );
        assert!(checked.is_ok(), "{:?}", checked.problems);
        assert_eq!(checked.answers, answers(&[("name", text("Munni"))]));
        assert!(
            !checked.answers.contains_key("minor"),
            "no age, no minor flag"
        );

        // Without even a name, the form says why, in Hindi when asked.
        let empty = final_check(VICTIM_IDENTIFICATION, &Answers::new(), Some(HI));
        assert_eq!(problems_of(&empty), [("name", ProblemKind::Required)]);
        assert_eq!(
            empty.problems[0].message,
            "व्यक्ति की पहचान के लिए नाम या उपनाम आवश्यक है।"
        );
        // A draft may be saved empty.
        let draft = check(
            &form(VICTIM_IDENTIFICATION),
            &Answers::new(),
            None,
            Mode::Draft,
            moment(),
        );
        assert!(draft.is_ok());
    }

    #[test]
    fn a_fourteen_year_old_found_at_a_brick_kiln_is_flagged_as_a_minor() {
        let a = answers(&[
            ("name", text("Sunita")),
            ("alias", text("Sunitha, Chhoti")),
            ("age", Value::Integer(14)),
            ("age_estimated", choice("yes")),
            ("sex", choice("female")),
            ("nationality", choice("IN")),
            ("languages", choices(&["hi", "other"])),
            ("languages_other", text("Chhattisgarhi")),
            ("interpreter_needed", choice("no")),
            ("operation_date", date(2026, 11, 19)),
            ("place", text("Kiln no. 4, near Rampur village")),
            ("place_type", choice("brick_kiln")),
            (
                "exploitation_type",
                choices(&["bonded_labour", "child_labour"]),
            ),
            ("labour_sector", choice("manufacturing")),
            (
                "indicators",
                choices(&["debt", "restricted_movement", "no_pay", "excessive_hours"]),
            ),
            ("companions", Value::Integer(11)),
            ("sibling_group", choice("yes")),
            ("consent_recorded", choice("yes")),
            (
                "notes",
                text("Family of five working to repay an advance of Rs 40,000."),
            ),
        ]);
        let checked = final_check(VICTIM_IDENTIFICATION, &a, Some(HI));
        assert!(checked.is_ok(), "{:?}", checked.problems);
        assert_eq!(checked.answers.get("minor"), Some(&text("yes")));
        // Everything given was relevant, so everything is kept (plus the flag).
        assert_eq!(checked.answers.len(), a.len() + 1);
        // The Child Welfare Committee note shows, in Hindi.
        let screen = render(&form(VICTIM_IDENTIFICATION), &a, Some(HI), moment());
        let note = screen
            .questions
            .iter()
            .find(|q| q.name == "minor_note")
            .and_then(|q| q.label.clone())
            .unwrap_or_default();
        assert!(note.contains("बाल कल्याण समिति"), "{note}");

        // An adult is not a minor, and the note is not shown.
        let adult = answers(&[("name", text("Ramesh")), ("age", Value::Integer(34))]);
        let checked = final_check(VICTIM_IDENTIFICATION, &adult, None);
        assert_eq!(checked.answers.get("minor"), Some(&text("no")));
        assert!(!checked.relevant.contains(&"minor_note".to_string()));
        // Seventeen is still a child; eighteen is not.
        for (age, minor) in [(17, "yes"), (18, "no"), (0, "yes")] {
            let a = answers(&[("name", text("X")), ("age", Value::Integer(age))]);
            let checked = final_check(VICTIM_IDENTIFICATION, &a, None);
            assert_eq!(checked.answers.get("minor"), Some(&text(minor)), "{age}");
        }
    }

    #[test]
    fn an_age_of_130_is_refused_with_the_message_in_hindi() {
        let a = answers(&[("name", text("Asha")), ("age", Value::Integer(130))]);
        let hindi = final_check(VICTIM_IDENTIFICATION, &a, Some(HI));
        assert_eq!(problems_of(&hindi), [("age", ProblemKind::Constraint)]);
        assert_eq!(
            hindi.problems[0].message,
            "आयु वर्षों में, 0 से 120 के बीच होनी चाहिए।"
        );
        let english = final_check(VICTIM_IDENTIFICATION, &a, Some(EN));
        assert_eq!(
            english.problems[0].message,
            "Age is in years, from 0 to 120."
        );
        // A language the form does not have falls back to English, its default.
        let khmer = final_check(VICTIM_IDENTIFICATION, &a, Some("Khmer (km)"));
        assert_eq!(khmer.problems[0].message, "Age is in years, from 0 to 120.");
        // A negative age is refused; 120 is accepted.
        let a = answers(&[("name", text("Asha")), ("age", Value::Integer(-1))]);
        assert!(!final_check(VICTIM_IDENTIFICATION, &a, None).is_ok());
        let a = answers(&[("name", text("Asha")), ("age", Value::Integer(120))]);
        assert!(final_check(VICTIM_IDENTIFICATION, &a, None).is_ok());
        // An age written as words is a type problem, not a constraint one.
        let a = answers(&[("name", text("Asha")), ("age", text("fourteen"))]);
        let checked = final_check(VICTIM_IDENTIFICATION, &a, None);
        assert_eq!(problems_of(&checked), [("age", ProblemKind::Type)]);
    }

    #[test]
    fn an_operation_date_in_the_future_is_refused() {
        let at = |d: Value| {
            final_check(
                VICTIM_IDENTIFICATION,
                &answers(&[("name", text("Ravi")), ("operation_date", d)]),
                Some(HI),
            )
        };
        let tomorrow = at(date(2026, 11, 21));
        assert_eq!(
            problems_of(&tomorrow),
            [("operation_date", ProblemKind::Constraint)]
        );
        assert_eq!(
            tomorrow.problems[0].message,
            "अभियान की तारीख भविष्य की नहीं हो सकती।"
        );
        assert!(at(date(2026, 11, 20)).is_ok(), "today is fine");
        assert!(at(date(2025, 3, 2)).is_ok(), "last year is fine");
    }

    #[test]
    fn a_choice_not_in_the_list_is_refused() {
        let a = answers(&[
            ("name", text("Nimol")),
            ("nationality", choice("US")),
            ("sex", choice("f")),
            ("languages", choices(&["km", "klingon"])),
            ("exploitation_type", choices(&["forced_labour"])),
        ]);
        let checked = final_check(VICTIM_IDENTIFICATION, &a, None);
        let mut found = problems_of(&checked);
        found.sort_by_key(|(q, _)| *q);
        assert_eq!(
            found,
            [
                ("languages", ProblemKind::UnknownChoice),
                ("nationality", ProblemKind::UnknownChoice),
                ("sex", ProblemKind::UnknownChoice),
            ]
        );
        // A country name typed where the code belongs is refused too; the code is not.
        let a = answers(&[("name", text("Nimol")), ("nationality", choice("Cambodia"))]);
        assert!(!final_check(VICTIM_IDENTIFICATION, &a, None).is_ok());
        let a = answers(&[("name", text("Nimol")), ("nationality", choice("KH"))]);
        assert!(final_check(VICTIM_IDENTIFICATION, &a, None).is_ok());
        // An answer to a question the form does not have.
        let a = answers(&[("name", text("Nimol")), ("village", text("Poipet"))]);
        let checked = final_check(VICTIM_IDENTIFICATION, &a, None);
        assert_eq!(
            problems_of(&checked),
            [("village", ProblemKind::UnknownQuestion)]
        );
    }

    #[test]
    fn follow_up_questions_appear_only_when_they_apply() {
        // Siblings are asked about only when others were found too; a sibling answer
        // with no companions is dropped on finalize.
        let a = answers(&[
            ("name", text("Rina")),
            ("companions", Value::Integer(0)),
            ("sibling_group", choice("yes")),
        ]);
        let checked = final_check(VICTIM_IDENTIFICATION, &a, None);
        assert!(checked.is_ok(), "{:?}", checked.problems);
        assert!(!checked.answers.contains_key("sibling_group"));
        // The labour sector is asked for labour exploitation only.
        let a = answers(&[
            ("name", text("Maria")),
            ("exploitation_type", choices(&["osaec"])),
            ("labour_sector", choice("agriculture")),
        ]);
        let checked = final_check(VICTIM_IDENTIFICATION, &a, None);
        assert!(!checked.answers.contains_key("labour_sector"));
    }

    #[test]
    fn crisis_intake_drops_an_irrelevant_answer_on_finalize() {
        // The worker first marked the risk high and described it, then corrected the
        // risk to low: the description no longer applies and is not kept.
        let a = answers(&[
            ("intake_date", date(2026, 11, 19)),
            (
                "immediate_needs",
                choices(&["medical", "food", "shelter", "psychosocial_first_aid"]),
            ),
            ("medical_urgency", choice("non_urgent")),
            ("safety_risk", choice("low")),
            (
                "safety_risk_details",
                text("Recruiter knows the village; phone calls to the mother."),
            ),
            ("placement", choice("ngo_aftercare")),
            ("placement_name", text("Asha Kiran home")),
            ("is_minor", choice("no")),
            ("guardian_name", text("Entered by mistake")),
            ("referrals", choices(&["medical", "legal_aid"])),
        ]);
        let final_ = final_check(CRISIS_INTAKE, &a, None);
        assert!(final_.is_ok(), "{:?}", final_.problems);
        assert!(!final_.answers.contains_key("safety_risk_details"));
        assert!(
            !final_.answers.contains_key("guardian_name"),
            "guardian only for a child"
        );
        assert_eq!(final_.answers.len(), a.len() - 2);
        // A draft keeps what was typed.
        let draft = check(&form(CRISIS_INTAKE), &a, None, Mode::Draft, moment());
        assert!(draft.answers.contains_key("safety_risk_details"));

        // A high risk needs the follow-up, and says so in Hindi.
        let high = answers(&[("safety_risk", choice("high"))]);
        let checked = final_check(CRISIS_INTAKE, &high, Some(HI));
        assert_eq!(
            problems_of(&checked),
            [("safety_risk_details", ProblemKind::Required)]
        );
        assert!(checked.problems[0].message.contains("खतरा"));

        // A child's guardian is kept, with the production before the child welfare
        // authority.
        let child = answers(&[
            ("is_minor", choice("yes")),
            ("placement", choice("government_shelter")),
            ("guardian_name", text("Superintendent, Children's Home")),
            ("guardian_relation", choice("institution")),
            ("child_welfare_produced", choice("yes")),
            ("child_welfare_date", date(2026, 11, 19)),
        ]);
        let checked = final_check(CRISIS_INTAKE, &child, None);
        assert!(checked.is_ok(), "{:?}", checked.problems);
        assert_eq!(checked.answers, child);
    }

    #[test]
    fn a_follow_up_before_the_service_is_refused() {
        let entry = |service: Value, follow_up: Value| {
            answers(&[
                ("service_type", choice("counselling")),
                ("status", choice("delivered")),
                ("service_date", service),
                ("provider", text("District Mental Health Programme")),
                ("follow_up_date", follow_up),
            ])
        };
        let before = final_check(
            RESTORATION_SERVICE,
            &entry(date(2026, 11, 18), date(2026, 11, 10)),
            Some(HI),
        );
        assert_eq!(
            problems_of(&before),
            [("follow_up_date", ProblemKind::Constraint)]
        );
        assert_eq!(
            before.problems[0].message,
            "फ़ॉलो-अप की तारीख सेवा की तारीख के दिन या उसके बाद की होनी चाहिए।"
        );
        for follow_up in [date(2026, 11, 18), date(2026, 12, 18)] {
            let ok = final_check(
                RESTORATION_SERVICE,
                &entry(date(2026, 11, 18), follow_up),
                None,
            );
            assert!(ok.is_ok(), "{:?}", ok.problems);
        }
        // A follow-up with no service date yet is accepted.
        let a = answers(&[
            ("service_type", choice("documents")),
            ("follow_up_date", date(2026, 12, 1)),
        ]);
        assert!(final_check(RESTORATION_SERVICE, &a, None).is_ok());
        // A planned service may be dated ahead; a delivered one may not.
        let planned = answers(&[
            ("service_type", choice("court_accompaniment")),
            ("status", choice("planned")),
            ("service_date", date(2027, 1, 12)),
        ]);
        assert!(final_check(RESTORATION_SERVICE, &planned, None).is_ok());
        let mut delivered = planned.clone();
        delivered.insert("status".into(), choice("delivered"));
        let checked = final_check(RESTORATION_SERVICE, &delivered, None);
        assert_eq!(
            problems_of(&checked),
            [("service_date", ProblemKind::Constraint)]
        );
        // A status outside planned/delivered/declined is refused.
        let a = answers(&[
            ("service_type", choice("education")),
            ("status", choice("done")),
        ]);
        let checked = final_check(RESTORATION_SERVICE, &a, None);
        assert_eq!(
            problems_of(&checked),
            [("status", ProblemKind::UnknownChoice)]
        );
    }

    #[test]
    fn legal_milestones_follow_the_jurisdiction() {
        let form = form(LEGAL_MILESTONE);
        let shown = |country: Option<&str>| -> Vec<String> {
            let a: Answers = country
                .map(|c| answers(&[("country", choice(c))]))
                .unwrap_or_default();
            render(&form, &a, Some(HI), moment())
                .questions
                .into_iter()
                .find(|q| q.name == "milestone")
                .map(|q| q.choices.into_iter().map(|c| c.name).collect())
                .unwrap_or_default()
        };
        let india = shown(Some("IN"));
        for step in [
            "complaint",
            "release_certificate",
            "charge_sheet",
            "judgment",
        ] {
            assert!(india.contains(&step.to_string()), "India: {step}");
        }
        assert!(!india.contains(&"pre_integration".to_string()));
        let cambodia = shown(Some("KH"));
        assert!(cambodia.contains(&"pre_integration".to_string()));
        assert!(!cambodia.contains(&"release_certificate".to_string()));
        let thailand = shown(Some("TH"));
        assert!(thailand.contains(&"screening".to_string()));
        // A country without a list of its own sees the common steps; no country, all.
        let nepal = shown(Some("NP"));
        assert!(nepal.contains(&"testimony".to_string()));
        assert!(!nepal.contains(&"screening".to_string()));
        assert_eq!(shown(None).len(), form.choices["milestone"].len());

        // An FIR in an Indian district, then a conviction.
        let fir = answers(&[
            ("country", choice("IN")),
            ("jurisdiction", text("Gaya, Bihar")),
            ("authority", text("Sherghati police station")),
            ("milestone", choice("complaint")),
            ("milestone_date", date(2026, 11, 19)),
            ("case_number", text("FIR 214/2026")),
            ("laws", choices(&["bns_143", "bonded_labour_act"])),
            ("outcome", choice("pending")),
        ]);
        let checked = final_check(LEGAL_MILESTONE, &fir, None);
        assert!(checked.is_ok(), "{:?}", checked.problems);
        assert!(
            !checked.answers.contains_key("outcome"),
            "an outcome belongs to a judgment"
        );
        let judgment = answers(&[
            ("country", choice("PH")),
            ("milestone", choice("judgment")),
            ("milestone_date", date(2026, 10, 2)),
            ("outcome", choice("convicted")),
            ("laws", choices(&["pocso"])),
        ]);
        let checked = final_check(LEGAL_MILESTONE, &judgment, None);
        assert!(checked.is_ok(), "{:?}", checked.problems);
        assert_eq!(checked.answers.get("outcome"), Some(&choice("convicted")));
        assert!(
            !checked.answers.contains_key("laws"),
            "Indian sections only for India"
        );
    }

    #[test]
    fn a_bonded_labour_release_records_amounts_and_refuses_overpayment() {
        let rs = |n: i64| Value::Decimal(Decimal::from(n));
        let mut a = answers(&[
            ("certificate_number", text("RC/GAYA/2026/117")),
            ("certificate_date", date(2026, 9, 3)),
            ("issuing_authority", choice("sub_divisional_magistrate")),
            ("issuing_officer", text("SDM Sherghati")),
            ("district", text("Gaya")),
            ("immediate_assistance_amount", rs(30_000)),
            ("immediate_assistance_date", date(2026, 9, 20)),
            ("rehabilitation_category", choice("special_category")),
            ("rehabilitation_amount", rs(200_000)),
            ("rehabilitation_paid", rs(30_000)),
            ("payment_mode", choices(&["direct_transfer"])),
            ("status", choice("immediate_assistance_paid")),
        ]);
        let checked = final_check(BONDED_LABOUR_RELEASE, &a, None);
        assert!(checked.is_ok(), "{:?}", checked.problems);
        assert_eq!(checked.answers, a);

        a.insert("rehabilitation_paid".into(), rs(250_000));
        let checked = final_check(BONDED_LABOUR_RELEASE, &a, Some(HI));
        assert_eq!(
            problems_of(&checked),
            [("rehabilitation_paid", ProblemKind::Constraint)]
        );
        assert!(checked.problems[0].message.contains("स्वीकृत राशि"));
        // The hints give the scheme's amounts and where they come from.
        let form = form(BONDED_LABOUR_RELEASE);
        let hint = form
            .question("rehabilitation_amount")
            .and_then(|q| q.hint.get(Some(EN), None))
            .unwrap_or_default();
        assert!(
            hint.contains("Rs 3 lakh") && hint.contains("Source:"),
            "{hint}"
        );
    }

    #[test]
    fn consent_is_given_per_purpose_and_a_guardian_is_named() {
        let mut a = answers(&[
            ("consent_services", choice("yes")),
            ("consent_sharing", choice("yes")),
            ("partner_agency", text("District Legal Services Authority")),
            ("consent_reporting", choice("yes")),
            ("consent_photos", choice("no")),
            ("given_by", choice("guardian")),
            ("consent_date", date(2026, 11, 20)),
        ]);
        let checked = final_check(CONSENT, &a, Some(HI));
        assert_eq!(
            problems_of(&checked),
            [("guardian_name", ProblemKind::Required)]
        );
        assert_eq!(
            checked.problems[0].message,
            "जब अभिभावक सहमति दें तो उनका नाम लिखें।"
        );
        a.insert("guardian_name".into(), text("Kamla Devi"));
        assert!(final_check(CONSENT, &a, None).is_ok());
        // Consent given by the person: a guardian's name is not kept.
        a.insert("given_by".into(), choice("person"));
        let checked = final_check(CONSENT, &a, None);
        assert!(checked.is_ok());
        assert!(!checked.answers.contains_key("guardian_name"));
        // Each purpose must be answered: silence is not consent.
        let checked = final_check(
            CONSENT,
            &answers(&[("consent_services", choice("yes"))]),
            None,
        );
        let mut missing: Vec<&str> = checked
            .problems
            .iter()
            .map(|p| p.question.as_str())
            .collect();
        missing.sort();
        assert_eq!(
            missing,
            [
                "consent_date",
                "consent_photos",
                "consent_reporting",
                "consent_sharing",
                "given_by"
            ]
        );
    }
}
