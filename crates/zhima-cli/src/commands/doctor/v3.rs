//! v3 REST requests: rebuild `authString \n METHOD \n target \n body \n [token \n]`
//! (PROTOCOL §B2) and, when the signature fails, find the mistake that makes it verify.

use percent_encoding::percent_decode_str;
use zhima_proto::keys::PublicKey;
use zhima_proto::v3::{request_sign_content, Authorization};
use zhima_proto::SignType;

use super::checks::{self, Clock, Hypothesis, Summary};
use super::findings::{Code, Finding, Findings};
use super::keyring::{short, KeyRing, VerifyingKey};

/// A v3 request as received.
pub struct V3Input {
    /// HTTP method as sent.
    pub method: String,
    /// Path plus `?query`, exactly as sent.
    pub target: String,
    /// The full URL, when known (some hand-written signers sign it).
    pub url: Option<String>,
    /// The body text.
    pub body: String,
    /// The `Authorization` header value.
    pub authorization: String,
    /// The `alipay-app-auth-token` header, if sent.
    pub app_auth_token: Option<String>,
    /// The `alipay-root-cert-sn` header, if sent.
    pub root_cert_sn: Option<String>,
}

/// Diagnoses one v3 request.
pub fn diagnose(
    input: &V3Input,
    ring: &KeyRing,
    vk: &VerifyingKey,
    clock: &Clock,
    findings: &mut Findings,
) -> Summary {
    let details = vec![
        ("method", input.method.clone()),
        ("request target", input.target.clone()),
    ];
    let auth = match Authorization::parse(&input.authorization) {
        Ok(a) => a,
        Err(e) => {
            let problem = if input.authorization.trim().is_empty() {
                "the request has no Authorization header".to_string()
            } else {
                format!("the Authorization header cannot be read: {e}")
            };
            findings.add(Finding::error(
                Code::MissingParam,
                problem,
                "send Authorization: ALIPAY-SHA256withRSA app_id=…,nonce=…,timestamp=<epoch ms>,sign=<base64>",
            ));
            return Summary {
                string_to_sign: None,
                details,
            };
        }
    };
    let content = auth.sign_content(
        &input.method,
        &input.target,
        &input.body,
        input.app_auth_token.as_deref(),
    );
    checks::check_v3_timestamp(&auth.fields.timestamp, clock, findings);
    checks::check_app_cert_sn(auth.fields.app_cert_sn.as_deref(), ring, findings);
    checks::check_root_cert_sn(input.root_cert_sn.as_deref(), ring, findings);
    if vk
        .key
        .verify(SignType::Rsa2, content.as_bytes(), &auth.sign)
        .is_ok()
    {
        findings.add(checks::signature_ok(vk));
    } else {
        let hypotheses = Hypotheses {
            input,
            auth: &auth,
            content: &content,
            vk: &vk.key,
        }
        .all(ring);
        if !checks::explain(hypotheses, &auth.sign, findings) {
            findings.add(checks::unexplained(
                vk,
                "other key slot, SHA1, GBK, encoded or different request target, app_auth_token \
                 line, line layout, re-serialised body",
                "the request was most likely signed with a private key doctor was not given, or over \
                 another body: compare the string-to-sign above with the one your client signs",
            ));
        }
    }
    Summary {
        string_to_sign: Some(content),
        details,
    }
}

struct Hypotheses<'a> {
    input: &'a V3Input,
    auth: &'a Authorization,
    content: &'a str,
    vk: &'a PublicKey,
}

