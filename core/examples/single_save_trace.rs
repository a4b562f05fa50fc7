//! Saves one record at a time so `strace -c` can count what one commit costs.
use safekeep_core::{Answers, FormRef, Passphrase, Value, Vault, VaultOptions};
fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(
        dir.path(),
        &Passphrase::new("x"),
        VaultOptions::default().insecure_fast_kdf_for_tests(),
    )
    .unwrap();
    let case = vault.create_case(Answers::new()).unwrap();
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    for i in 0..n {
        let mut a = Answers::new();
        a.insert(
            "name".into(),
            Value::Text(format!("person {i} {}", "x".repeat(900))),
        );
        vault.add_submission(case, FormRef::new("f"), a).unwrap();
    }
}
