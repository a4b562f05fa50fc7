//! Random identifiers. They are the only identifiers stored in clear: 128 random bits
//! say nothing about the person or the record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, make_random};

/// The text form of an id is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: expected 32 hexadecimal digits")]
pub struct InvalidId;

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A new random id.
            pub fn make_random() -> Result<Self, CryptoError> {
                Ok(Self(make_random()?))
            }

            /// The 16 raw bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// From raw bytes read back from storage.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, InvalidId> {
                <[u8; 16]>::try_from(bytes).map(Self).map_err(|_| InvalidId)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for b in self.0 {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                let s = s.trim();
                if s.len() != 32 || !s.is_ascii() {
                    return Err(InvalidId);
                }
                let mut out = [0u8; 16];
                for (i, byte) in out.iter_mut().enumerate() {
                    *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| InvalidId)?;
                }
                Ok(Self(out))
            }
        }
    };
}

random_id!(
    /// Identifies one record (a case, a submission, a service entry).
    RecordId
);
random_id!(
    /// Identifies one device's op log; breaks ties between equal clock readings.
    DeviceId
);
random_id!(
    /// Identifies one vault; bound into every sealed value's associated data.
    VaultId
);
random_id!(
    /// Identifies one team: the devices that share records under one team key.
    TeamId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_reject_garbage() {
        let id = RecordId::make_random().unwrap();
        assert_eq!(id.to_string().parse::<RecordId>().unwrap(), id);
        assert!("xyz".parse::<RecordId>().is_err());
        assert!("é".repeat(16).parse::<RecordId>().is_err());
        assert!("0g".repeat(16).parse::<RecordId>().is_err());
    }
}
