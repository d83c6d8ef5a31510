//! The page templates (askama, HTML-escaped) and how a failure becomes a page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{html, CSS_HREF};
use crate::domain::card::Card;
use crate::domain::consent::SignSubject;
use crate::domain::instance_view::InstanceView;
use crate::error::BizCode;
use crate::http::error::{ApiError, Fault};
use crate::http::v1::Failure;

/// The signing page: what the user agrees to, and the form (同意并签约 / 暂不签约).
#[derive(Template)]
#[template(path = "sign.html")]
pub(super) struct SignPage<'a> {
    pub(super) css: &'a str,
    pub(super) subject: &'a SignSubject,
    /// `¥` amount, from fen.
    pub(super) freeze: String,
    pub(super) confirm_path: &'a str,
    pub(super) decline_path: &'a str,
    pub(super) token: &'a str,
}

/// The consumer's Zhima GO card.
#[derive(Template)]
#[template(path = "card.html")]
pub(super) struct CardPage<'a> {
    pub(super) css: &'a str,
    pub(super) card: &'a Card,
}

/// A state-sync instance.
#[derive(Template)]
#[template(path = "instance.html")]
pub(super) struct InstancePage<'a> {
    pub(super) css: &'a str,
    pub(super) view: &'a InstanceView,
}

/// A page that only tells something (errors, used or expired links, success).
#[derive(Template)]
#[template(path = "message.html")]
pub(super) struct MessagePage<'a> {
    pub(super) css: &'a str,
    pub(super) title: &'a str,
    pub(super) message: &'a str,
    /// The gateway `code` of a failure.
    pub(super) code: Option<&'a str>,
    /// Its `sub_code`.
    pub(super) sub_code: Option<&'a str>,
    pub(super) ok: bool,
}

/// Renders a template; a template that fails to render is our fault (500, logged).
pub(super) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>系统繁忙</title><p>系统繁忙，请稍后再试".to_owned(),
            )
        }
    }
}

/// A message page.
pub(super) fn message(status: StatusCode, title: &str, message: &str, ok: bool) -> Response {
    render(
        status,
        &MessagePage {
            css: &CSS_HREF,
            title,
            message,
            code: None,
            sub_code: None,
            ok,
        },
    )
}

/// The 403 of a view link that does not open its page (forged, expired, another subject's,
/// or a subject that does not exist): the same words for all, naming nothing.
pub(super) fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "链接无效或已过期",
        "请向商户重新获取查看链接",
        false,
    )
}

/// Storage did not answer (logged; the page says only "busy").
pub(super) fn unavailable(e: &crate::error::Error) -> Response {
    tracing::warn!(error = %e, "consumer page: storage failed");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "系统繁忙",
        "请稍后再试",
        false,
    )
}

/// The error page of a failed page request: the gateway's `code`/`sub_code` and message, no
/// form. The HTTP status follows the failure (the v3 status of the same fault).
pub(super) fn failure_page(e: &ApiError, failure: &Failure) -> Response {
    let status = match &e.fault {
        Fault::Gateway { kind, .. } => kind.v3().http_status(),
        Fault::Business(r) => match r.code {
            BizCode::Cumulation(c) => c.http_status(),
            BizCode::Zmdata(_) => 400,
        },
        Fault::System => 500,
        Fault::Unavailable => 503,
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    render(
        status,
        &MessagePage {
            css: &CSS_HREF,
            title: "无法打开签约页面",
            message: failure.sub_msg(),
            code: Some(failure.code().as_str()),
            sub_code: Some(failure.sub_code()),
            ok: false,
        },
    )
}

#[cfg(test)]
mod tests {
    use scraper::{Html, Selector};
    use zhima_proto::money::Fen;

    use super::*;

    fn subject(name: &str) -> SignSubject {
        SignSubject {
            template_no: "T".into(),
            name: name.into(),
            benefit: Some("每单立减<b>5元</b>".into()),
            sub_benefit: None,
            obligation: Some("完成3次任务".into()),
            period: "30天".into(),
            freeze_amount: Fen(12_345),
            partner_id: "2088\"><img src=x>".into(),
        }
    }

    fn texts(doc: &Html, css: &str) -> Vec<String> {
        let sel = Selector::parse(css).unwrap();
        doc.select(&sel).map(|e| e.text().collect()).collect()
    }

    #[test]
    fn hostile_template_text_is_escaped_not_markup() {
        let hostile = "<script>alert(1)</script>";
        let s = subject(hostile);
        let page = SignPage {
            css: "/c/static/zhima.css",
            subject: &s,
            freeze: s.freeze_amount.to_yuan_string(),
            confirm_path: "/c/sign/confirm",
            decline_path: "/c/sign/decline",
            token: "t\"><x",
        };
        let html = page.render().unwrap();
        assert!(!html.contains(hostile), "{html}");
        let doc = Html::parse_document(&html);
        assert!(texts(&doc, "script").is_empty());
        assert!(texts(&doc, "img").is_empty());
        assert!(texts(&doc, ".benefit b").is_empty());
        assert_eq!(texts(&doc, "h1.name"), [hostile]);
        assert_eq!(texts(&doc, ".benefit"), ["每单立减<b>5元</b>"]);
        assert_eq!(texts(&doc, "dd.freeze"), ["¥123.45"]);
        let input = Selector::parse("input[name=token]").unwrap();
        let value = doc.select(&input).next().unwrap().value().attr("value");
        assert_eq!(value, Some("t\"><x"));
        assert_eq!(texts(&doc, "form button"), ["同意并签约", "暂不签约"]);
        let decline = Selector::parse("button.decline").unwrap();
        let formaction = doc
            .select(&decline)
            .next()
            .unwrap()
            .value()
            .attr("formaction");
        assert_eq!(formaction, Some("/c/sign/decline"));
    }

    #[test]
    fn a_message_page_has_no_form() {
        let page = MessagePage {
            css: "/c/static/zhima.css",
            title: "无法打开签约页面",
            message: "<i>x</i>",
            code: Some("40002"),
            sub_code: Some("isv.invalid-signature"),
            ok: false,
        };
        let doc = Html::parse_document(&page.render().unwrap());
        assert!(texts(&doc, "form").is_empty() && texts(&doc, "button").is_empty());
        assert!(texts(&doc, "i").is_empty());
        assert_eq!(texts(&doc, "code.sub-code"), ["isv.invalid-signature"]);
    }
}
