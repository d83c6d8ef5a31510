//! Content encryption (接口内容加密): AES-CBC with a zero IV and PKCS#7 padding, base64
//! ciphertext — v1 `biz_content` and response nodes, v3 request and response bodies.
//!
//! The zero IV is Alipay's protocol, not our choice; it is deterministic by design of the
//! SDKs (same key + plaintext ⇒ same ciphertext).

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::{Error, Result};

/// The name of this scheme on the wire: v1 `encrypt_type=AES`, v3 `alipay-encrypt-type: AES`.
pub const ENCRYPT_TYPE: &str = "AES";

const ZERO_IV: [u8; 16] = [0u8; 16];

/// An AES content-encryption key (`encrypt_key`), 128, 192 or 256 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for AesKey {
    // The key is a secret: show its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AesKey({} bits)", self.bytes.len() * 8)
    }
}

impl AesKey {
    /// From the base64 text Alipay's console shows (e.g. `aYA0GP8JEW+D7/UFaskCWA==`).
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = crate::keys::decode_base64_lenient(text.trim(), 0)?;
        Self::from_bytes(&bytes)
    }

    /// From raw key bytes (16, 24 or 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        match bytes.len() {
            16 | 24 | 32 => Ok(Self {
                bytes: bytes.to_vec(),
            }),
            n => Err(Error::AesKeyLength(n)),
        }
    }

    /// Generates a random AES-128 key.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes).expect("system RNG");
        Self { bytes }
    }

    /// The key as base64, for config files.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.bytes)
    }

    /// Encrypts and returns standard base64.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        let ct = match self.bytes.len() {
            16 => cbc::Encryptor::<aes::Aes128>::new(self.bytes[..].into(), &ZERO_IV.into())
                .encrypt_padded_vec_mut::<Pkcs7>(plaintext),
            24 => cbc::Encryptor::<aes::Aes192>::new(self.bytes[..].into(), &ZERO_IV.into())
                .encrypt_padded_vec_mut::<Pkcs7>(plaintext),
            _ => cbc::Encryptor::<aes::Aes256>::new(self.bytes[..].into(), &ZERO_IV.into())
                .encrypt_padded_vec_mut::<Pkcs7>(plaintext),
        };
        STANDARD.encode(ct)
    }

    /// Decrypts base64 ciphertext. Fails on bad base64, a length that is not a whole number
    /// of blocks, or bad padding (which is what a wrong key usually looks like).
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<Vec<u8>> {
        let ct = STANDARD
            .decode(ciphertext_b64.trim().as_bytes())
            .map_err(|e| Error::AesDecrypt(format!("ciphertext is not base64: {e}")))?;
        if ct.is_empty() || ct.len() % 16 != 0 {
            return Err(Error::AesDecrypt(format!(
                "ciphertext of {} bytes is not a whole number of AES blocks",
                ct.len()
            )));
        }
        let bad_padding = |_| Error::AesDecrypt("bad padding (wrong key?)".into());
        match self.bytes.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new(self.bytes[..].into(), &ZERO_IV.into())
                .decrypt_padded_vec_mut::<Pkcs7>(&ct)
                .map_err(bad_padding),
            24 => cbc::Decryptor::<aes::Aes192>::new(self.bytes[..].into(), &ZERO_IV.into())
                .decrypt_padded_vec_mut::<Pkcs7>(&ct)
                .map_err(bad_padding),
            _ => cbc::Decryptor::<aes::Aes256>::new(self.bytes[..].into(), &ZERO_IV.into())
                .decrypt_padded_vec_mut::<Pkcs7>(&ct)
                .map_err(bad_padding),
        }
    }

    /// Decrypts to UTF-8 text (all Alipay payloads are UTF-8 JSON).
    pub fn decrypt_to_string(&self, ciphertext_b64: &str) -> Result<String> {
        String::from_utf8(self.decrypt(ciphertext_b64)?)
            .map_err(|_| Error::AesDecrypt("plaintext is not UTF-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_key_sizes_round_trip_and_reject_bad_input() {
        for n in [16usize, 24, 32] {
            let key = AesKey::from_bytes(&vec![7u8; n]).unwrap();
            for pt in [
                &b""[..],
                b"x",
                b"0123456789abcdef",
                "中文{\"a\":1}".as_bytes(),
            ] {
                assert_eq!(key.decrypt(&key.encrypt(pt)).unwrap(), pt);
            }
        }
        assert_eq!(AesKey::from_bytes(&[0; 15]), Err(Error::AesKeyLength(15)));
        let key = AesKey::generate();
        assert!(key.decrypt("not base64!").is_err());
        assert!(key.decrypt("AAAA").is_err());
        let other = AesKey::generate();
        let ct = key.encrypt(b"{\"code\":\"10000\"}");
        // A wrong key almost always shows up as bad padding or non-matching plaintext.
        assert_ne!(
            other.decrypt(&ct).ok().as_deref(),
            Some(&b"{\"code\":\"10000\"}"[..])
        );
    }
}
