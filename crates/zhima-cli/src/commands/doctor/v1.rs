//! v1 gateway requests: rebuild the string-to-sign as the platform does (PROTOCOL §A3) and,
//! when the signature fails, find the mistake that makes it verify.

use zhima_proto::keys::PublicKey;
use zhima_proto::v1::{self, form_encode, Charset, FormStyle, GatewayParams};
use zhima_proto::SignType;

use super::checks::{self, Clock, Hypothesis, Summary};
use super::findings::{Code, Finding, Findings};
use super::keyring::{short, KeyRing, VerifyingKey};

/// A v1 request as received.
pub struct V1Input {
    /// Raw query string (no `?`).
    pub query: Vec<u8>,
    /// Raw form body.
    pub body: Vec<u8>,
    /// `charset=` of the Content-Type header, if any.
    pub content_type_charset: Option<String>,
}

/// Diagnoses one v1 request.
pub fn diagnose(
    input: &V1Input,
    ring: &KeyRing,
    vk: &VerifyingKey,
    clock: &Clock,
    findings: &mut Findings,
) -> Summary {
    let params = match GatewayParams::parse(
        &input.query,
        &input.body,
        input.content_type_charset.as_deref(),
    ) {
        Ok(p) => p,
        Err(e) => {
            findings.add(unparseable(&e.to_string()));
            return Summary {
                string_to_sign: None,
                details: Vec::new(),
            };
        }
    };
    let content = params.sign_content();
    let declared = declared_sign_type(&params, findings);
    let details = vec![
        (
            "method",
            params.get("method").unwrap_or("(none)").to_string(),
        ),
        (
            "app_id",
            params.get("app_id").unwrap_or("(none)").to_string(),
        ),
        (
            "sign_type",
            params.get("sign_type").unwrap_or("(none)").to_string(),
        ),
        ("charset", params.charset().to_string()),
    ];
    for key in ["app_id", "method", "timestamp", "version"] {
        if params.get_non_empty(key).is_none() {
            findings.add(Finding::error(
                Code::MissingParam,
                format!(
                    "the request has no {key} (isv.missing-{})",
                    key.replace('_', "-")
                ),
                format!("send {key}; every SDK sets it"),
            ));
        }
    }
    checks::check_v1_timestamp(params.get("timestamp"), clock, findings);
    checks::check_app_cert_sn(params.get("app_cert_sn"), ring, findings);
    checks::check_root_cert_sn(params.get("alipay_root_cert_sn"), ring, findings);
    check_signature(&params, &content, declared, ring, vk, findings);
    Summary {
        string_to_sign: Some(content),
        details,
    }
}

fn unparseable(message: &str) -> Finding {
    if message.contains("invalid UTF-8") {
        return Finding::error(
            Code::CharsetMismatch,
            format!("{message}: the values were percent-encoded from another charset (GBK?) than the declared utf-8"),
            "encode the values in the charset the request declares, or declare charset=GBK",
        );
    }
    Finding::error(
        Code::BadRequest,
        format!("cannot read the request as the gateway does: {message}"),
        "send form-urlencoded parameters",
    )
}

/// The declared `sign_type`, reporting a missing or unknown one (RSA2 is assumed then).
fn declared_sign_type(params: &GatewayParams, findings: &mut Findings) -> SignType {
    match params.get_non_empty("sign_type") {
        None => {
            findings.add(Finding::error(
                Code::MissingParam,
                "the request has no sign_type (isv.missing-signature-type)",
                "send sign_type=RSA2 (or RSA) and sign with the matching algorithm",
            ));
            SignType::Rsa2
        }
        Some(s) => s.parse().unwrap_or_else(|_| {
            findings.add(Finding::error(
                Code::SignTypeMismatch,
                format!("sign_type {s:?} is neither RSA2 nor RSA (the gateway compares exactly, case included)"),
                "send sign_type=RSA2 (SHA256withRSA) or RSA (SHA1withRSA)",
            ));
            SignType::Rsa2
        }),
    }
}

