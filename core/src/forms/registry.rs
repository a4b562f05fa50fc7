//! Forms loaded into a vault by an organisation (the built-in pack ships in the
//! binary). A loaded form is checked first, then kept sealed in the vault as the file
//! it came from, under a keyed hash of its id and version: form ids are not stored in
//! clear. Loading a form with the id and version of one already loaded replaces it;
//! another version is kept beside it, so submissions made with an older version stay
//! readable against that version.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::model::{Form, FormLoadError};
use super::{FormFormat, load};
use crate::crypto::{CryptoError, KeyedHasher, Place};
use crate::store::{Store, StoreError};
use crate::vault::Vault;

/// What a list of forms shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormSummary {
    /// Form id.
    pub id: String,
    /// Version, if the form has one.
    pub version: Option<String>,
    /// Title, if the form has one.
    pub title: Option<String>,
    /// Shipped with Safekeep rather than loaded into this vault.
    pub builtin: bool,
}

impl FormSummary {
    fn of(form: &Form, builtin: bool) -> Self {
        Self {
            id: form.id.clone(),
            version: form.version.clone(),
            title: form.title.clone(),
            builtin,
        }
    }
}

/// What can go wrong with the forms of a vault.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The vault is locked.
    #[error("the vault is locked")]
    Locked,
    /// The file is not a form this loader accepts; every problem is listed.
    #[error(transparent)]
    Invalid(#[from] FormLoadError),
    /// A stored form failed to open (the vault file was altered or damaged).
    #[error("a stored form failed authentication: the vault file was altered or is damaged")]
    Damaged,
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sealing failure.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

#[derive(Serialize, Deserialize)]
struct StoredForm {
    format: u8,
    default_id: String,
    bytes: Vec<u8>,
}

fn format_code(format: FormFormat) -> u8 {
    match format {
        FormFormat::Xlsx => 1,
        FormFormat::Xls => 2,
        FormFormat::Json => 3,
    }
}

fn format_of(code: u8) -> Option<FormFormat> {
    match code {
        1 => Some(FormFormat::Xlsx),
        2 => Some(FormFormat::Xls),
        3 => Some(FormFormat::Json),
        _ => None,
    }
}

fn tag(hasher: &KeyedHasher, id: &str, version: Option<&str>) -> [u8; 32] {
    let mut key = id.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(version.unwrap_or("").as_bytes());
    hasher.hash(&key)
}

impl Vault {
    /// Checks a form file and keeps it in the vault; returns what was loaded. A form
    /// with problems is refused with every problem, and nothing is stored.
    pub fn load_form(
        &self,
        bytes: &[u8],
        format: FormFormat,
        default_id: &str,
    ) -> Result<FormSummary, RegistryError> {
        let form = load(bytes, format, default_id)?;
        let stored = StoredForm {
            format: format_code(format),
            default_id: default_id.to_owned(),
            bytes: bytes.to_vec(),
        };
        let plain = postcard::to_allocvec(&stored).map_err(|_| RegistryError::Damaged)?;
        self.with_unlocked(RegistryError::Locked, |u| {
            let hasher = KeyedHasher::derive(&u.data_key, "forms.tag");
            let tag = tag(&hasher, &form.id, form.version.as_deref());
            let sealed = u.sealer.seal(
                Place {
                    table: "forms",
                    row: &tag,
                },
                &plain,
            )?;
            Store::put_form(u.store.conn(), &tag, &sealed)?;
            u.loaded_forms = None;
            Ok(())
        })?;
        Ok(FormSummary::of(&form, false))
    }

    /// Every form loaded into this vault, parsed.
    pub fn loaded_forms(&self) -> Result<Vec<Form>, RegistryError> {
        Ok(self.loaded_forms_shared()?.as_ref().clone())
    }

    /// The loaded forms, parsed once per unlock and shared until a form is loaded.
    pub(crate) fn loaded_forms_shared(&self) -> Result<Arc<Vec<Form>>, RegistryError> {
        self.with_unlocked(RegistryError::Locked, |u| {
            if let Some(forms) = &u.loaded_forms {
                return Ok(Arc::clone(forms));
            }
            let mut out = Vec::new();
            for (tag, sealed) in Store::forms(u.store.conn())? {
                let plain = u
                    .sealer
                    .open(
                        Place {
                            table: "forms",
                            row: &tag,
                        },
                        &sealed,
                    )
                    .map_err(|_| RegistryError::Damaged)?;
                let stored: StoredForm =
                    postcard::from_bytes(&plain).map_err(|_| RegistryError::Damaged)?;
                let format = format_of(stored.format).ok_or(RegistryError::Damaged)?;
                out.push(load(&stored.bytes, format, &stored.default_id)?);
            }
            let forms = Arc::new(out);
            u.loaded_forms = Some(Arc::clone(&forms));
            Ok(forms)
        })
    }

    /// Every form this vault can use: the built-in pack, then the forms loaded into it.
    pub fn forms(&self) -> Result<Vec<FormSummary>, RegistryError> {
        let mut out: Vec<FormSummary> = super::builtin::loaded()
            .iter()
            .map(|f| FormSummary::of(f, true))
            .collect();
        out.extend(
            self.loaded_forms_shared()?
                .iter()
                .map(|f| FormSummary::of(f, false)),
        );
        Ok(out)
    }

    /// A form by id and version (`None`: the loaded form of that id with the highest
    /// version, else the built-in one). A loaded form overrides a built-in one.
    pub fn form(&self, id: &str, version: Option<&str>) -> Result<Option<Form>, RegistryError> {
        let matches =
            |f: &Form| f.id == id && version.is_none_or(|v| f.version.as_deref() == Some(v));
        let loaded = self.loaded_forms_shared()?;
        let newest = loaded
            .iter()
            .filter(|f| matches(f))
            .max_by(|a, b| version_order(a.version.as_deref(), b.version.as_deref()));
        if let Some(form) = newest {
            return Ok(Some(form.clone()));
        }
        Ok(super::builtin::loaded()
            .iter()
            .find(|f| matches(f))
            .cloned())
    }
}

/// Versions compare number by number where both are numbers (`2026.11.2` < `2026.11.10`),
/// as text otherwise; no version sorts first.
fn version_order(a: Option<&str>, b: Option<&str>) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<Result<u64, String>> {
        v.split(['.', '-', '_'])
            .map(|p| p.parse::<u64>().map_err(|_| p.to_owned()))
            .collect()
    };
    match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(a), Some(b)) => {
            for (x, y) in parts(a).iter().zip(parts(b).iter()) {
                let ord = match (x, y) {
                    (Ok(x), Ok(y)) => x.cmp(y),
                    (x, y) => format!("{x:?}").cmp(&format!("{y:?}")),
                };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            parts(a).len().cmp(&parts(b).len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_like_people_number_them() {
        use std::cmp::Ordering::*;
        assert_eq!(version_order(Some("2026.11.2"), Some("2026.11.10")), Less);
        assert_eq!(version_order(Some("3"), Some("3")), Equal);
        assert_eq!(version_order(None, Some("1")), Less);
        assert_eq!(version_order(Some("2026.11.1"), Some("2026.11")), Greater);
    }
}
