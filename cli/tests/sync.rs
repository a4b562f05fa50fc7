//! Sync through the `safekeep` command, on real vault folders: a coordinator's laptop
//! and field phones exchange bundle files, concurrent edits surface as the same
//! conflict on both, only the coordinator resolves, and bad bundles change nothing.

mod common;

use std::path::{Path, PathBuf};

use common::{files_containing_text, ok, run, safekeep};
use serde_json::Value as Json;

const TEAM: &str = "Kolkata shelter";
const NAME: &str = "शबनम परवीन";
const PLACE: &str = "Hotel Sagar, room 12, Kamathipura";
const NOTE: &str = "दलाल ने पहचान पत्र छीन लिया";
const FIELD_EDIT: &str = "moved to shelter B";
const COORDINATOR_EDIT: &str = "mother contacted in Khulna";
const LOG_NOTE: &str = "called Sabina's aunt in Jessore";

fn json(out: &str) -> Json {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn init(vault: &Path) {
    ok(safekeep(vault).arg("init"));
}

/// A coordinator's vault with a team, and a field device that joined it through the
/// command (the secret through SAFEKEEP_INVITE_SECRET).
fn team_of_two(root: &Path) -> (PathBuf, PathBuf) {
    let coordinator = root.join("coordinator");
    let field = root.join("field");
    init(&coordinator);
    init(&field);
    let created = json(&ok(
        safekeep(&coordinator).args(["team", "create", TEAM, "--json"])
    ));
    assert_eq!(created["role"], "coordinator");
    let invite = json(&ok(
        safekeep(&coordinator).args(["team", "invite", "--role", "field", "--json"])
    ));
    let mut keys: Vec<&str> = invite
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["expires", "invite", "role", "secret"]);
    assert_eq!(invite["role"], "field");
    let text = invite["invite"].as_str().unwrap();
    assert!(text.starts_with("SKINV1:"), "{text}");
    assert!(
        !text.contains("Kolkata"),
        "the invite names nothing in clear"
    );
    let joined = json(&ok(safekeep(&field)
        .args(["team", "join", text, "--json"])
        .env("SAFEKEEP_INVITE_SECRET", invite["secret"].as_str().unwrap())));
    assert_eq!(joined["role"], "field");
    assert_eq!(joined["id"], created["id"]);
    let shown = json(&ok(safekeep(&field).args(["team", "show", "--json"])));
    assert_eq!(shown["name"], TEAM);
    assert_eq!(shown["epoch"], 1);
    (coordinator, field)
}

/// One offline exchange: `to` writes its summary to a file, `from` exports what that
/// summary lacks into `folder`, `to` imports every part. Returns the bundle files and
/// the import report.
fn exchange(from: &Path, to: &Path, folder: &Path, tag: &str) -> (Vec<PathBuf>, Json) {
    let summary = folder.join(format!("{tag}.summary"));
    ok(safekeep(to)
        .args(["bundle", "summary", "--out"])
        .arg(&summary));
    let out = folder.join(format!("{tag}.skb"));
    let exported = json(&ok(safekeep(from)
        .args(["bundle", "export", "--json", "--for"])
        .arg(format!("@{}", summary.display()))
        .arg("--out")
        .arg(&out)));
    let files: Vec<PathBuf> = exported["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f["file"].as_str().unwrap()))
        .collect();
    if files.is_empty() {
        return (files, Json::Null);
    }
    let report = json(&ok(safekeep(to)
        .args(["bundle", "import", "--json"])
        .args(&files)));
    (files, report)
}

fn applied(report: &Json) -> u64 {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["applied"].as_u64().unwrap())
        .sum()
}

fn conflicts(vault: &Path) -> Json {
    json(&ok(safekeep(vault).args(["conflicts", "--json"])))
}

fn show(vault: &Path, id: &str) -> Json {
    json(&ok(safekeep(vault).args(["show", id, "--json"])))
}

fn list(vault: &Path) -> Json {
    json(&ok(safekeep(vault).args(["list", "--json"])))
}