fn check_signature(
    params: &GatewayParams,
    content: &str,
    declared: SignType,
    ring: &KeyRing,
    vk: &VerifyingKey,
    findings: &mut Findings,
) {
    let Some(raw_sign) = params.get_non_empty("sign") else {
        findings.add(Finding::error(
            Code::MissingParam,
            "the request has no sign (isv.missing-signature)",
            "sign the string-to-sign shown above and send it as sign",
        ));
        return;
    };
    // A base64 `+` sent unencoded in a query string arrives as a space.
    let sign = raw_sign.replace(' ', "+");
    if sign != raw_sign {
        findings.add(Finding::error(
            Code::SignNotUrlEncoded,
            "the sign value contains spaces: it was put in the URL without URL-encoding, so each \
             '+' of the base64 became a space on the gateway",
            "URL-encode every parameter value on the wire (the SDKs do); '+' must be sent as %2B",
        ));
    }
    let charset = params.charset();
    let Ok(bytes) = charset.encode(content) else {
        findings.add(Finding::error(
            Code::CharsetMismatch,
            format!("the parameters contain characters {charset} cannot encode"),
            "declare charset=utf-8",
        ));
        return;
    };
    if vk.key.verify(declared, &bytes, &sign).is_ok() {
        findings.add(checks::signature_ok(vk));
        return;
    }
    let hypotheses = Hypotheses {
        params,
        content,
        declared,
        charset,
        vk: &vk.key,
    }
    .all(ring);
    if !checks::explain(hypotheses, &sign, findings) {
        findings.add(unexplained(vk));
    }
}

fn unexplained(vk: &VerifyingKey) -> Finding {
    checks::unexplained(
        vk,
        "other key slot, RSA vs RSA2, GBK vs UTF-8, URL-encoded values, empty params, sign_type \
         left out, re-serialised biz_content",
        "the request was most likely signed with a private key doctor was not given: check which key \
         file the SDK really loads (`zhima keys inspect` it against the registered public key), and \
         compare the string-to-sign above with the one your SDK logs",
    )
}

/// Builds the hypotheses for one request.
struct Hypotheses<'a> {
    params: &'a GatewayParams,
    content: &'a str,
    declared: SignType,
    charset: Charset,
    vk: &'a PublicKey,
}

