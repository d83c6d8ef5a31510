//! Templates: list, show (with owner and freeze amount), create and update the configured
//! terms (incl. `mode`), as `[[zmgo.templates]]` declares them.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use zhima_proto::money::Fen;

use super::apps::clip;
use super::{edited, json_body, render, yuan, AdminError};
use crate::domain::admin::TemplateSummary;
use crate::domain::entities::{Template, TemplateMode};
use crate::http::shared::Shared;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    #[serde(default)]
    template_no: Option<String>,
    mode: String,
    #[serde(default)]
    obligation_times: Option<i64>,
    #[serde(default)]
    obligation_amount: Option<String>,
    #[serde(default)]
    period_days: Option<i64>,
    #[serde(default)]
    settle_check: bool,
    #[serde(default)]
    settle_tolerance: Option<String>,
}

impl TemplateBody {
    fn into_template(self, template_no: String) -> Result<Template, AdminError> {
        let mode = match self.mode.as_str() {
            "DECOUPLED" => TemplateMode::Decoupled,
            "BOUND" => TemplateMode::Bound,
            other => {
                return Err(AdminError::bad_request(format!(
                    "mode: {:?} is not DECOUPLED or BOUND",
                    clip(other)
                )))
            }
        };
        let obligation_amount = self
            .obligation_amount
            .as_deref()
            .map(|a| yuan("obligation_amount", a))
            .transpose()?;
        let settle_tolerance = match self.settle_tolerance.as_deref() {
            Some(t) => yuan("settle_tolerance", t)?,
            None => Fen::ZERO,
        };
        Ok(Template {
            template_no,
            mode,
            obligation_times: self.obligation_times,
            obligation_amount,
            period_days: self.period_days,
            settle_check: self.settle_check,
            settle_tolerance,
        })
    }
}

async fn summary(
    shared: &Shared,
    template_no: &str,
) -> Result<Option<TemplateSummary>, AdminError> {
    Ok(shared
        .storage
        .template_summaries()
        .await?
        .into_iter()
        .find(|t| t.template.template_no == template_no))
}

pub(super) async fn list(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, AdminError> {
    let all = shared.storage.template_summaries().await?;
    Ok(Json(
        json!({"items": all.iter().map(render::template).collect::<Vec<_>>()}),
    ))
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(template_no): Path<String>,
) -> Result<Json<Value>, AdminError> {
    let t = summary(&shared, &template_no)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("no template {}", clip(&template_no))))?;
    Ok(Json(render::template(&t)))
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let mut b: TemplateBody = json_body(body).await?;
    let no = b
        .template_no
        .take()
        .ok_or_else(|| AdminError::bad_request("template_no: is required"))?;
    let template = b.into_template(no)?;
    let t = edited(shared.storage.admin_put_template(template, true).await?)?;
    tracing::info!(template_no = %t.template_no, "admin: template created");
    let shown = summary(&shared, &t.template_no).await?;
    Ok(Json(
        shown.as_ref().map(render::template).unwrap_or(Value::Null),
    ))
}

pub(super) async fn update(
    State(shared): State<Arc<Shared>>,
    Path(template_no): Path<String>,
    body: Body,
) -> Result<Json<Value>, AdminError> {
    let b: TemplateBody = json_body(body).await?;
    if b.template_no.as_ref().is_some_and(|n| *n != template_no) {
        return Err(AdminError::bad_request(
            "template_no: differs from the one in the path",
        ));
    }
    let template = b.into_template(template_no)?;
    let t = edited(shared.storage.admin_put_template(template, false).await?)?;
    tracing::info!(template_no = %t.template_no, "admin: template updated");
    let shown = summary(&shared, &t.template_no).await?;
    Ok(Json(
        shown.as_ref().map(render::template).unwrap_or(Value::Null),
    ))
}
