//! Helpers for the command's tests: real vault folders and scans of their files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Passphrase used by the end-to-end tests.
pub const PASSPHRASE: &str = "gate two, kiln seven";

/// A `safekeep` command on `vault` with the test passphrase and the insecure test KDF
/// (explicitly: the variable's name says what it is).
pub fn safekeep(vault: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safekeep"));
    cmd.env("SAFEKEEP_VAULT", vault)
        .env("SAFEKEEP_PASSPHRASE", PASSPHRASE)
        .env("SAFEKEEP_INSECURE_FAST_KDF_FOR_TESTS", "1")
        .env_remove("SAFEKEEP_NEW_PASSPHRASE")
        .env_remove("SAFEKEEP_RECOVERY_KEY")
        .env_remove("SAFEKEEP_INVITE_SECRET")
        .env_remove("RUST_BACKTRACE");
    cmd
}

/// Runs a command, returning its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("start safekeep")
}

/// Stdout of a command that must succeed.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "command failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Every regular file under `dir` with its bytes.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read dir") {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                stack.push(entry.path());
            } else {
                out.push((entry.path(), std::fs::read(entry.path()).expect("read")));
            }
        }
    }
    out
}

/// Files under `dir` holding `needle` as UTF-8, UTF-16LE or UTF-16BE.
pub fn files_containing_text(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let encodings = [
        needle.as_bytes().to_vec(),
        needle
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect(),
        needle
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect(),
    ];
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| {
            encodings
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
        })
        .map(|(path, _)| path)
        .collect()
}
