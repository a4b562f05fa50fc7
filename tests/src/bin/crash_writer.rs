//! Saves records in a loop for the crash test: prints `ready`, then for each record,
//! once its commit has returned, one line `ID TOKEN`. Killed with SIGKILL at random.

use std::io::Write;
use std::path::PathBuf;

use safekeep_core::{FormRef, Passphrase, Unlock, Vault, VaultOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .ok_or("usage: crash_writer VAULT_DIR")?,
    );
    let options = VaultOptions::default().insecure_fast_kdf_for_tests();
    let passphrase = Passphrase::new(safekeep_tests::PASSPHRASE);
    let vault = Vault::open(&dir, Unlock::Passphrase(&passphrase), options)?;
    let case = vault.create_case(Default::default())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    loop {
        let token = u64::from_le_bytes(safekeep_core::crypto::make_random()?);
        let answers = safekeep_tests::crash_answers(token);
        let id = vault.add_submission(case, FormRef::new("victim_identification"), answers)?;
        writeln!(out, "{id} {token}")?;
        out.flush()?;
    }
}
