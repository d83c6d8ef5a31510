//! RSA keys in every form Alipay's key tool and the official SDKs hand out.
//!
//! * private keys: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`), PEM or bare base64
//!   (with or without line breaks, spaces, a trailing newline);
//! * public keys: SubjectPublicKeyInfo (`PUBLIC KEY`), PEM or bare base64, or an X.509
//!   certificate (the platform certificate of cert mode).
//!
//! All RSA arithmetic is done by aws-lc-rs (never the `rsa` crate, RUSTSEC-2023-0071).
//! Errors say what was found, e.g. "this is a public key" or
//! "PKCS#1 body under a PKCS#8 header".//!
//! | file | what |
//! |---|---|
//! | `private.rs` | [`PrivateKey`]: load, generate, write as PKCS#1/PKCS#8 PEM or base64 |
//! | `public.rs` | [`PublicKey`]: load from SPKI, PKCS#1 or a certificate; fingerprint |
//! | `format.rs` | PEM blocks, lenient base64, telling DER structures apart ([`KeyKind`]) |
//! | `inspect.rs` | [`inspect`]: what a key text is, without keeping it |
//! | `sha1_signer.rs` | SHA1withRSA signing through AWS-LC's C API (aws-lc-rs refuses it) |
//!
//! Signing and verifying with these keys is [`crate::sign`].

mod format;
mod inspect;
mod private;
mod public;
mod sha1_signer;
#[cfg(test)]
mod tests;

pub use format::{
    classify_der, decode_base64_lenient, pem_blocks, to_pem, KeyKind, PemBlock, TextEncoding,
};
pub use inspect::{inspect, KeyInfo};
pub use private::PrivateKey;
pub use public::PublicKey;
