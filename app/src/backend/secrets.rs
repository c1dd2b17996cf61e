//! Random secrets and the digests they are stored as.
//!
//! Links that grant something (invitations, password resets) and recovery
//! codes are long random strings; the database keeps only their SHA-256.
//! That is enough because they are random (unlike passwords, which need a
//! slow hash), and it means a copy of the database opens nothing.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `len` bytes from the operating system's generator.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A 256-bit random token for a link, as 64 hex characters.
pub fn random_token() -> String {
    hex::encode(random_bytes(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_hex() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn digest_is_standard_sha256() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
