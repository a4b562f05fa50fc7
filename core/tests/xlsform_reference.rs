//! Our XLSForm loader against the ecosystem's reference, pyxform, on the real forms in
//! `../shared/xlsforms/` (pyxform's own test forms). Every form must get the same
//! verdict (loads / is refused) from both, except the differences listed in
//! `KNOWN_DIFFERENCES` (and in docs/xlsform-compat.md), each with its reason.
//!
//! The shared folder exists in CI and in development sessions, not on a user's
//! machine: there these tests say so and pass without checking. pyxform comes from
//! PyPI (`pip install pyxform`); `.ci/run` installs it and sets
//! SAFEKEEP_REQUIRE_PYXFORM=1 so that a missing pyxform fails there instead of skipping.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use safekeep_core::forms::{self, FormFormat};

/// Forms where we deliberately differ from pyxform: (file name, we accept?, why).
const KNOWN_DIFFERENCES: &[(&str, bool, &str)] = &[
    (
        "bad_calc.xlsx",
        false,
        "its calculation is not an expression; we parse every expression at load, pyxform leaves that to ODK Validate",
    ),
    (
        "pull_data.xlsx",
        false,
        "uses pulldata() over a CSV attachment, which an offline vault does not ship",
    ),
    (
        "UCL_Biomass_Plot_Form.xlsx",
        false,
        "select_one_from_file reads choices from a CSV/XML attachment, which forms here do not carry",
    ),
    (
        "case_insensitivity.xls",
        false,
        "select_one_external (choices from an external CSV in ODK Collect) is not supported",
    ),
    (
        "case_insensitivity.xlsx",
        false,
        "select_one_external (choices from an external CSV in ODK Collect) is not supported",
    ),
    (
        "choice_name_as_type.xls",
        false,
        "select_one_external (choices from an external CSV in ODK Collect) is not supported",
    ),
    (
        "loop.xls",
        false,
        "'begin loop over LIST' (a group per choice) is not supported; repeats are",
    ),
    (
        "loop.xlsx",
        false,
        "'begin loop over LIST' (a group per choice) is not supported; repeats are",
    ),
    (
        "simple_loop.xls",
        false,
        "'begin loop over LIST' (a group per choice) is not supported; repeats are",
    ),
    (
        "xl_date_ambiguous.xlsx",
        false,
        "its choice_filter `label::English != ''` is an XPath axis step into the itemset; we evaluate choice columns by name only",
    ),
];

fn shared_forms() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/xlsforms/pyxform");
    dir.is_dir().then_some(dir)
}

fn workbooks(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("xls" | "xlsx")
            ) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn load(path: &Path) -> Result<forms::Form, forms::FormLoadError> {
    let bytes = std::fs::read(path).unwrap();
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("form");
    let format = if path.extension().is_some_and(|e| e == "xls") {
        FormFormat::Xls
    } else {
        FormFormat::Xlsx
    };
    forms::load(&bytes, format, stem)
}

/// pyxform's verdict per file, or None when pyxform is not installed.
fn pyxform_verdicts(files: &[PathBuf]) -> Option<BTreeMap<PathBuf, (bool, String)>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pyxform_verdicts.py");
    let output = Command::new("python3")
        .arg(script)
        .args(files)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some(
        files
            .iter()
            .map(|f| {
                let v = &json[f.to_string_lossy().as_ref()];
                let accepted = v["accepted"].as_bool().unwrap_or(false);
                (
                    f.clone(),
                    (accepted, v["error"].as_str().unwrap_or("").to_owned()),
                )
            })
            .collect(),
    )
}

#[test]
fn the_loader_accepts_and_refuses_what_pyxform_does() {
    let Some(dir) = shared_forms() else {
        eprintln!("skipped: ../shared/xlsforms is not on this machine (CI has it)");
        return;
    };
    let files = workbooks(&dir);
    assert!(
        files.len() > 40,
        "expected pyxform's example forms in {}",
        dir.display()
    );
    let Some(theirs) = pyxform_verdicts(&files) else {
        assert!(
            std::env::var_os("SAFEKEEP_REQUIRE_PYXFORM").is_none(),
            "pyxform is required here: pip install pyxform"
        );
        eprintln!("skipped: pyxform is not installed (pip install pyxform)");
        return;
    };
    let mut unexplained = Vec::new();
    let mut seen_differences = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let ours = load(file);
        let (pyxform_accepts, pyxform_error) = &theirs[file];
        let we_accept = ours.is_ok();
        let verdict = |ok: bool| if ok { "loads" } else { "refused" };
        eprintln!(
            "{name:<45} pyxform: {:<8} ours: {:<8} {}",
            verdict(*pyxform_accepts),
            verdict(we_accept),
            ours.as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
        if we_accept == *pyxform_accepts {
            continue;
        }
        match KNOWN_DIFFERENCES.iter().find(|(f, _, _)| *f == name) {
            Some((_, expected, _)) if *expected == we_accept => seen_differences.push(name),
            _ => unexplained.push(format!(
                "{name}: pyxform {} ({pyxform_error}), we {} ({})",
                verdict(*pyxform_accepts),
                verdict(we_accept),
                ours.err().map(|e| e.to_string()).unwrap_or_default()
            )),
        }
    }
    assert!(
        unexplained.is_empty(),
        "unexplained differences from pyxform:\n{}",
        unexplained.join("\n")
    );
    for (file, _, why) in KNOWN_DIFFERENCES {
        assert!(
            seen_differences.iter().any(|s| s == file),
            "{file} is listed as a difference ({why}) but no longer differs: update the table"
        );
    }
}

fn shape(form: &forms::Form) -> Vec<(String, String)> {
    form.questions()
        .iter()
        .map(|q| (q.name.clone(), format!("{:?}", q.kind)))
        .collect()
}

#[test]
fn a_form_saved_as_xls_and_as_xlsx_loads_to_the_same_questions() {
    let Some(dir) = shared_forms() else {
        eprintln!("skipped: ../shared/xlsforms is not on this machine (CI has it)");
        return;
    };
    let files = workbooks(&dir);
    let mut pairs = 0;
    for xls in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "xls"))
    {
        let xlsx = xls.with_extension("xlsx");
        if !xlsx.exists() {
            continue;
        }
        let (a, b) = (load(xls), load(&xlsx));
        match (&a, &b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(shape(a), shape(b), "{}", xls.display());
                assert_eq!(
                    a.choices.keys().collect::<Vec<_>>(),
                    b.choices.keys().collect::<Vec<_>>()
                );
            }
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{} and its .xlsx twin disagree: {:?} / {:?}",
                xls.display(),
                a.err(),
                b.err()
            ),
        }
        pairs += 1;
    }
    assert!(
        pairs >= 5,
        "expected several forms in both encodings, found {pairs}"
    );
}
