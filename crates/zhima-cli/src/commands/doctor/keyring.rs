//! The keys handed to doctor, loaded leniently, and the mistakes visible from the keys alone:
//! a PEM header over the wrong body, a private key in a public slot, the same key in the app
//! and platform slots, an app private key that is not the pair of the app public key.

use std::path::{Path, PathBuf};

use zhima_proto::cert::{self, CertInfo};
use zhima_proto::keys::{PrivateKey, PublicKey};

use super::findings::{Code, Finding, Findings};
use crate::commands::keys::{load_key_file, read_input, AnyKey};
use crate::Failure;

/// Where doctor's keys come from.
pub struct KeyPaths {
    /// The app private key the client signs with.
    pub app_private: Option<PathBuf>,
    /// The app public key registered with the platform.
    pub app_public: Option<PathBuf>,
    /// The platform (alipay) public key.
    pub platform_public: Option<PathBuf>,
    /// The app public-key certificate (cert mode).
    pub app_cert: Option<PathBuf>,
    /// The platform root certificate bundle (cert mode).
    pub root_cert: Option<PathBuf>,
}

/// The loaded keys.
pub struct KeyRing {
    /// The app private key.
    pub app_private: Option<PrivateKey>,
    /// The app public key as registered (or taken from the app certificate).
    pub app_public: Option<PublicKey>,
    /// The platform public key.
    pub platform_public: Option<PublicKey>,
    /// The app certificate.
    pub app_cert: Option<CertInfo>,
    /// The root bundle's SN list.
    pub root_cert_sn: Option<String>,
}

/// Which key the platform verifies with, and how doctor names it.
pub struct VerifyingKey {
    /// The key.
    pub key: PublicKey,
    /// Human name of the slot it came from.
    pub source: &'static str,
}

impl KeyRing {
    /// Loads every given key, adding a finding for each problem the files show.
    pub fn load(paths: &KeyPaths, findings: &mut Findings) -> Result<Self, Failure> {
        let app_private = match &paths.app_private {
            None => None,
            Some(path) => match load_slot(path, "--app-private-key", findings)? {
                AnyKey::Private(k) => Some(k),
                AnyKey::Public(_) => {
                    findings.add(Finding::error(
                        Code::WrongKeyKind,
                        format!("{} (given as the app private key) is a public key", path.display()),
                        "give the app private key the client signs with (e.g. keys/app_private.pem)",
                    ));
                    None
                }
            },
        };
        let app_public = public_slot(paths.app_public.as_deref(), "--app-public-key", findings)?;
        let platform_public = public_slot(
            paths.platform_public.as_deref(),
            "--platform-public-key",
            findings,
        )?;
        let app_cert = match &paths.app_cert {
            None => None,
            Some(path) => Some(
                cert::load_certificate(&read_input(path)?)
                    .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?,
            ),
        };
        let root_cert_sn = match &paths.root_cert {
            None => None,
            Some(path) => Some(
                cert::root_cert_sn(&read_input(path)?)
                    .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?,
            ),
        };
        let ring = KeyRing {
            app_private,
            app_public,
            platform_public,
            app_cert,
            root_cert_sn,
        };
        ring.check_slots(findings);
        Ok(ring)
    }

    /// The public half of the app private key.
    pub fn signer_public(&self) -> Option<PublicKey> {
        self.app_private.as_ref().map(PrivateKey::public_key)
    }

