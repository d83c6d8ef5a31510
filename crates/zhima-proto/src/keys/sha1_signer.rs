//! The one operation aws-lc-rs will not do: SHA1withRSA *signing* (`sign_type=RSA`).

use crate::error::{Error, Result};

/// SHA1withRSA signing through AWS-LC's C API.
///
/// aws-lc-rs verifies SHA1 signatures but refuses to create them; Alipay's `sign_type=RSA`
/// requires exactly that, so this one operation goes to `RSA_sign(NID_sha1, …)` of the same
/// AWS-LC library aws-lc-rs links. The `RSA*` is parsed once and owned here.
pub(crate) struct LegacySha1Signer {
    rsa: std::ptr::NonNull<aws_lc_sys::RSA>,
}

// SAFETY: AWS-LC documents RSA objects as safe for concurrent use by const operations;
// RSA_sign only mutates internal caches (blinding, Montgomery contexts) under its own lock.
unsafe impl Send for LegacySha1Signer {}
unsafe impl Sync for LegacySha1Signer {}

impl LegacySha1Signer {
    pub(crate) fn new(pkcs1_der: &[u8]) -> Result<Self> {
        // SAFETY: pointer/length describe a live slice; AWS-LC copies what it needs.
        let ptr =
            unsafe { aws_lc_sys::RSA_private_key_from_bytes(pkcs1_der.as_ptr(), pkcs1_der.len()) };
        std::ptr::NonNull::new(ptr)
            .map(|rsa| Self { rsa })
            .ok_or_else(|| Error::KeyRejected("AWS-LC could not parse the PKCS#1 key".into()))
    }

    pub(crate) fn sign_sha1(&self, message: &[u8]) -> Result<Vec<u8>> {
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, message);
        let digest = digest.as_ref();
        // SAFETY: the RSA pointer is valid for self's lifetime; `out` has RSA_size bytes as
        // RSA_sign requires; out_len receives the written length.
        unsafe {
            let size = aws_lc_sys::RSA_size(self.rsa.as_ptr()) as usize;
            let mut out = vec![0u8; size];
            let mut out_len: std::os::raw::c_uint = 0;
            let ok = aws_lc_sys::RSA_sign(
                aws_lc_sys::NID_sha1,
                digest.as_ptr(),
                digest.len(),
                out.as_mut_ptr(),
                &mut out_len,
                self.rsa.as_ptr(),
            );
            if ok != 1 {
                return Err(Error::Signing);
            }
            out.truncate(out_len as usize);
            Ok(out)
        }
    }
}

impl Drop for LegacySha1Signer {
    fn drop(&mut self) {
        // SAFETY: we own the only reference, created by RSA_private_key_from_bytes.
        unsafe { aws_lc_sys::RSA_free(self.rsa.as_ptr()) }
    }
}
