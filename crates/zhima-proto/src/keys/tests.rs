//! Keys in every form, and the errors that say what was found.

use super::*;
use crate::error::Error;

#[test]
fn generated_key_round_trips_through_every_form() {
    let key = PrivateKey::generate().unwrap();
    assert_eq!(key.bits(), 2048);
    for text in [
        key.to_pkcs1_pem(),
        key.to_pkcs8_pem(),
        key.to_pkcs1_base64(),
        key.to_pkcs8_base64(),
    ] {
        let again = PrivateKey::from_text(&text).unwrap();
        assert!(again.matches(&key.public_key()));
    }
    let public = key.public_key();
    assert_eq!(PublicKey::from_text(&public.to_spki_pem()).unwrap(), public);
    assert_eq!(
        PublicKey::from_text(&public.to_spki_base64()).unwrap(),
        public
    );
    assert!(!PrivateKey::generate().unwrap().matches(&public));
}

/// A throwaway RSA-1024 key (made with `openssl genrsa -traditional 1024`): too small.
const RSA_1024_PKCS1: &str = "MIICWwIBAAKBgQDLm5Po5WIgDZoGNzQGUtg3Nmr4JemsfizIKm8OKWfVslI6kZ2tQR9cJ+CCqTwDFAPTz4xPV5EU9YY2S+cl9izGTcw82b/r1wLgEFLHKCrr9wZtOR0z2GLSwaW7qWrrfqeKIGKDAdm/GZ320E9IFniiVlnlpkbfoH7nsAu7uY3hqwIDAQABAoGAUpyia+m+YaEDMKhvXG16uxRCXMMNR+a+Bs1o2Acm0UcUJB13K5fzwHGRn5JI/jq9vtBEbuDpxeZE+XzcocN7sJR7K1JYa5+FObHkL0iiA21Mp2aiSBIwiQi8vqk/Mzs9LIEVpS1Jm3e4cVHVkdqO8ec5g1p9C0soxrRSls2y4hECQQD3fOiEb5Kexf1agaLUqZbKobIlJ/e1VTOu+uHTIaap4QpupN7Vfq5EBPRvLbhfDRAS6jrr4mlXMoJ3+Yi1Kor5AkEA0pxPtQpva7xeUug1D2r/K2kkmafTEckcecmnjbxvlPO2DqmG/lbXezUp+8kPerjOjsQVUl2NPtojww7PK2G2wwJAfFTICyByLEmTChDuWKAKHSo2cOwvSW3QVSu8n3DcZaOktgkl2WOW8Jz8n438feP2G0qI51ALU78QRG2b/EevIQJAdUi22orFIan0nRbS9ZMQJoyW5TqgP/dO9ENoG3YkbT6K0/90PY7+0I36o0yEYkMoRDjN5uBSF/5CjA1jMTVpIQJAKkTTu9ENoA/VtobAvxk1EIslsrS+QEZacTyp2+DoMlyGXht1RmFqaQHBcUMk7t22n6sPZIdTWSEdhZ6HSRO0aw==";

#[test]
fn a_small_key_is_recognised_and_refused_for_its_size() {
    assert_eq!(
        classify_der(&decode_base64_lenient(RSA_1024_PKCS1, 0).unwrap()).unwrap(),
        KeyKind::Pkcs1Private
    );
    let err = PrivateKey::from_text(RSA_1024_PKCS1).unwrap_err();
    assert!(err.to_string().contains("smaller than 2048 bits"), "{err}");
}

#[test]
fn errors_say_what_was_found() {
    let key = PrivateKey::generate().unwrap();
    let err = PrivateKey::from_text(&key.public_key().to_spki_pem()).unwrap_err();
    assert!(err.to_string().contains("this is a public key"), "{err}");
    let err = PublicKey::from_text(&key.to_pkcs1_pem()).unwrap_err();
    assert!(err.to_string().contains("this is a private key"), "{err}");
    let mislabelled = key.to_pkcs1_pem().replace("RSA PRIVATE KEY", "PRIVATE KEY");
    let err = PrivateKey::from_text(&mislabelled).unwrap_err();
    assert!(
        err.to_string()
            .contains("PKCS#1 private key body under a PKCS#8 header"),
        "{err}"
    );
    let err = PrivateKey::from_text("  MIIE*owIBAAK").unwrap_err();
    assert_eq!(
        err,
        Error::Base64 {
            offset: 6,
            found: '*'
        }
    );
}

#[test]
fn bare_base64_with_spaces_and_breaks_loads() {
    let key = PrivateKey::generate().unwrap();
    let b64 = key.to_pkcs8_base64();
    let messy = format!("\n {} \n{}\r\n", &b64[..100], &b64[100..]);
    assert!(PrivateKey::from_text(&messy)
        .unwrap()
        .matches(&key.public_key()));
    let one_line_pem = format!("-----BEGIN PRIVATE KEY-----{b64}-----END PRIVATE KEY-----");
    assert!(PrivateKey::from_text(&one_line_pem).is_ok());
}