    /// The key the platform verifies requests with: the registered app public key, else the
    /// app certificate's key, else the public half of the app private key.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        if let Some(key) = &self.app_public {
            return Some(VerifyingKey {
                key: key.clone(),
                source: "the app public key",
            });
        }
        if let Some(key) = self.app_cert.as_ref().and_then(|c| c.public_key.clone()) {
            return Some(VerifyingKey {
                key,
                source: "the app certificate's key",
            });
        }
        self.signer_public().map(|key| VerifyingKey {
            key,
            source: "the public half of the app private key",
        })
    }

    /// Whether the registered app key is the platform's key (the app slot holds the platform key).
    pub fn app_slot_holds_platform_key(&self) -> bool {
        matches!((&self.app_public, &self.platform_public), (Some(a), Some(p)) if a == p)
    }

    fn check_slots(&self, findings: &mut Findings) {
        let signer = self.signer_public();
        let app = self
            .app_public
            .clone()
            .or_else(|| self.app_cert.as_ref().and_then(|c| c.public_key.clone()));
        if let (Some(signer), Some(app)) = (&signer, &app) {
            if signer != app {
                findings.add(Finding::warning(
                    Code::KeyPairMismatch,
                    format!(
                        "the app private key (public half {}) is not the pair of the app public key \
                         (fingerprint {})",
                        short(signer),
                        short(app)
                    ),
                    "register the public half of the private key you sign with \
                     (`zhima keys convert <private> --to spki`), or sign with the matching private key",
                ));
            }
        }
        let Some(platform) = &self.platform_public else {
            return;
        };
        if self.app_slot_holds_platform_key() && signer.as_ref().is_some_and(|s| s != platform) {
            findings.add(Finding::error(
                Code::WrongKeySlot,
                format!(
                    "the app public key given is the platform's public key (fingerprint {}): the \
                     platform verifies your requests with it, so no request signed with your app \
                     private key can verify",
                    short(platform)
                ),
                "register the app public key (the public half of your app private key, e.g. \
                 keys/app_public.pem), not the platform (alipay) public key",
            ));
        } else if signer.as_ref() == Some(platform) || app.as_ref() == Some(platform) {
            findings.add(Finding::error(
                Code::WrongKeySlot,
                format!(
                    "the same key (fingerprint {}) is given as the app key and as the platform \
                     public key; the app key pair and the platform key pair are always different \
                     (the Java SDK refuses this with CHECK_ALIPAY_PUBLIC_KEY_ERROR)",
                    short(platform)
                ),
                "the SDK's alipay_public_key must be the platform's public key \
                 (keys/platform_public.pem), and the app signs with its own private key \
                 (keys/app_private.pem)",
            ));
        }
    }
}

/// Loads one slot; a PEM header over the wrong body is reported and the body used.
fn load_slot(path: &Path, slot: &str, findings: &mut Findings) -> Result<AnyKey, Failure> {
    let loaded = load_key_file(path)?;
    if let Some(problem) = loaded.label_problem {
        findings.add(Finding::error(
            Code::PkcsHeaderMismatch,
            format!("{} ({slot}): {problem}", path.display()),
            match loaded.kind.is_private() {
                true => format!(
                    "fix the header, or rewrite the file: `zhima keys convert {0} --to pkcs8` for \
                     the Java SDKs, `--to pkcs1` for Python/Node (the SDKs choose the parser by \
                     the header)",
                    path.display()
                ),
                false => format!(
                    "fix the header, or rewrite the file: `zhima keys convert {} --to spki`",
                    path.display()
                ),
            },
        ));
    }
    Ok(loaded.key)
}

/// Loads a public-key slot; a private key there is reported (and its public half used).
fn public_slot(
    path: Option<&Path>,
    slot: &str,
    findings: &mut Findings,
) -> Result<Option<PublicKey>, Failure> {
    let Some(path) = path else { return Ok(None) };
    Ok(Some(match load_slot(path, slot, findings)? {
        AnyKey::Public(k) => k,
        AnyKey::Private(k) => {
            findings.add(Finding::warning(
                Code::WrongKeyKind,
                format!(
                    "{} ({slot}) is a private key; a public key belongs there",
                    path.display()
                ),
                "give the public key (`zhima keys convert <private> --to spki`); never hand a \
                 private key to anyone, the platform included",
            ));
            k.public_key()
        }
    }))
}

/// The first 16 hex digits of a key's fingerprint, enough to tell keys apart in a message.
pub fn short(key: &PublicKey) -> String {
    key.fingerprint()[..16].to_string()
}