impl Hypotheses<'_> {
    fn all(&self, ring: &KeyRing) -> Vec<Hypothesis> {
        let mut out = Vec::new();
        self.key_slots(ring, &mut out);
        self.algorithm_and_charset(&mut out);
        self.url_encoded(&mut out);
        self.empties_and_sign_type(&mut out);
        self.biz_content(&mut out);
        out
    }

    /// A hypothesis over `text` in the declared charset, verified with the app key.
    fn over(&self, code: Code, text: String, explanation: String, fix: &str) -> Option<Hypothesis> {
        self.signed(code, self.vk, self.declared, text, explanation, fix)
    }

    /// "The client signed `text` in the declared charset with `key`'s private half and `st`".
    fn signed(
        &self,
        code: Code,
        key: &PublicKey,
        st: SignType,
        text: String,
        explanation: String,
        fix: &str,
    ) -> Option<Hypothesis> {
        let bytes = self.charset.encode(&text).ok()?;
        Some(
            Hypothesis::new(code, explanation, fix, key, text)
                .sign_type(st)
                .bytes(bytes),
        )
    }

    fn with_key(
        &self,
        code: Code,
        key: PublicKey,
        sign_type: SignType,
        explanation: String,
        fix: &str,
    ) -> Option<Hypothesis> {
        self.signed(
            code,
            &key,
            sign_type,
            self.content.to_string(),
            explanation,
            fix,
        )
    }

    fn key_slots(&self, ring: &KeyRing, out: &mut Vec<Hypothesis>) {
        if let Some(signer) = ring.signer_public().filter(|s| s != self.vk) {
            let (code, explanation) = if ring.app_slot_holds_platform_key() {
                (Code::WrongKeySlot, "the request is signed with your app private key, but the platform verifies with the app public key it has registered, which is the platform's own public key".to_string())
            } else {
                (Code::KeyPairMismatch, format!("the request is signed with the app private key given (public half {}), which is not the pair of the registered app public key ({})", short(&signer), short(self.vk)))
            };
            out.extend(self.with_key(code, signer, self.declared, explanation, "register the public half of the private key you sign with (`zhima keys convert <private> --to spki`), or sign with the private key whose public key is registered"));
        }
        if let Some(platform) = ring.platform_public.clone().filter(|p| p != self.vk) {
            for st in [self.declared, other(self.declared)] {
                out.extend(self.with_key(
                    Code::WrongKeySlot,
                    platform.clone(),
                    st,
                    "the request is signed with the platform's private key (it verifies with the platform public key): the app key and the platform key were swapped".into(),
                    "sign with the app private key (e.g. keys/app_private.pem); the platform key only signs responses, and the SDK's alipay_public_key is its public half",
                ));
            }
        }
    }

    fn algorithm_and_charset(&self, out: &mut Vec<Hypothesis>) {
        let actual = other(self.declared);
        out.extend(self.with_key(
            Code::SignTypeMismatch,
            self.vk.clone(),
            actual,
            format!(
                "the request declares sign_type={} but was signed with {} (sign_type {})",
                self.declared,
                actual.algorithm_name(),
                actual
            ),
            "make sign_type match the algorithm: RSA2 = SHA256withRSA (recommended), RSA = SHA1withRSA",
        ));
        // Signed consistently under the other sign_type, then the parameter was changed.
        let sent = self.params.get_non_empty("sign_type").unwrap_or_default();
        if sent == self.declared.as_str() {
            let text = v1::sign_content(self.params.iter().map(|(k, v)| {
                if k == "sign_type" {
                    (k, actual.as_str())
                } else {
                    (k, v)
                }
            }));
            out.extend(self.signed(
                Code::SignTypeMismatch,
                self.vk,
                actual,
                text,
                format!(
                    "the string was signed with sign_type={actual} ({}), but the request sends sign_type={sent}",
                    actual.algorithm_name()
                ),
                "send the sign_type that was signed, or sign again after changing it",
            ));
        }
        let other_charset = match self.charset {
            Charset::Utf8 => Charset::Gbk,
            Charset::Gbk => Charset::Utf8,
        };
        if let Ok(bytes) = other_charset.encode(self.content) {
            if bytes != self.charset.encode(self.content).unwrap_or_default() {
                out.push(
                    Hypothesis::new(
                        Code::CharsetMismatch,
                        format!("the string was signed as {other_charset} bytes but the request declares charset={}", self.charset),
                        "sign the bytes of the string in the charset the request declares (utf-8 unless you send charset=GBK)",
                        self.vk,
                        self.content,
                    )
                    .sign_type(self.declared)
                    .bytes(bytes),
                );
            }
        }
    }

    fn url_encoded(&self, out: &mut Vec<Hypothesis>) {
        // (description, style, spaces as %20 rather than +)
        let styles = [
            (
                "Python quote_plus / Java URLEncoder",
                FormStyle::Python,
                false,
            ),
            ("WHATWG URLSearchParams", FormStyle::Whatwg, false),
            (
                "percent-encoding with %20 for spaces",
                FormStyle::Python,
                true,
            ),
        ];
        for (name, style, pct20) in styles {
            let post = |e: String| if pct20 { e.replace('+', "%20") } else { e };
            let encoded: Option<Vec<(String, String)>> = self
                .params
                .iter()
                .map(|(k, v)| {
                    form_encode(v, self.charset, style)
                        .ok()
                        .map(|e| (k.to_string(), post(e)))
                })
                .collect();
            let Some(encoded) = encoded else { continue };
            let text = v1::sign_content(encoded.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if text != self.content {
                out.extend(self.over(
                    Code::ValuesUrlEncoded,
                    text,
                    format!("the string was built from URL-encoded values ({name}) instead of the raw values"),
                    "build the string-to-sign from the raw values (biz_content JSON verbatim, timestamp with its space and colons); URL-encode only when putting them on the wire",
                ));
            }
        }
    }

    fn empties_and_sign_type(&self, out: &mut Vec<Hypothesis>) {
        let mut all: Vec<(&str, &str)> = self.params.iter().filter(|(k, _)| *k != "sign").collect();
        if all.iter().any(|(_, v)| v.is_empty()) {
            all.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let text = all
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            let empties: Vec<&str> = all
                .iter()
                .filter(|(_, v)| v.is_empty())
                .map(|(k, _)| *k)
                .collect();
            out.extend(self.over(
                Code::EmptyParamsSigned,
                text,
                format!("empty parameters ({}) were kept in the signed string; the platform drops them", empties.join(", ")),
                "leave parameters with empty values out of the string-to-sign (or do not send them)",
            ));
        }
        if self.params.get_non_empty("sign_type").is_some() {
            let text = v1::sign_content(self.params.iter().filter(|(k, _)| *k != "sign_type"));
            out.extend(self.over(
                Code::SignTypeNotSigned,
                text,
                "sign_type was left out of the signed string; on the gateway every parameter except sign is signed, sign_type included".into(),
                "include sign_type in the string-to-sign (only sign itself is excluded)",
            ));
        }
    }

    fn biz_content(&self, out: &mut Vec<Hypothesis>) {
        let Some(biz) = self.params.get_non_empty("biz_content") else {
            return;
        };
        for (description, variant) in super::json_variants::variants(biz) {
            let text = v1::sign_content(self.params.iter().map(|(k, v)| {
                if k == "biz_content" {
                    (k, variant.as_str())
                } else {
                    (k, v)
                }
            }));
            out.extend(self.over(
                Code::BizContentReserialised,
                text,
                format!("biz_content was re-serialised after signing: the signature covers the same JSON written {description}, not the text sent"),
                "serialise biz_content once and sign and send that exact text (the platform never re-serialises it)",
            ));
        }
    }
}

fn other(st: SignType) -> SignType {
    match st {
        SignType::Rsa2 => SignType::Rsa,
        SignType::Rsa => SignType::Rsa2,
    }
}
