//! Imports one bundle file for the import crash test: prints `ready` once the vault is
//! open, imports, prints `done`. Killed with SIGKILL at random moments in between.

use std::io::Write;
use std::path::PathBuf;

use safekeep_core::{Passphrase, Unlock, Vault, VaultOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: crash_importer VAULT_DIR BUNDLE_FILE";
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let bundle = std::fs::read(PathBuf::from(args.next().ok_or(usage)?))?;
    let options = VaultOptions::default().insecure_fast_kdf_for_tests();
    let passphrase = Passphrase::new(safekeep_tests::PASSPHRASE);
    let vault = Vault::open(&dir, Unlock::Passphrase(&passphrase), options)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let report = vault.import_bundle(&bundle)?;
    writeln!(out, "done {}", report.applied)?;
    out.flush()?;
    Ok(())
}
