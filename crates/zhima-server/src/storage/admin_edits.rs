//! The operator's edits (admin API): they write the same records the configuration file
//! declares, through the same upsert ([`Storage::apply_records`]) after the same rules
//! (`domain::records`). A refused edit writes nothing. The existence checks read before the
//! write: two operators editing one record at once may both pass them (the last write wins),
//! which is acceptable for an operator tool and keeps the engine contract small.

use std::collections::HashSet;

use crate::domain::entities::{Agreement, App, AppAuthToken, Records, Template, Trade};
use crate::domain::preorder::ZmgoUser;
use crate::domain::records::{self, EditError, FieldError};
use crate::domain::state_sync::ServiceConfig;
use crate::error::Result;

use super::Storage;

/// An edit's outcome: the stored record, or why nothing was written.
pub type Edit<T> = std::result::Result<T, EditError>;

impl Storage {
    async fn app_ids(&self) -> Result<Vec<String>> {
        Ok(self.apps().await?.into_iter().map(|a| a.app_id).collect())
    }

    /// Creates an app; an `app_id` already in use is refused.
    pub async fn admin_create_app(&self, app: App) -> Result<Edit<App>> {
        if let Err(e) = records::check_app(&app) {
            return Ok(Err(e.into()));
        }
        if self.app(&app.app_id).await?.is_some() {
            return Ok(Err(FieldError::new(
                "app_id",
                format!("app {} already exists", app.app_id),
            )
            .into()));
        }
        self.apply_records(&Records {
            apps: vec![app.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(app))
    }

    /// Changes an existing app with `change` (enable/disable, a new key), then checks the
    /// app's rules again.
    pub async fn admin_update_app(
        &self,
        app_id: &str,
        change: impl FnOnce(&mut App),
    ) -> Result<Edit<App>> {
        let Some(mut app) = self.app(app_id).await? else {
            return Ok(Err(EditError::NotFound(format!("no app {app_id}"))));
        };
        change(&mut app);
        if let Err(e) = records::check_app(&app) {
            return Ok(Err(e.into()));
        }
        self.apply_records(&Records {
            apps: vec![app.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(app))
    }

    /// Stores a new app auth token for an existing app; a token value already in use is
    /// refused.
    pub async fn admin_create_token(&self, token: AppAuthToken) -> Result<Edit<AppAuthToken>> {
        let ids = self.app_ids().await?;
        let known: HashSet<&str> = ids.iter().map(String::as_str).collect();
        if let Err(e) = records::check_app_auth_token(&token, &known) {
            return Ok(Err(e.into()));
        }
        if self.app_auth_token(&token.token).await?.is_some() {
            return Ok(Err(FieldError::new("token", "is already in use").into()));
        }
        self.apply_records(&Records {
            app_auth_tokens: vec![token.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(token))
    }

    /// Revokes (deletes) the one token whose value starts with `prefix`; several matching
    /// is refused (the prefix must name one token).
    pub async fn admin_revoke_token(&self, prefix: &str) -> Result<Edit<AppAuthToken>> {
        let prefix = prefix.to_owned();
        let matching: Vec<AppAuthToken> = self
            .read(move |tx| {
                Ok(tx
                    .app_auth_tokens(None)?
                    .into_iter()
                    .filter(|t| !prefix.is_empty() && t.token.starts_with(&prefix))
                    .collect())
            })
            .await?;
        match matching.as_slice() {
            [] => Ok(Err(EditError::NotFound(
                "no app auth token starts with that prefix".to_owned(),
            ))),
            [one] => {
                let token = one.token.clone();
                self.write(move |tx| tx.delete_app_auth_token(&token))
                    .await?;
                Ok(Ok(one.clone()))
            }
            several => Ok(Err(FieldError::new(
                "prefix",
                format!(
                    "{} tokens start with it; give more characters",
                    several.len()
                ),
            )
            .into())),
        }
    }

    /// Creates (`create`) or replaces a template's configured terms; creating one that
    /// exists, or replacing one that does not, is refused.
    pub async fn admin_put_template(
        &self,
        template: Template,
        create: bool,
    ) -> Result<Edit<Template>> {
        let exists = self
            .templates()
            .await?
            .iter()
            .any(|t| t.template_no == template.template_no);
        match (create, exists) {
            (true, true) => {
                return Ok(Err(FieldError::new(
                    "template_no",
                    format!("template {} already exists", template.template_no),
                )
                .into()))
            }
            (false, false) => {
                return Ok(Err(EditError::NotFound(format!(
                    "no template {}",
                    template.template_no
                ))))
            }
            _ => {}
        }
        if let Err(e) = records::check_template(&template) {
            return Ok(Err(e.into()));
        }
        self.apply_records(&Records {
            templates: vec![template.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(template))
    }

    /// Creates or replaces an agreement (as `[[zmgo.agreements]]` does: run-time status wins).
    pub async fn admin_put_agreement(&self, agreement: Agreement) -> Result<Edit<Agreement>> {
        let templates = self.templates().await?;
        let known: HashSet<&str> = templates.iter().map(|t| t.template_no.as_str()).collect();
        if let Err(e) = records::check_agreement(&agreement, &known) {
            return Ok(Err(e.into()));
        }
        self.apply_records(&Records {
            agreements: vec![agreement.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(agreement))
    }

    /// Creates or replaces a known Alipay trade.
    pub async fn admin_put_trade(&self, trade: Trade) -> Result<Edit<Trade>> {
        if trade.trade_no.is_empty() {
            return Ok(Err(FieldError::new("trade_no", "must not be empty").into()));
        }
        if trade.amount.0 <= 0 {
            return Ok(Err(FieldError::new("amount", "must be above 0").into()));
        }
        self.apply_records(&Records {
            trades: vec![trade.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(trade))
    }

    /// Sets a user's Zhima GO admittance.
    pub async fn admin_set_admittance(&self, user: ZmgoUser) -> Result<Edit<ZmgoUser>> {
        if user.user_id.is_empty() {
            return Ok(Err(FieldError::new("user_id", "must not be empty").into()));
        }
        self.apply_records(&Records {
            zmgo_users: vec![user.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(user))
    }

    /// Creates or replaces a state-sync service (its state machine compiled first).
    pub async fn admin_put_service(&self, service: ServiceConfig) -> Result<Edit<ServiceConfig>> {
        let ids = self.app_ids().await?;
        let known: HashSet<&str> = ids.iter().map(String::as_str).collect();
        if let Err(e) = records::check_service(&service, &known) {
            return Ok(Err(e.into()));
        }
        self.apply_records(&Records {
            state_services: vec![service.clone()],
            ..Default::default()
        })
        .await?;
        Ok(Ok(service))
    }
}
