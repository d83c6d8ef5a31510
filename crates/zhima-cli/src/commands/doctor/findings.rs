//! What `zhima doctor` reports: structured findings (code + explanation + fix).

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: nothing to fix.
    Ok,
    /// Suspicious but not what makes the request fail.
    Warning,
    /// A mistake that makes the platform reject the request.
    Error,
}

/// The diagnoses doctor knows, one per classic mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// The signature verifies with the app public key over the rebuilt string.
    SignatureOk,
    /// A key sits in the wrong slot (app vs platform).
    WrongKeySlot,
    /// The app private key is not the pair of the app public key.
    KeyPairMismatch,
    /// A PEM header contradicts its body (PKCS#1 vs PKCS#8 …).
    PkcsHeaderMismatch,
    /// A private key where a public key belongs, or the reverse.
    WrongKeyKind,
    /// Signed with SHA1withRSA while declaring RSA2, or the reverse.
    SignTypeMismatch,
    /// The string was signed in another charset than the one declared.
    CharsetMismatch,
    /// The string was built from URL-encoded values (or an encoded request target).
    ValuesUrlEncoded,
    /// Empty-valued parameters were kept in the signed string.
    EmptyParamsSigned,
    /// `sign_type` was left out of the signed string.
    SignTypeNotSigned,
    /// `biz_content` was re-serialised after signing.
    BizContentReserialised,
    /// The v3 body was re-serialised after signing.
    BodyReserialised,
    /// The signature was put on the wire without URL-encoding (`+` became a space).
    SignNotUrlEncoded,
    /// The v3 app_auth_token line was signed but the header not sent, or the reverse.
    AppAuthTokenLine,
    /// The v3 request target signed is not the one sent.
    RequestTargetMismatch,
    /// The v3 string-to-sign's line layout is wrong (CRLF, missing final newline).
    StringToSignLayout,
    /// `app_cert_sn` is not the SN of the app certificate.
    CertSnMismatch,
    /// `alipay_root_cert_sn` is not the SN list of the root bundle.
    RootCertSnMismatch,
    /// The timestamp is too far from now.
    ClockSkew,
    /// The timestamp is not in the expected format.
    BadTimestamp,
    /// A required parameter or header is missing or malformed.
    MissingParam,
    /// The request could not be read as the protocol requires.
    BadRequest,
    /// None of the known mistakes explains the failing signature.
    SignatureUnexplained,
}

impl Code {
    /// The wire name, e.g. `SIGN_TYPE_MISMATCH`.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => format!("{self:?}"),
        }
    }
}

/// One diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Machine-readable code.
    pub code: Code,
    /// How bad it is.
    pub severity: Severity,
    /// What was found.
    pub explanation: String,
    /// What to do about it.
    pub fix: String,
    /// For signature diagnoses: the exact string that the signature does verify over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_string: Option<String>,
}

impl Finding {
    /// An error finding.
    pub fn error(code: Code, explanation: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            explanation: explanation.into(),
            fix: fix.into(),
            signed_string: None,
        }
    }

    /// An informational finding (nothing to fix).
    pub fn ok(code: Code, explanation: impl Into<String>) -> Self {
        Self {
            severity: Severity::Ok,
            ..Self::error(code, explanation, "nothing to fix")
        }
    }

    /// A warning finding.
    pub fn warning(code: Code, explanation: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, explanation, fix)
        }
    }

    /// Attaches the string the signature verifies over.
    pub fn with_signed_string(mut self, s: impl Into<String>) -> Self {
        self.signed_string = Some(s.into());
        self
    }
}

/// The findings of one run, at most one per code (the more severe wins).
#[derive(Debug, Default, Serialize)]
#[serde(transparent)]
pub struct Findings(Vec<Finding>);

impl Findings {
    /// Adds a finding; a second one with the same code replaces the first only if it is
    /// more severe, so the signature analysis can confirm a structural suspicion.
    pub fn add(&mut self, finding: Finding) {
        match self.0.iter_mut().find(|f| f.code == finding.code) {
            Some(existing) if finding.severity > existing.severity => *existing = finding,
            Some(_) => {}
            None => self.0.push(finding),
        }
    }

    /// Whether any finding is an error.
    pub fn any_error(&self) -> bool {
        self.0.iter().any(|f| f.severity == Severity::Error)
    }

    /// Errors first, then warnings, then the rest; stable within a severity.
    pub fn sorted(mut self) -> Vec<Finding> {
        self.0.sort_by_key(|f| std::cmp::Reverse(f.severity));
        self.0
    }
}