fn add(vault: &Path, answers: &[&str]) -> Json {
    let mut cmd = safekeep(vault);
    cmd.args(["add", "--json", "--form", "victim_identification"]);
    for a in answers {
        cmd.args(["-a", a]);
    }
    json(&ok(&mut cmd))
}

#[test]
fn a_field_worker_and_a_coordinator_edit_the_same_case_offline_and_the_coordinator_decides() {
    let root = tempfile::tempdir().unwrap();
    let (coordinator, field) = team_of_two(root.path());
    let transfer = root.path().join("usb");
    std::fs::create_dir(&transfer).unwrap();

    // Records on both sides, and a note in the field.
    let found = add(
        &field,
        &[
            &format!("name={NAME}"),
            "age=15",
            &format!("place={PLACE}"),
            &format!("notes={NOTE}"),
        ],
    );
    let id = found["submission"].as_str().unwrap().to_owned();
    ok(safekeep(&field).args(["note", &id, LOG_NOTE]));
    add(&coordinator, &["name=Mina", "age=12"]);

    let (_, report) = exchange(&field, &coordinator, &transfer, "f1");
    assert_eq!(applied(&report), 3, "{report}");
    let (_, report) = exchange(&coordinator, &field, &transfer, "c1");
    assert_eq!(applied(&report), 2, "{report}");
    assert_eq!(list(&coordinator), list(&field));
    let notes = &show(&coordinator, &id)["logs"]["notes"];
    assert_eq!(notes[0]["value"], LOG_NOTE);

    // Both edit the same answer without seeing each other's change.
    ok(safekeep(&field).args(["edit", &id, "-a", &format!("notes={FIELD_EDIT}")]));
    ok(safekeep(&coordinator).args(["edit", &id, "-a", &format!("notes={COORDINATOR_EDIT}")]));
    let (_, report) = exchange(&field, &coordinator, &transfer, "f2");
    assert_eq!(report["open_conflicts"], 1, "{report}");
    assert_eq!(report["files"][0]["conflicts"], 1);
    exchange(&coordinator, &field, &transfer, "c2");

    let listed = conflicts(&coordinator);
    assert_eq!(
        listed,
        conflicts(&field),
        "the same conflict on both devices"
    );
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    let conflict = &listed[0];
    assert_eq!(conflict["record"], id.as_str());
    assert_eq!(conflict["subject"], "notes");
    assert_eq!(conflict["kind"], "submission");
    assert_eq!(conflict["form"]["id"], "victim_identification");
    let values = conflict["values"].as_array().unwrap();
    let texts: Vec<&str> = values
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&FIELD_EDIT) && texts.contains(&COORDINATOR_EDIT));
    assert_eq!(values[0]["number"], 1);
    assert_eq!(values[1]["number"], 2);
    assert_eq!(values.iter().filter(|v| v["shown"] == true).count(), 1);
    assert!(show(&field, &id)["has_conflict"].as_bool().unwrap());
    let human = ok(safekeep(&coordinator).arg("conflicts"));
    assert!(human.contains(conflict["id"].as_str().unwrap()) && human.contains(FIELD_EDIT));
    let conflict_id = conflict["id"].as_str().unwrap().to_owned();

    // A field worker cannot decide: the documented exit code, one line.
    let refused = run(safekeep(&field).args(["resolve", &conflict_id, "--keep", "1"]));
    assert_eq!(refused.status.code(), Some(9));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("coordinator"), "{err}");
    assert!(!err.contains(FIELD_EDIT) && !err.contains(COORDINATOR_EDIT));

    // The coordinator keeps value number 2.
    let kept = values[1]["value"].clone();
    ok(safekeep(&coordinator).args(["resolve", &conflict_id, "--keep", "2"]));
    assert_eq!(conflicts(&coordinator), Json::Array(vec![]));
    let (resolution, report) = exchange(&coordinator, &field, &transfer, "c3");
    assert!(applied(&report) >= 1, "{report}");
    assert_eq!(conflicts(&field), Json::Array(vec![]));
    let (on_field, on_coordinator) = (show(&field, &id), show(&coordinator, &id));
    assert_eq!(
        on_field, on_coordinator,
        "both devices show the same record"
    );
    assert_eq!(on_field["answers"]["notes"], kept);
    assert_eq!(on_field["has_conflict"], false);
    assert_eq!(list(&coordinator), list(&field));

    // The same file again applies nothing.
    let again = json(&ok(safekeep(&field)
        .args(["bundle", "import", "--json"])
        .args(&resolution)));
    assert_eq!(applied(&again), 0, "{again}");
    assert!(again["files"][0]["duplicates"].as_u64().unwrap() >= 1);

    // Nothing personal in any file that travelled (bundles, summaries).
    for secret in [
        NAME,
        PLACE,
        NOTE,
        FIELD_EDIT,
        COORDINATOR_EDIT,
        LOG_NOTE,
        "Mina",
        TEAM,
        "victim_identification",
    ] {
        let found = files_containing_text(&transfer, secret);
        assert!(found.is_empty(), "{secret:?} in clear in {found:?}");
    }
    for vault in [&coordinator, &field] {
        let check = json(&ok(safekeep(vault).args(["check", "--json"])));
        assert_eq!(check["ok"], true);
    }
}

