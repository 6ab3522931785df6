//! `/v1/Conversations/{ConversationSid}/Participants`: the members of a conversation, with
//! Conversations' names (`last_read_message_index` is the member's consumption horizon).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{At, Routes, conversation};
use crate::chat::messaging_binding::MessagingBinding;
use crate::chat::{MemberPatch, NewMember};
use crate::http::extract::{Form, Params, Query};
use crate::http::page::Paging;
use crate::http::{ApiError, AppState};
use crate::store::Member;
use crate::time;

pub(super) fn routes() -> Routes {
    vec![
        ("/Conversations/{conversation}/Participants", get(list).post(create)),
        (
            "/Conversations/{conversation}/Participants/{sid}",
            get(fetch).post(update).delete(delete),
        ),
    ]
}

/// The participant resource.
pub(super) fn render(m: &Member, at: &At) -> Value {
    let binding = MessagingBinding::parse(m.messaging_binding.as_deref());
    json!({
        "account_sid": m.account_sid,
        "chat_service_sid": m.service_sid,
        "conversation_sid": m.channel_sid,
        "sid": m.sid,
        "identity": if binding.as_ref().is_some_and(MessagingBinding::is_addressed) { None } else { Some(&m.identity) },
        "attributes": m.attributes,
        "messaging_binding": binding,
        "role_sid": m.role_sid,
        "date_created": time::format(&m.date_created),
        "date_updated": time::format(&m.date_updated),
        "url": format!("{}/Conversations/{}/Participants/{}", at.url, m.channel_sid, m.sid),
        "last_read_message_index": m.last_consumed_message_index,
        "last_read_timestamp": m.last_consumption_timestamp.as_ref().map(time::format),
    })
}

/// `LastReadMessageIndex`: an integer, or empty to clear the horizon.
fn horizon(f: &Params) -> Result<Option<Option<i64>>, ApiError> {
    match f.get("LastReadMessageIndex") {
        None => Ok(None),
        Some("" | "null") => Ok(Some(None)),
        Some(_) => Ok(Some(f.int("LastReadMessageIndex", 0, i64::MAX)?)),
    }
}

/// The `MessagingBinding.*` parameters of a create.
fn binding(f: &Params) -> Result<Option<MessagingBinding>, ApiError> {
    Ok(MessagingBinding::new(
        f.get("MessagingBinding.Address"),
        f.get("MessagingBinding.ProxyAddress"),
        f.get("MessagingBinding.ProjectedAddress"),
    )?)
}

/// `POST /v1/Conversations/{ConversationSid}/Participants`
///
/// Adds a chat participant by `Identity` (creating the User if needed). `201`; `409` 50433
/// when the identity already participates.
async fn create(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let binding = binding(&f)?;
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let identity = f.string("Identity").unwrap_or_default();
    if identity.is_empty() && binding.as_ref().is_none_or(|b| !b.is_addressed()) {
        return Err(ApiError::invalid(
            "Identity",
            "is required for a chat participant (or MessagingBinding.Address and ProxyAddress)",
        ));
    }
    let input = NewMember {
        identity,
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        last_consumed_message_index: None,
        last_consumption_timestamp: None,
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
    };
    let member = app
        .chat
        .add_participant(at.channel(&c.sid), input, binding)
        .await
        .map_err(|e| super::recode(e, 50404, 50433))?;
    Ok((StatusCode::CREATED, Json(render(&member, &at))).into_response())
}

/// `GET /v1/Conversations/{ConversationSid}/Participants/{Sid}`
///
/// `{Sid}` is an MB SID or the identity. `200` or `404`.
async fn fetch(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let member = app.chat.member(at.channel(&c.sid), at.param("sid")).await?;
    Ok(Json(render(&member, &at)).into_response())
}

/// `GET /v1/Conversations/{ConversationSid}/Participants`
///
/// One page of participants, oldest first. `200`.
async fn list(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let rows = app.chat.list_members(at.channel(&c.sid), &[], paging.req).await?;
    let rel = format!("/Conversations/{}/Participants", at.param("conversation"));
    Ok(at.page("participants", rows, &paging, &rel, &[], |m| render(m, &at)))
}

/// `POST /v1/Conversations/{ConversationSid}/Participants/{Sid}`
///
/// Updates role, attributes, read horizon and dates. `200`.
async fn update(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let patch = MemberPatch {
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        last_consumed_message_index: horizon(&f)?,
        last_consumption_timestamp: f.date("LastReadTimestamp")?,
        notification_level: None,
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        proxy_address: f.string("MessagingBinding.ProxyAddress"),
        projected_address: f.string("MessagingBinding.ProjectedAddress"),
    };
    if f.get("MessagingBinding.Address").is_some() {
        return Err(ApiError::invalid(
            "MessagingBinding.Address",
            "cannot be changed: remove the participant and add it with the new address",
        ));
    }
    let member = app
        .chat
        .update_member(at.channel(&c.sid), at.param("sid"), patch)
        .await?;
    Ok(Json(render(&member, &at)).into_response())
}

/// `DELETE /v1/Conversations/{ConversationSid}/Participants/{Sid}`
///
/// Removes the participant. `204`.
async fn delete(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    app.chat.remove_member(at.channel(&c.sid), at.param("sid")).await?;
    Ok(StatusCode::NO_CONTENT)
}
