//! `/v1/Conversations/{ConversationSid}/Participants`: the members of a conversation, with
//! Conversations' names (`last_read_message_index` is the member's consumption horizon).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{At, Routes, conversation};
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
    json!({
        "account_sid": m.account_sid,
        "chat_service_sid": m.service_sid,
        "conversation_sid": m.channel_sid,
        "sid": m.sid,
        "identity": m.identity,
        "attributes": m.attributes,
        "messaging_binding": null,
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

/// Participants reached through SMS or WhatsApp (`MessagingBinding.*`) are not served yet.
fn chat_only(f: &Params) -> Result<(), ApiError> {
    if f.0.iter().any(|(k, _)| k.starts_with("MessagingBinding.")) {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            20001,
            "Participants with a MessagingBinding (SMS, WhatsApp) are not served by Banter yet",
        ));
    }
    Ok(())
}

/// `POST /v1/Conversations/{ConversationSid}/Participants`
///
/// Adds a chat participant by `Identity` (creating the User if needed). `201`; `409` 50433
/// when the identity already participates.
async fn create(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    chat_only(&f)?;
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let Some(identity) = f.string("Identity").filter(|i| !i.is_empty()) else {
        return Err(ApiError::invalid("Identity", "is required for a chat participant"));
    };
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
        .add_member(at.channel(&c.sid), input)
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
    chat_only(&f)?;
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let patch = MemberPatch {
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        last_consumed_message_index: horizon(&f)?,
        last_consumption_timestamp: f.date("LastReadTimestamp")?,
        notification_level: None,
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
    };
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
