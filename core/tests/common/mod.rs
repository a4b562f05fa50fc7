//! Helpers shared by the core's integration tests: real vault folders in temp dirs,
//! with the insecure fast KDF chosen explicitly.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use safekeep_core::{Answers, FormRef, Passphrase, RecordId, Value, Vault, VaultOptions};

pub const PASSPHRASE: &str = "kiln seven, gate two";

pub fn options() -> VaultOptions {
    VaultOptions::default().insecure_fast_kdf_for_tests()
}

pub fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE)
}

pub fn new_vault(dir: &Path) -> Vault {
    Vault::create(dir, &passphrase(), options())
        .expect("create vault")
        .0
}

pub fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub fn answers(pairs: &[(&str, Value)]) -> Answers {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Saves one identification in a new case; returns (case, submission).
pub fn identify(vault: &Vault, name: &str, notes: &str) -> (RecordId, RecordId) {
    let answers = answers(&[
        ("name", text(name)),
        ("notes", text(notes)),
        ("age", Value::Integer(14)),
        ("exploitation_type", Value::Choice("bonded_labour".into())),
    ]);
    vault
        .batch(|b| {
            let case = b.create_case(Answers::new())?;
            let id = b.add_submission(case, FormRef::new("victim_identification"), answers)?;
            Ok((case, id))
        })
        .expect("save identification")
}

/// Every regular file under `dir`, with its bytes.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read dir") {
            let entry = entry.expect("dir entry");
            if entry.file_type().expect("file type").is_dir() {
                stack.push(entry.path());
            } else {
                out.push((
                    entry.path(),
                    std::fs::read(entry.path()).expect("read file"),
                ));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Files under `dir` holding `needle` as UTF-8, UTF-16LE or UTF-16BE.
pub fn files_containing_text(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let le: Vec<u8> = needle
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let be: Vec<u8> = needle
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| {
            contains(bytes, needle.as_bytes()) || contains(bytes, &le) || contains(bytes, &be)
        })
        .map(|(path, _)| path)
        .collect()
}

/// Files under `dir` holding `needle` bytes.
pub fn files_containing_bytes(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| contains(bytes, needle))
        .map(|(path, _)| path)
        .collect()
}
