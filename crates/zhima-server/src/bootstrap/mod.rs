//! The zero-config sandbox (PRODUCT §8 `zhima serve`): on first start, [`bootstrap_default`]
//! generates a platform and a demo app key pair in a data directory and writes the demo
//! configuration (`demo.toml`, shipped in this directory and compiled in) as `zhima.toml`, so
//! users learn the format from it; later starts load that file with the normal loader,
//! [`Config::load`].

pub mod admin_token;
pub mod demo;
pub mod view_key;

use std::path::Path;

use zhima_proto::keys::PrivateKey;

use crate::config::Config;
use crate::error::{Error, Result};

/// Name of the file the bootstrap writes into the data directory.
pub const DEFAULT_CONFIG_FILE: &str = "zhima.toml";

/// The configuration the bootstrap writes, `bootstrap/demo.toml` (paths in it are relative to
/// the data directory).
pub const DEMO_CONFIG: &str = include_str!("demo.toml");

/// Loads `data_dir/zhima.toml`, creating a demo sandbox there first if it does not exist:
/// a platform key pair, a demo app key pair, and a config declaring the demo app, template,
/// agreement, trade and the "promise" state machine of PRODUCT §9.
///
/// The file is written last (via a temporary file and a rename), so an interrupted first start
/// simply starts over.
pub fn bootstrap_default(data_dir: &Path) -> Result<Config> {
    let config_path = data_dir.join(DEFAULT_CONFIG_FILE);
    if !config_path.exists() {
        write_demo_sandbox(data_dir, &config_path)?;
    }
    Config::load(&config_path)
}

fn write_demo_sandbox(data_dir: &Path, config_path: &Path) -> Result<()> {
    let io = |what: &Path, e: std::io::Error| {
        Error::Config(format!("cannot write {}: {e}", what.display()))
    };
    let keys_dir = data_dir.join("keys");
    std::fs::create_dir_all(&keys_dir).map_err(|e| io(&keys_dir, e))?;
    let gen =
        || PrivateKey::generate().map_err(|e| Error::internal(format!("key generation: {e}")));
    let platform = gen()?;
    let app = gen()?;
    let files: [(&str, String, bool); 5] = [
        (demo::PLATFORM_PRIVATE_KEY, platform.to_pkcs1_pem(), true),
        (
            demo::PLATFORM_PUBLIC_KEY,
            platform.public_key().to_spki_pem(),
            false,
        ),
        (demo::APP_PRIVATE_KEY, app.to_pkcs1_pem(), true),
        (demo::APP_PRIVATE_KEY_PKCS8, app.to_pkcs8_pem(), true),
        (demo::APP_PUBLIC_KEY, app.public_key().to_spki_pem(), false),
    ];
    for (rel, text, secret) in files {
        let path = data_dir.join(rel);
        write_file(&path, &text, secret).map_err(|e| io(&path, e))?;
    }
    let tmp = config_path.with_extension("toml.tmp");
    write_file(&tmp, DEMO_CONFIG, false).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, config_path).map_err(|e| io(config_path, e))
}

/// Writes a file; secrets are created owner-only (0600) on Unix.
fn write_file(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use zhima_proto::keys::PublicKey;
    use zhima_proto::money::Fen;

    use super::*;
    use crate::config::DEFAULT_LISTEN;

    #[test]
    fn bootstrap_creates_a_working_sandbox_then_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = bootstrap_default(dir.path()).unwrap();
        for f in [
            demo::PLATFORM_PUBLIC_KEY,
            demo::APP_PRIVATE_KEY,
            demo::APP_PRIVATE_KEY_PKCS8,
        ] {
            assert!(dir.path().join(f).is_file(), "{f}");
        }
        let r = &first.records;
        assert_eq!(
            (
                r.apps.len(),
                r.templates.len(),
                r.agreements.len(),
                r.trades.len()
            ),
            (1, 2, 2, 1)
        );
        assert_eq!(r.apps[0].app_id, demo::APP_ID);
        assert_eq!(r.state_services[0].service_id, demo::SERVICE_ID);
        assert_eq!(first.server.data_dir, dir.path().join("."));
        assert_eq!(first.server.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(first.server.clock_skew, chrono::Duration::minutes(15));
        assert_eq!(r.templates[0].obligation_amount, Some(Fen(10_000)));

        // The app key pair on disk matches what the platform registered, in both PEM forms.
        let app_key = PrivateKey::from_text(
            &std::fs::read_to_string(dir.path().join(demo::APP_PRIVATE_KEY_PKCS8)).unwrap(),
        )
        .unwrap();
        assert_eq!(app_key.public_key().to_spki_pem(), r.apps[0].public_key_pem);
        let platform_public =
            std::fs::read_to_string(dir.path().join(demo::PLATFORM_PUBLIC_KEY)).unwrap();
        assert!(first
            .platform
            .private_key
            .matches(&PublicKey::from_text(&platform_public).unwrap()));

        // A second start loads the same sandbox instead of generating new keys.
        let second = bootstrap_default(dir.path()).unwrap();
        assert!(second
            .platform
            .private_key
            .matches(&first.platform.private_key.public_key()));
        assert_eq!(second.records, first.records);
    }

    #[test]
    fn the_shipped_demo_file_loads_through_the_normal_loader() {
        // What is compiled in is the file in the source tree, byte for byte …
        let on_disk = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/bootstrap/demo.toml"
        ))
        .unwrap();
        assert_eq!(DEMO_CONFIG, on_disk);

        // … the bootstrap writes it unchanged, and `Config::load` reads it like any config.
        let dir = tempfile::tempdir().unwrap();
        bootstrap_default(dir.path()).unwrap();
        let path = dir.path().join(DEFAULT_CONFIG_FILE);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO_CONFIG);
        let config = Config::load(&path).unwrap();

        // The names the CLI and tests rely on are the ones the file declares.
        let r = &config.records;
        assert_eq!(
            config.platform.private_key_file,
            dir.path().join(demo::PLATFORM_PRIVATE_KEY)
        );
        assert_eq!(
            (r.apps[0].app_id.as_str(), r.apps[0].partner_id.as_str()),
            (demo::APP_ID, demo::PARTNER_ID)
        );
        let app_public = std::fs::read_to_string(dir.path().join(demo::APP_PUBLIC_KEY)).unwrap();
        assert_eq!(r.apps[0].public_key_pem, app_public);
        let agreements: Vec<(&str, Option<&str>, &str)> = r
            .agreements
            .iter()
            .map(|a| {
                (
                    a.agreement_no.as_str(),
                    a.user_id.as_deref(),
                    a.partner_id.as_str(),
                )
            })
            .collect();
        assert_eq!(
            agreements,
            [
                (demo::AGREEMENT_NO, Some(demo::USER_ID), demo::PARTNER_ID),
                (
                    demo::BOUND_AGREEMENT_NO,
                    Some(demo::USER_ID),
                    demo::PARTNER_ID
                ),
            ]
        );
        assert_eq!(r.state_services[0].service_id, demo::SERVICE_ID);
        assert_eq!(r.state_services[0].app_ids, [demo::APP_ID]);
    }
}