#[test]
fn a_conflict_on_a_number_is_resolved_with_a_typed_value_or_by_value_id() {
    let root = tempfile::tempdir().unwrap();
    let (coordinator, field) = team_of_two(root.path());
    let transfer = root.path().join("sd");
    std::fs::create_dir(&transfer).unwrap();
    let id = add(&field, &["name=Farida", "age=15"])["submission"]
        .as_str()
        .unwrap()
        .to_owned();
    exchange(&field, &coordinator, &transfer, "f1");
    ok(safekeep(&field).args(["edit", &id, "-a", "age=16"]));
    ok(safekeep(&coordinator).args(["edit", &id, "-a", "age=17"]));
    exchange(&field, &coordinator, &transfer, "f2");
    let conflict = conflicts(&coordinator)[0].clone();
    assert_eq!(conflict["subject"], "age");
    let conflict_id = conflict["id"].as_str().unwrap();

    // --value is typed and checked by the form; the refusal never shows the value.
    for bad in ["Farida Begum", "130"] {
        let out = run(safekeep(&coordinator).args(["resolve", conflict_id, "--value", bad]));
        assert_eq!(out.status.code(), Some(7), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("age") && !err.contains(bad), "{err}");
    }
    let unknown = run(safekeep(&coordinator).args(["resolve", conflict_id, "--keep", "ffffffff"]));
    assert_eq!(unknown.status.code(), Some(4));
    let missing = run(safekeep(&coordinator).args(["resolve", "000000000000", "--keep", "1"]));
    assert_eq!(missing.status.code(), Some(4));
    ok(safekeep(&coordinator).args(["resolve", conflict_id, "--value", "18"]));
    assert_eq!(show(&coordinator, &id)["answers"]["age"], 18);

    // A second conflict, resolved by a value's id.
    exchange(&coordinator, &field, &transfer, "c1");
    ok(safekeep(&field).args(["edit", &id, "-a", "age=19"]));
    ok(safekeep(&coordinator).args(["edit", &id, "-a", "age=20"]));
    exchange(&field, &coordinator, &transfer, "f3");
    exchange(&coordinator, &field, &transfer, "c2");
    let listed = conflicts(&field)[0].clone();
    // The field worker corrects the age again before the coordinator decides on what
    // was listed: that decision is refused (exit 12), nothing changes.
    ok(safekeep(&field).args(["edit", &id, "-a", "age=21"]));
    exchange(&field, &coordinator, &transfer, "f4");
    let stale = run(safekeep(&coordinator).args([
        "resolve",
        listed["id"].as_str().unwrap(),
        "--keep",
        "1",
    ]));
    assert_eq!(stale.status.code(), Some(12));
    let conflict = conflicts(&coordinator)[0].clone();
    assert_ne!(conflict["id"], listed["id"]);
    let field_value = conflict["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["value"] == 21)
        .unwrap();
    ok(safekeep(&coordinator).args([
        "resolve",
        conflict["id"].as_str().unwrap(),
        "--keep",
        field_value["id"].as_str().unwrap(),
    ]));
    exchange(&coordinator, &field, &transfer, "c3");
    for vault in [&coordinator, &field] {
        assert_eq!(conflicts(vault), Json::Array(vec![]));
        assert_eq!(show(vault, &id)["answers"]["age"], 21);
    }
    assert_eq!(show(&coordinator, &id), show(&field, &id));
}

#[test]
fn a_bundle_with_one_flipped_byte_is_refused_with_every_file_and_nothing_changes() {
    let root = tempfile::tempdir().unwrap();
    let (coordinator, field) = team_of_two(root.path());
    let transfer = root.path().join("usb");
    std::fs::create_dir(&transfer).unwrap();
    add(&field, &["name=Sokha", "age=14"]);
    exchange(&field, &coordinator, &transfer, "f1");
    add(&field, &["name=Dara", "age=13"]);

    let summary = transfer.join("c.summary");
    ok(safekeep(&coordinator)
        .args(["bundle", "summary", "--out"])
        .arg(&summary));
    let good = transfer.join("new.skb");
    ok(safekeep(&field)
        .args(["bundle", "export", "--for"])
        .arg(format!("@{}", summary.display()))
        .arg("--out")
        .arg(&good));
    let mut bytes = std::fs::read(&good).unwrap();
    let middle = bytes.len() - 30;
    bytes[middle] ^= 0x01;
    let bad = transfer.join("flipped.skb");
    std::fs::write(&bad, &bytes).unwrap();

    let before = (list(&coordinator), conflicts(&coordinator));
    let out = run(safekeep(&coordinator)
        .args(["bundle", "import"])
        .arg(&good)
        .arg(&bad));
    assert_eq!(out.status.code(), Some(10));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("flipped.skb") && err.contains("nothing was imported"),
        "{err}"
    );
    assert_eq!(
        (list(&coordinator), conflicts(&coordinator)),
        before,
        "the good file was not imported either"
    );
    let imported = json(&ok(safekeep(&coordinator)
        .args(["bundle", "import", "--json"])
        .arg(&good)));
    assert_eq!(applied(&imported), 2, "{imported}");

    // A bundle of another team is refused the same way.
    let stranger = root.path().join("stranger");
    init(&stranger);
    ok(safekeep(&stranger).args(["team", "create", "another team"]));
    let foreign = run(safekeep(&stranger).args(["bundle", "import"]).arg(&good));
    assert_eq!(foreign.status.code(), Some(10));
    assert!(String::from_utf8_lossy(&foreign.stderr).contains("another team"));
}

