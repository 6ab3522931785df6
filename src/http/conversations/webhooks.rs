//! `/v1/Conversations/{ConversationSid}/Webhooks`: a conversation's webhooks, which are the
//! channel's Chat webhooks (`target` is Chat's `type`). Filters name Conversations' events,
//! which such a webhook receives with Conversations' payloads.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{At, Routes, conversation};
use crate::chat::{CONVERSATIONS_EVENTS, WebhookConfigPatch};
use crate::http::extract::{Form, Params, Query};
use crate::http::page::Paging;
use crate::http::{ApiError, AppState};
use crate::store::ChannelWebhook;
use crate::time;

pub(super) fn routes() -> Routes {
    vec![
        ("/Conversations/{conversation}/Webhooks", get(list).post(create)),
        (
            "/Conversations/{conversation}/Webhooks/{sid}",
            get(fetch).post(update).delete(delete),
        ),
    ]
}

/// (Conversations name, Chat name) of events whose filters older versions stored under
/// Chat's names; they are shown under Conversations' names.
const EVENTS: &[(&str, &str)] = &[
    ("onMessageAdded", "onMessageSent"),
    ("onParticipantAdded", "onMemberAdded"),
    ("onParticipantUpdated", "onMemberUpdated"),
    ("onParticipantRemoved", "onMemberRemoved"),
    ("onConversationUpdated", "onChannelUpdated"),
    ("onConversationRemoved", "onChannelDestroyed"),
];

/// The filters as sent: Conversations' event names, delivered with Conversations' payloads.
fn stored(sent: Vec<String>) -> Result<Vec<String>, ApiError> {
    match sent.iter().find(|f| !CONVERSATIONS_EVENTS.contains(&f.as_str())) {
        Some(bad) => Err(ApiError::invalid(
            "Configuration.Filters",
            &format!("unknown event {bad}"),
        )),
        None => Ok(sent),
    }
}

/// A stored filter under its Conversations name.
fn shown(name: &str) -> &str {
    EVENTS.iter().find(|(_, c)| *c == name).map_or(name, |(v, _)| v)
}

/// The conversation webhook resource; `configuration` holds only the keys that are set.
fn render(w: &ChannelWebhook, at: &At) -> Value {
    let c = &w.configuration;
    let filters = c
        .filters
        .as_ref()
        .map(|f| f.iter().map(|x| shown(x)).collect::<Vec<_>>());
    let config = crate::http::channel_webhooks::configuration(c, json!(filters));
    json!({
        "sid": w.sid,
        "account_sid": w.account_sid,
        "chat_service_sid": w.service_sid,
        "conversation_sid": w.channel_sid,
        "target": w.webhook_type,
        "configuration": config,
        "date_created": time::format(&w.date_created),
        "date_updated": time::format(&w.date_updated),
        "url": format!("{}/Conversations/{}/Webhooks/{}", at.url, w.channel_sid, w.sid),
    })
}

/// `Configuration.*` (`ReplayAfter` is accepted: Banter keeps no replay window).
fn patch(f: &Params) -> Result<WebhookConfigPatch, ApiError> {
    Ok(WebhookConfigPatch {
        url: f.string("Configuration.Url"),
        method: f.string("Configuration.Method"),
        filters: f.list("Configuration.Filters").map(stored).transpose()?,
        triggers: f.list("Configuration.Triggers"),
        flow_sid: f.string("Configuration.FlowSid"),
        retry_count: None,
    })
}

/// `POST /v1/Conversations/{ConversationSid}/Webhooks`
///
/// `Target` `webhook`, `trigger` or `studio`. `201`; `403` 50321 beyond five.
async fn create(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let target = f.required("Target")?;
    let webhook = app.chat.create_webhook(at.channel(&c.sid), &target, patch(&f)?).await?;
    Ok((StatusCode::CREATED, Json(render(&webhook, &at))).into_response())
}

/// `GET /v1/Conversations/{ConversationSid}/Webhooks/{Sid}`
///
/// `200` or `404`.
async fn fetch(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let webhook = app.chat.webhook(at.channel(&c.sid), at.param("sid")).await?;
    Ok(Json(render(&webhook, &at)).into_response())
}

/// `GET /v1/Conversations/{ConversationSid}/Webhooks`
///
/// One page (at most five exist). `200`.
async fn list(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 5, false)?;
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let rows = app.chat.list_webhooks(at.channel(&c.sid), paging.req).await?;
    let rel = format!("/Conversations/{}/Webhooks", at.param("conversation"));
    Ok(at.page("webhooks", rows, &paging, &rel, &[], |w| render(w, &at)))
}

/// `POST /v1/Conversations/{ConversationSid}/Webhooks/{Sid}`
///
/// Updates the configuration. `200`.
async fn update(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let webhook = app
        .chat
        .update_webhook(at.channel(&c.sid), at.param("sid"), patch(&f)?)
        .await?;
    Ok(Json(render(&webhook, &at)).into_response())
}

/// `DELETE /v1/Conversations/{ConversationSid}/Webhooks/{Sid}`
///
/// `204`.
async fn delete(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    app.chat.delete_webhook(at.channel(&c.sid), at.param("sid")).await?;
    Ok(StatusCode::NO_CONTENT)
}
