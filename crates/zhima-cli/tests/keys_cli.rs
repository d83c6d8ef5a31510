//! `zhima keys gen|inspect|convert`, run as the real binary.

mod cli_support;

use cli_support::zhima;
use serde_json::Value;
use zhima_proto::keys::{PrivateKey, PublicKey};

fn inspect_json(files: &[&std::path::Path]) -> (i32, Value, String) {
    let mut args: Vec<String> = vec!["keys".into(), "inspect".into(), "--json".into()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let (code, stdout, stderr) = zhima(&args);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    )
}

#[test]
fn gen_writes_a_matching_pkcs1_pem_pair_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let (code, stdout, stderr) = zhima(&["keys", "gen", "--out-dir", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let private_text = std::fs::read_to_string(out.join("app_private.pem")).unwrap();
    let public_text = std::fs::read_to_string(out.join("app_public.pem")).unwrap();
    assert!(private_text.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(public_text.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let private = PrivateKey::from_text(&private_text).unwrap();
    let public = PublicKey::from_text(&public_text).unwrap();
    assert_eq!(private.bits(), 2048);
    assert!(private.matches(&public));
    assert!(stdout.contains(&public.fingerprint()), "{stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(out.join("app_private.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the private key is owner-only");
    }

    let (code, _, stderr) = zhima(&["keys", "gen", "--out-dir", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("app_private.pem")).unwrap(),
        private_text,
        "untouched"
    );

    let (code, _, stderr) = zhima(&["keys", "gen", "--out-dir", out.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(
        std::fs::read_to_string(out.join("app_private.pem")).unwrap(),
        private_text,
        "replaced"
    );
}

#[test]
fn gen_writes_pkcs8_base64_for_java() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, _, stderr) = zhima(&[
        "keys",
        "gen",
        "--out-dir",
        d,
        "--name",
        "java",
        "--format",
        "pkcs8",
        "--encoding",
        "base64",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let private_text = std::fs::read_to_string(dir.path().join("java_private.txt")).unwrap();
    assert_eq!(
        private_text.trim().lines().count(),
        1,
        "one line of bare base64"
    );
    let (code, report, stderr) = inspect_json(&[
        &dir.path().join("java_private.txt"),
        &dir.path().join("java_public.txt"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["files"][0]["format"], "pkcs8");
    assert_eq!(report["files"][0]["encoding"], "base64");
    assert_eq!(report["files"][1]["format"], "spki");
    assert_eq!(report["pairs"][0]["matches"], true);
}

#[test]
fn inspect_reports_kind_size_fingerprint_and_mismatches() {
    let dir = tempfile::tempdir().unwrap();
    let a = PrivateKey::generate().unwrap();
    let b = PrivateKey::generate().unwrap();
    let a_private = dir.path().join("a.pem");
    let b_public = dir.path().join("b_public.pem");
    std::fs::write(&a_private, a.to_pkcs8_pem()).unwrap();
    std::fs::write(&b_public, b.public_key().to_spki_base64()).unwrap();
    let (code, report, _) = inspect_json(&[&a_private, &b_public]);
    assert_eq!(code, 1, "a pair that does not match exits 1");
    assert_eq!(report["files"][0]["kind"], "RSA private key, PKCS#8");
    assert_eq!(report["files"][0]["private"], true);
    assert_eq!(report["files"][0]["bits"], 2048);
    assert_eq!(
        report["files"][0]["fingerprint"],
        a.public_key().fingerprint()
    );
    assert_eq!(
        report["files"][1]["fingerprint"],
        b.public_key().fingerprint()
    );
    assert_eq!(report["pairs"][0]["matches"], false);

    let (code, stdout, _) = zhima(&[
        "keys",
        "inspect",
        a_private.to_str().unwrap(),
        b_public.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("DO NOT MATCH"), "{stdout}");
    assert!(stdout.contains("PEM, 2048 bits"), "{stdout}");
}

#[test]
fn inspect_names_a_pkcs1_body_under_a_pkcs8_header() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate().unwrap();
    let path = dir.path().join("mixed.pem");
    std::fs::write(
        &path,
        key.to_pkcs1_pem().replace("RSA PRIVATE KEY", "PRIVATE KEY"),
    )
    .unwrap();
    let (code, report, _) = inspect_json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(report["files"][0]["format"], "pkcs1");
    let problem = report["files"][0]["problem"].as_str().unwrap();
    assert!(
        problem.contains("-----BEGIN PRIVATE KEY-----") && problem.contains("PKCS#1"),
        "{problem}"
    );
}

#[test]
fn inspect_rejects_what_is_not_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.pem");
    std::fs::write(&path, "MIIE*notbase64").unwrap();
    let (code, _, stderr) = zhima(&["keys", "inspect", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("junk.pem") && stderr.contains("not base64 at offset 4"),
        "{stderr}"
    );
    let (code, _, stderr) = zhima(&[
        "keys",
        "inspect",
        dir.path().join("missing.pem").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn convert_between_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate().unwrap();
    let pkcs1 = dir.path().join("k.pem");
    std::fs::write(&pkcs1, key.to_pkcs1_base64()).unwrap();
    let p = pkcs1.to_str().unwrap();
    let convert = |args: &[&str]| {
        let (code, stdout, stderr) = zhima(&[&["keys", "convert"][..], args].concat());
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    assert_eq!(convert(&[p, "--to", "pkcs8"]), key.to_pkcs8_pem());
    assert_eq!(convert(&[p, "--to", "pkcs1"]), key.to_pkcs1_pem());
    assert_eq!(
        convert(&[p, "--to", "pkcs8", "--encoding", "base64"]).trim(),
        key.to_pkcs8_base64()
    );
    assert_eq!(
        convert(&[p, "--to", "spki"]),
        key.public_key().to_spki_pem()
    );
    assert_eq!(
        convert(&[p, "--to", "spki", "--encoding", "base64"]).trim(),
        key.public_key().to_spki_base64()
    );

    // A mislabelled file is repaired by its body.
    let mixed = dir.path().join("mixed.pem");
    std::fs::write(
        &mixed,
        key.to_pkcs8_pem().replace("PRIVATE KEY", "RSA PRIVATE KEY"),
    )
    .unwrap();
    assert_eq!(
        convert(&[mixed.to_str().unwrap(), "--to", "pkcs8"]),
        key.to_pkcs8_pem()
    );

    // A public key cannot become a private key.
    let public = dir.path().join("pub.pem");
    std::fs::write(&public, key.public_key().to_spki_pem()).unwrap();
    let (code, _, stderr) = zhima(&["keys", "convert", public.to_str().unwrap(), "--to", "pkcs8"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("public key"), "{stderr}");

    // --out refuses to overwrite without --force.
    let out = dir.path().join("out.pem");
    let o = out.to_str().unwrap();
    assert_eq!(convert(&[p, "--to", "pkcs8", "--out", o]), "");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), key.to_pkcs8_pem());
    let (code, _, _) = zhima(&["keys", "convert", p, "--to", "pkcs1", "--out", o]);
    assert_eq!(code, 2);
    convert(&[p, "--to", "pkcs1", "--out", o, "--force"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), key.to_pkcs1_pem());
}

#[test]
fn convert_takes_the_key_out_of_a_certificate() {
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(cli_support::vectors_dir().join("keys.json")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("app_cert.pem");
    std::fs::write(&cert, vectors["certs"]["app_cert_pem"].as_str().unwrap()).unwrap();
    let (code, stdout, stderr) =
        zhima(&["keys", "convert", cert.to_str().unwrap(), "--to", "spki"]);
    assert_eq!(code, 0, "{stderr}");
    let expected =
        PublicKey::from_text(vectors["certs"]["app_cert_pem"].as_str().unwrap()).unwrap();
    assert_eq!(stdout, expected.to_spki_pem());
}

/// A throwaway 512-bit RSA key (PKCS#8; too small for any use) and a P-256 EC key.
const RSA_512: &str = "-----BEGIN PRIVATE KEY-----
MIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEAzWtDP1Qafgvqe5Hf
+69MFwGYvDvBw92gfjIbKCo+rSzxjZRDLV84AFRQUhStE1PQtuS1jBrNzspLLZGl
JQYQPwIDAQABAkBw8EhIyTTHmEWTKuC6v+ZVv8r5suEVjwRuXZ4Qtyk+jDnNA9eg
hp1a+Sj7f/Hw0anqUSo5u82ULn8sJODwBN4BAiEA/clfTwsGu9PcmYmpaBO62HSv
ani4WaX+2+5zIA2lb9UCIQDPNeZ71UkKQiIzdAHozRl2PbIxFHqAUqfUdPkkFxvd
wwIgert+Gi3M7d0BnEcU5D5WaAPWKXmEPeanIBlrF59B2JkCIEYbuJYhfgsIgUXj
dFnuOzU0frv4b9JHJR3PThSV9Qm9AiEAqTb0x9S4qBORDfwNQ2/KfnLUbdiHKpJ2
8Fu0xbRHsao=
-----END PRIVATE KEY-----
";
const EC_P256: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfsBw5+8o00iX1Bs4
B5vVO3ZMikLicmn76waIDz1sm9GhRANCAATjmUrQL4A4QgOn2IReODs0cRmDTvlc
xw3RGjwjGmcZBgiqmlPPbog7R7yIObW1Syn1ZdcbnzSptVB14ut1ebNf
-----END PRIVATE KEY-----
";

#[test]
fn inspect_explains_unusable_key_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let app = PrivateKey::generate().unwrap();
    // (file, contents, what stderr must say)
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.pem", Vec::new(), "empty key text"),
        ("blank.pem", b"  \n\n".to_vec(), "empty key text"),
        (
            "prose.txt",
            b"this is not a key".to_vec(),
            "no -----BEGIN",
        ),
        (
            "encrypted.pem",
            // Only the label matters: the body is never decrypted.
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n".to_vec(),
            "password-protected",
        ),
        ("ec.pem", EC_P256.as_bytes().to_vec(), "not an RSA key"),
        ("small.pem", RSA_512.as_bytes().to_vec(), "2048"),
        ("app.der", app.to_pkcs1_der(), "DER"),
    ];
    for (name, bytes, expected) in cases {
        let path = write(name, &bytes);
        let (code, stdout, stderr) = zhima(&["keys", "inspect", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{name}: expected {expected:?} in {stderr}"
        );
        // The same file is refused as clearly where a key is used.
        let (code, _, stderr) =
            zhima(&["keys", "convert", "--to", "pkcs8", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}