#[test]
fn a_large_export_is_split_and_the_parts_converge_in_any_order() {
    let root = tempfile::tempdir().unwrap();
    let (coordinator, field) = team_of_two(root.path());
    let transfer = root.path().join("usb");
    std::fs::create_dir(&transfer).unwrap();
    for i in 0..10 {
        let id = add(&field, &[&format!("name=Person {i}"), "age=14"])["submission"]
            .as_str()
            .unwrap()
            .to_owned();
        ok(safekeep(&field).args(["note", &id, &format!("follow-up visit {i}")]));
    }
    let out = transfer.join("all.skb");
    let printed = ok(safekeep(&field)
        .args(["bundle", "export", "--max-size", "1024", "--out"])
        .arg(&out));
    let mut parts = vec![out.clone()];
    for n in 2.. {
        let part = transfer.join(format!("all-{n}.skb"));
        if !part.exists() {
            break;
        }
        parts.push(part);
    }
    assert!(
        parts.len() >= 3,
        "split into {} part(s):\n{printed}",
        parts.len()
    );
    assert_eq!(std::fs::read_dir(&transfer).unwrap().count(), parts.len());
    let mut total = 0;
    for part in &parts {
        let name = part.file_name().unwrap().to_string_lossy().into_owned();
        let line = printed
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{printed}"));
        let ops: u64 = line
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no op count in {line:?}"));
        assert!(ops > 0);
        total += ops;
    }
    assert_eq!(total, 30, "ten cases, ten identifications, ten notes");

    // The parts are never overwritten without --force.
    let first = std::fs::read(&out).unwrap();
    let refused = run(safekeep(&field)
        .args(["bundle", "export", "--max-size", "1024", "--out"])
        .arg(&out));
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(std::fs::read(&out).unwrap(), first);

    parts.reverse();
    let report = json(&ok(safekeep(&coordinator)
        .args(["bundle", "import", "--json"])
        .args(&parts)));
    assert_eq!(applied(&report), 30, "{report}");
    assert_eq!(list(&coordinator), list(&field));
    let (files, _) = exchange(&field, &coordinator, &transfer, "again");
    assert!(files.is_empty(), "nothing left to send");
    let check = json(&ok(safekeep(&coordinator).args(["check", "--json"])));
    assert_eq!(check["ok"], true);
}

