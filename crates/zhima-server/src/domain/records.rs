//! The rules every configured record must satisfy, whoever declares it: the configuration
//! file (`config/resolve.rs`, which points at the line) and the admin API (a 400 naming the
//! field). One home for each rule; a failure names the field it is about.

use std::collections::HashSet;
use std::fmt;

use zhima_proto::keys::PublicKey;

use crate::domain::entities::{Agreement, App, AppAuthToken, Template};
use crate::domain::state_sync::{ServiceConfig, StateMachines};

/// A record that breaks a rule: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the config file and the admin API spell it.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A failure of `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Why an operator's edit was refused (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// A field breaks a rule (admin API: 400 naming the field).
    Invalid(FieldError),
    /// The record to change does not exist (admin API: 404).
    NotFound(String),
}

impl From<FieldError> for EditError {
    fn from(e: FieldError) -> Self {
        EditError::Invalid(e)
    }
}

/// Longest `app_id` (PRODUCT §3).
pub const MAX_APP_ID_CHARS: usize = 32;
/// Longest `app_auth_token` (PRODUCT §3).
pub const MAX_TOKEN_CHARS: usize = 40;

/// `app_id`: 1 to 32 characters.
pub fn check_app_id(app_id: &str) -> Result<(), FieldError> {
    if app_id.is_empty() || app_id.chars().count() > MAX_APP_ID_CHARS {
        return Err(FieldError::new(
            "app_id",
            format!("must be 1 to {MAX_APP_ID_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A request-verification key given as text (SPKI or PKCS#1, PEM or bare base64; never a
/// private key) → the SPKI PEM stored for the app.
pub fn public_key_pem(field: &'static str, text: &str) -> Result<String, FieldError> {
    PublicKey::from_text(text)
        .map(|k| k.to_spki_pem())
        .map_err(|e| FieldError::new(field, e.to_string()))
}

/// The field rules of an app (its key was parsed already).
pub fn check_app(app: &App) -> Result<(), FieldError> {
    check_app_id(&app.app_id)?;
    if app.partner_id.is_empty() {
        return Err(FieldError::new("partner_id", "must not be empty"));
    }
    if app.sign_types.is_empty() {
        return Err(FieldError::new("sign_types", "must list RSA2 and/or RSA"));
    }
    if let Some(u) = &app.notify_url {
        check_notify_url(u)?;
    }
    Ok(())
}

/// Where notifications go: an absolute http(s) URL with a host (PRODUCT §12).
pub fn check_notify_url(u: &str) -> Result<(), FieldError> {
    match url::Url::parse(u) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(())
        }
        _ => Err(FieldError::new(
            "notify_url",
            "must be an http:// or https:// URL with a host",
        )),
    }
}

/// The rules of a template's configured terms: a number, and nothing negative.
pub fn check_template(t: &Template) -> Result<(), FieldError> {
    if t.template_no.is_empty() {
        return Err(FieldError::new("template_no", "must not be empty"));
    }
    let negative = [
        ("obligation_times", t.obligation_times.unwrap_or(0)),
        ("obligation_amount", t.obligation_amount.map_or(0, |f| f.0)),
        ("period_days", t.period_days.unwrap_or(0)),
        ("settle_tolerance", t.settle_tolerance.0),
    ];
    for (field, value) in negative {
        if value < 0 {
            return Err(FieldError::new(field, "must not be negative"));
        }
    }
    Ok(())
}

/// The rules of an app auth token: its length, and its app must exist (`known_apps`).
pub fn check_app_auth_token(
    token: &AppAuthToken,
    known_apps: &HashSet<&str>,
) -> Result<(), FieldError> {
    if token.token.is_empty() || token.token.chars().count() > MAX_TOKEN_CHARS {
        return Err(FieldError::new(
            "token",
            format!("must be 1 to {MAX_TOKEN_CHARS} characters"),
        ));
    }
    if !known_apps.contains(token.app_id.as_str()) {
        return Err(FieldError::new(
            "app_id",
            format!("app {} does not exist", token.app_id),
        ));
    }
    if token.partner_id.is_empty() {
        return Err(FieldError::new("partner_id", "must not be empty"));
    }
    Ok(())
}

/// The rules of an agreement: its template exists (`known_templates`), it names a user, and
/// it does not end before it starts.
pub fn check_agreement(a: &Agreement, known_templates: &HashSet<&str>) -> Result<(), FieldError> {
    if a.agreement_no.is_empty() {
        return Err(FieldError::new("agreement_no", "must not be empty"));
    }
    if !known_templates.contains(a.template_no.as_str()) {
        return Err(FieldError::new(
            "template_no",
            format!("template {} does not exist", a.template_no),
        ));
    }
    if a.user_id.is_none() && a.open_id.is_none() {
        return Err(FieldError::new(
            "user_id",
            "an agreement needs user_id and/or open_id",
        ));
    }
    if a.end_time < a.start_time {
        return Err(FieldError::new("end_time", "is before start_time"));
    }
    Ok(())
}

/// The rules of a state-sync service: its apps exist and its state machine compiles.
pub fn check_service(svc: &ServiceConfig, known_apps: &HashSet<&str>) -> Result<(), FieldError> {
    if let Some(unknown) = svc
        .app_ids
        .iter()
        .find(|id| !known_apps.contains(id.as_str()))
    {
        return Err(FieldError::new(
            "app_ids",
            format!("app {unknown} does not exist"),
        ));
    }
    StateMachines::compile(std::slice::from_ref(svc))
        .map_err(|e| FieldError::new("categories", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_length_is_bounded() {
        assert!(check_app_id("2021000000000001").is_ok());
        assert_eq!(check_app_id("").unwrap_err().field, "app_id");
        assert!(check_app_id(&"1".repeat(33)).is_err());
    }

    #[test]
    fn a_key_that_is_not_a_public_key_names_the_field() {
        let e = public_key_pem("public_key", "not a key").unwrap_err();
        assert_eq!(e.field, "public_key");
    }
}