impl Hypotheses<'_> {
    fn all(&self, ring: &KeyRing) -> Vec<Hypothesis> {
        let mut out = Vec::new();
        self.key_slots(ring, &mut out);
        self.algorithm_and_charset(&mut out);
        self.targets(&mut out);
        self.token_and_layout(&mut out);
        self.bodies(&mut out);
        out
    }

    /// A hypothesis that the client signed `text` (UTF-8, SHA256withRSA, app key).
    fn over(&self, code: Code, text: String, explanation: String, fix: &str) -> Hypothesis {
        Hypothesis::new(code, explanation, fix, self.vk, text)
    }

    fn with_parts(&self, method: &str, target: &str, body: &str, token: Option<&str>) -> String {
        request_sign_content(&self.auth.auth_string, method, target, body, token)
    }

    /// The string-to-sign as sent, but over another request target.
    fn with_target(&self, target: &str) -> String {
        let input = self.input;
        let token = input.app_auth_token.as_deref();
        self.with_parts(&input.method, target, &input.body, token)
    }

    fn key_slots(&self, ring: &KeyRing, out: &mut Vec<Hypothesis>) {
        if let Some(signer) = ring.signer_public().filter(|s| s != self.vk) {
            let (code, explanation) = if ring.app_slot_holds_platform_key() {
                (Code::WrongKeySlot, "the request is signed with your app private key, but the registered app public key is the platform's own public key".to_string())
            } else {
                (Code::KeyPairMismatch, format!("the request is signed with the app private key given (public half {}), which is not the pair of the registered app public key ({})", short(&signer), short(self.vk)))
            };
            out.push(Hypothesis::new(code, explanation, "register the public half of the private key you sign with, or sign with the private key whose public key is registered", &signer, self.content));
        }
        if let Some(platform) = ring.platform_public.as_ref().filter(|p| *p != self.vk) {
            out.push(Hypothesis::new(
                Code::WrongKeySlot,
                "the request is signed with the platform's private key (it verifies with the platform public key): the app key and the platform key were swapped",
                "sign with the app private key; the platform key only signs responses",
                platform,
                self.content,
            ));
        }
    }

    fn algorithm_and_charset(&self, out: &mut Vec<Hypothesis>) {
        out.push(
            Hypothesis::new(
                Code::SignTypeMismatch,
                "the request was signed with SHA1withRSA (RSA); v3 only knows SHA256withRSA",
                "sign the v3 string-to-sign with SHA256withRSA (the scheme is ALIPAY-SHA256withRSA)",
                self.vk,
                self.content,
            )
            .sign_type(SignType::Rsa),
        );
        if let Ok(gbk) = zhima_proto::v1::Charset::Gbk.encode(self.content) {
            if gbk != self.content.as_bytes() {
                out.push(
                    Hypothesis::new(
                        Code::CharsetMismatch,
                        "the string was signed as GBK bytes; v3 signs UTF-8",
                        "sign the UTF-8 bytes of the string-to-sign",
                        self.vk,
                        self.content,
                    )
                    .bytes(gbk),
                );
            }
        }
    }

    fn targets(&self, out: &mut Vec<Hypothesis>) {
        let target = self.input.target.as_str();
        let (path, query) = target
            .split_once('?')
            .map_or((target, None), |(p, q)| (p, Some(q)));
        let mut encoded_variants: Vec<(String, &str)> = Vec::new();
        if let Ok(decoded) = percent_decode_str(target).decode_utf8() {
            encoded_variants.push((decoded.into_owned(), "the percent-decoded request target"));
        }
        if let Some(q) = query {
            encoded_variants.push((
                format!("{path}?{}", q.replace('+', "%20")),
                "the query with %20 for spaces",
            ));
            encoded_variants.push((
                format!("{path}?{}", q.replace("%20", "+")),
                "the query with + for spaces",
            ));
        }
        for (variant, what) in encoded_variants {
            if variant != target {
                let text = self.with_target(&variant);
                out.push(self.over(
                    Code::ValuesUrlEncoded,
                    text,
                    format!("the signed request target is {what} ({variant}), not the target sent ({target})"),
                    "sign the request target exactly as it goes on the wire (path + ? + the encoded query)",
                ));
            }
        }
        let mut other_targets: Vec<(String, &str)> = Vec::new();
        if query.is_some() {
            other_targets.push((path.to_string(), "the path without its query"));
        }
        if let Some(url) = &self.input.url {
            other_targets.push((url.clone(), "the full URL"));
        }
        for (variant, what) in other_targets {
            let text = self.with_target(&variant);
            out.push(self.over(
                Code::RequestTargetMismatch,
                text,
                format!("the signed request target is {what} ({variant}), not the target sent ({target})"),
                "line 3 of the string-to-sign is the request target: path plus ?query, no scheme or host",
            ));
        }
    }

    fn token_and_layout(&self, out: &mut Vec<Hypothesis>) {
        let (method, target, body) = (&self.input.method, &self.input.target, &self.input.body);
        if let Some(token) = &self.input.app_auth_token {
            out.push(self.over(
                Code::AppAuthTokenLine,
                self.with_parts(method, target, body, None),
                format!("the alipay-app-auth-token header is sent ({token}) but the token line was not signed"),
                "when sending alipay-app-auth-token, append the token and \\n to the string-to-sign",
            ));
        }
        let upper = method.to_ascii_uppercase();
        if &upper != method {
            out.push(self.over(
                Code::StringToSignLayout,
                self.with_parts(&upper, target, body, self.input.app_auth_token.as_deref()),
                format!("the method was signed as {upper} but sent as {method}"),
                "send and sign the method in upper case",
            ));
        }
        let layouts = [
            (
                self.content.replace('\n', "\r\n"),
                "with CRLF line ends instead of \\n",
            ),
            (
                self.content
                    .strip_suffix('\n')
                    .unwrap_or(self.content)
                    .to_string(),
                "without the final \\n",
            ),
        ];
        for (text, what) in layouts {
            out.push(self.over(
                Code::StringToSignLayout,
                text,
                format!("the string-to-sign was built {what}"),
                "every line of the v3 string-to-sign, the last included, ends with a single \\n",
            ));
        }
    }

    fn bodies(&self, out: &mut Vec<Hypothesis>) {
        for (description, variant) in super::json_variants::variants(&self.input.body) {
            let text = self.with_parts(
                &self.input.method,
                &self.input.target,
                &variant,
                self.input.app_auth_token.as_deref(),
            );
            out.push(self.over(
                Code::BodyReserialised,
                text,
                format!("the body was re-serialised after signing: the signature covers the same JSON written {description}"),
                "serialise the body once, then sign and send those exact bytes",
            ));
        }
    }
}