#[test]
fn team_errors_have_their_own_exit_codes_and_one_line() {
    let root = tempfile::tempdir().unwrap();
    let (coordinator, field) = team_of_two(root.path());
    let loner = root.path().join("loner");
    init(&loner);
    let cases: Vec<(&Path, Vec<&str>, i32)> = vec![
        (&loner, vec!["team", "show"], 8),
        (&loner, vec!["bundle", "summary"], 8),
        (&loner, vec!["team", "invite"], 8),
        (&coordinator, vec!["team", "create", "second"], 8),
        (&field, vec!["team", "invite", "--role", "aftercare"], 9),
        (
            &field,
            vec!["bundle", "export", "--for", "SKSUM1:AAAA", "--out", "x"],
            10,
        ),
        (&loner, vec!["team", "join", "SKINV1:AAAA"], 11),
        (&loner, vec!["team", "join", "hello"], 11),
    ];
    for (vault, args, code) in cases {
        let out = run(safekeep(vault).args(&args).env(
            "SAFEKEEP_INVITE_SECRET",
            "0000-0000-0000-0000-0000-0000-0000-0000",
        ));
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    // A real invite with a wrong secret.
    let invite = json(&ok(
        safekeep(&coordinator).args(["team", "invite", "--json"])
    ));
    let wrong = run(safekeep(&loner)
        .args(["team", "join", invite["invite"].as_str().unwrap()])
        .env(
            "SAFEKEEP_INVITE_SECRET",
            "0000-0000-0000-0000-0000-0000-0000-0000",
        ));
    assert_eq!(wrong.status.code(), Some(11));
    // The invite can come from a file (it is long to type), the secret from the
    // environment.
    let file = root.path().join("invite.txt");
    std::fs::write(&file, format!("{}\n", invite["invite"].as_str().unwrap())).unwrap();
    let joined = ok(safekeep(&loner)
        .args(["team", "join"])
        .arg(format!("@{}", file.display()))
        .env("SAFEKEEP_INVITE_SECRET", invite["secret"].as_str().unwrap()));
    assert!(
        joined.contains("joined team") && joined.contains("as field"),
        "{joined}"
    );
    // The invite as a person sees it: a QR code, the text, and the secret set apart.
    let shown = ok(safekeep(&coordinator).args(["team", "invite", "--valid-hours", "2"]));
    assert!(shown.contains('█') && shown.contains("SKINV1:"), "{shown}");
    assert!(shown.contains("another way than the QR code"), "{shown}");
    let help = ok(safekeep(&coordinator).arg("--help"));
    for code in ["  8 ", "  9 ", "  10 ", "  11 "] {
        assert!(
            help.contains(code),
            "exit code {code} not in --help:\n{help}"
        );
    }
}

#[test]
fn the_demo_ends_with_a_phone_joining_and_a_resolved_conflict() {
    let root = tempfile::tempdir().unwrap();
    let out = ok(safekeep(&root.path().join("demo")).arg("demo"));
    assert!(out.contains("only a coordinator can"), "{out}");
    assert!(out.contains("after the next exchange both show"), "{out}");
    assert!(
        out.contains("none of the 13 sample texts is readable"),
        "{out}"
    );
}
