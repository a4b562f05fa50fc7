//! SIGKILL while a large bundle is being applied: after reopening, the vault passes its
//! check and holds either the whole bundle or none of it, and importing again
//! completes it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use safekeep_core::sync::{InviteSecret, Role};
use safekeep_core::{
    Answers, FormRef, Passphrase, RecordFilter, Unlock, Value, Vault, VaultOptions,
};

const CASES: usize = 5_000;

fn options() -> VaultOptions {
    VaultOptions::default().insecure_fast_kdf_for_tests()
}

fn random_below(n: u64) -> u64 {
    u64::from_le_bytes(safekeep_core::crypto::make_random().unwrap()) % n.max(1)
}

fn open(dir: &Path) -> Vault {
    let passphrase = Passphrase::new(safekeep_tests::PASSPHRASE);
    Vault::open(dir, Unlock::Passphrase(&passphrase), options()).expect("open vault")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A coordinator's vault holding `CASES` identified persons, exported as one bundle,
/// and a pristine vault that has joined the team but holds nothing yet.
fn setup(root: &Path) -> (std::path::PathBuf, std::path::PathBuf, usize) {
    let passphrase = Passphrase::new(safekeep_tests::PASSPHRASE);
    let (source_dir, target_dir) = (root.join("source"), root.join("target"));
    let (source, _) = Vault::create(&source_dir, &passphrase, options()).unwrap();
    let (target, _) = Vault::create(&target_dir, &passphrase, options()).unwrap();
    source.create_team("crash test", None).unwrap();
    let invite = source
        .create_invite(Role::Field, Duration::from_secs(3600))
        .unwrap();
    let secret = InviteSecret::parse(&invite.secret.to_display_string()).unwrap();
    target.join_team(&invite.invite, &secret).unwrap();
    source
        .batch(|b| {
            for i in 0..CASES {
                let case = b.create_case(Answers::new())?;
                let mut answers = Answers::new();
                answers.insert("name".into(), Value::Text(format!("Person {i} देवी")));
                answers.insert("age".into(), Value::Integer((i % 60) as i64));
                b.add_submission(case, FormRef::new("victim_identification"), answers)?;
            }
            Ok(())
        })
        .unwrap();
    let mut bundles = Vec::new();
    source
        .export_bundles(None, 256 * 1024 * 1024, |_, b| {
            bundles.push(b);
            Ok(())
        })
        .unwrap();
    assert_eq!(bundles.len(), 1, "one large bundle");
    let file = root.join("large.skb");
    std::fs::write(&file, &bundles[0]).unwrap();
    source.close().unwrap();
    target.close().unwrap();
    (target_dir, file, CASES * 2)
}

fn importer(dir: &Path, bundle: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_crash_importer"))
        .arg(dir)
        .arg(bundle)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start importer")
}

fn records(vault: &Vault) -> usize {
    vault
        .list(&RecordFilter {
            include_deleted: true,
            ..Default::default()
        })
        .unwrap()
        .len()
}

#[test]
fn killed_while_importing_a_large_bundle_the_vault_has_all_of_it_or_none() {
    let root = tempfile::tempdir().unwrap();
    let (pristine, bundle, total_ops) = setup(root.path());

    // How long a whole import takes here, to spread the kills over it.
    let timed = root.path().join("timed");
    copy_dir(&pristine, &timed);
    let mut child = importer(&timed, &bundle);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let started = Instant::now();
    assert!(lines.next().unwrap().unwrap().starts_with("done"));
    // Kills spread over the import and a little after it.
    let full = started.elapsed() * 6 / 5;
    assert!(child.wait().unwrap().success());
    assert_eq!(records(&open(&timed)), total_ops);

    let (mut none, mut all) = (0, 0);
    for round in 0..12 {
        let dir = root.path().join(format!("round{round}"));
        copy_dir(&pristine, &dir);
        let mut child = importer(&dir, &bundle);
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready");
        let wait = random_below(full.as_micros() as u64 + 1);
        std::thread::sleep(Duration::from_micros(wait));
        child.kill().ok();
        child.wait().unwrap();

        let vault = open(&dir);
        let report = vault.check().unwrap();
        assert!(report.is_ok(), "round {round}: {report:?}");
        match records(&vault) {
            0 => none += 1,
            n if n == total_ops => all += 1,
            n => panic!("round {round}: {n} of {total_ops} records: a partial import"),
        }
        // Importing again completes it, and a third time changes nothing.
        let bytes = std::fs::read(&bundle).unwrap();
        vault.import_bundle(&bytes).unwrap();
        assert_eq!(records(&vault), total_ops, "round {round}");
        assert_eq!(vault.import_bundle(&bytes).unwrap().applied, 0);
        assert!(vault.check().unwrap().is_ok());
        vault.close().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "12 kills during a {total_ops}-op import taking {full:?}: {none} left nothing, {all} had finished"
    );
    assert!(none > 0, "no kill landed before the commit");
}
