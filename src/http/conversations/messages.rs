//! `/v1/Conversations/{ConversationSid}/Messages` and their delivery Receipts: the messages of
//! a conversation, with Conversations' names (`author` is Chat's `from`; `index` is shared).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{At, Routes, conversation};
use crate::chat::{MessagePatch, NewMessage};
use crate::http::extract::{Form, Query};
use crate::http::page::Paging;
use crate::http::{ApiError, AppState};
use crate::store::{Channel, Message, PageReq};
use crate::time;

pub(super) fn routes() -> Routes {
    vec![
        ("/Conversations/{conversation}/Messages", get(list).post(create)),
        (
            "/Conversations/{conversation}/Messages/{sid}",
            get(fetch).post(update).delete(delete),
        ),
        (
            "/Conversations/{conversation}/Messages/{message}/Receipts",
            get(list_receipts),
        ),
        (
            "/Conversations/{conversation}/Messages/{message}/Receipts/{sid}",
            get(fetch_receipt),
        ),
    ]
}

/// The message resource; `participant` is the author's participant SID when they are one.
fn render(m: &Message, participant: Option<&str>, at: &At) -> Value {
    let url = format!("{}/Conversations/{}/Messages/{}", at.url, m.channel_sid, m.sid);
    let media = m.media.as_ref().map(|md| {
        json!([{
            "sid": md.sid,
            "category": "media",
            "content_type": md.content_type,
            "filename": md.filename,
            "size": md.size,
        }])
    });
    json!({
        "account_sid": m.account_sid,
        "chat_service_sid": m.service_sid,
        "conversation_sid": m.channel_sid,
        "sid": m.sid,
        "index": m.index,
        "author": m.from,
        "body": if m.media.is_some() && m.body.is_empty() { None } else { Some(&m.body) },
        "media": media,
        "attributes": m.attributes.as_deref().unwrap_or("{}"),
        "participant_sid": participant,
        "date_created": time::format(&m.date_created),
        "date_updated": time::format(&m.date_updated),
        "delivery": null,
        "content_sid": null,
        "links": {
            "delivery_receipts": format!("{url}/Receipts"),
            "channel_metadata": format!("{url}/ChannelMetadata"),
        },
        "url": url,
    })
}

/// The participant SIDs of `authors` in conversation `c`, in one read.
async fn participants(
    app: &AppState,
    at: &At,
    c: &Channel,
    authors: &[String],
) -> Result<HashMap<String, String>, ApiError> {
    if authors.is_empty() {
        return Ok(HashMap::new());
    }
    let page = PageReq {
        after: None,
        before: None,
        limit: u32::try_from(authors.len()).unwrap_or(u32::MAX),
        desc: false,
    };
    let members = app.chat.list_members(at.channel(&c.sid), authors, page).await?;
    Ok(members.into_iter().map(|k| (k.item.identity, k.item.sid)).collect())
}

/// Renders one message with its author's participant SID.
async fn one(app: &AppState, at: &At, c: &Channel, m: &Message) -> Result<Value, ApiError> {
    let sid = app.chat.participant_sid(&c.sid, &m.from).await?;
    Ok(render(m, sid.as_deref(), at))
}

/// `POST /v1/Conversations/{ConversationSid}/Messages`
///
/// Sends a message (`Author` defaults to `system`). `201`.
async fn create(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let key = at.param("conversation");
    let input = NewMessage {
        from: f.string("Author"),
        body: f.string("Body"),
        attributes: f.string("Attributes"),
        media_sid: f.string("MediaSid"),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        last_updated_by: None,
    };
    let (message, participant) = app.chat.send_conversation_message(at.channel(key), input).await?;
    Ok((StatusCode::CREATED, Json(render(&message, participant.as_deref(), &at))).into_response())
}

/// `GET /v1/Conversations/{ConversationSid}/Messages/{Sid}`
///
/// `200` or `404`.
async fn fetch(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let message = app.chat.message(at.channel(&c.sid), at.param("sid")).await?;
    Ok(Json(one(&app, &at, &c, &message).await?).into_response())
}

/// `GET /v1/Conversations/{ConversationSid}/Messages`
///
/// One page of messages by index; `Order=desc` for newest first. `200`.
async fn list(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let desc = match q.get("Order").unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        _ => return Err(ApiError::invalid("Order", "must be asc or desc")),
    };
    let paging = Paging::from_query(&q, 100, desc)?;
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let rows = app.chat.list_messages(at.channel(&c.sid), paging.req).await?;
    let mut authors: Vec<String> = rows.iter().map(|k| k.item.from.clone()).collect();
    authors.sort_unstable();
    authors.dedup();
    let sids = participants(&app, &at, &c, &authors).await?;
    let rel = format!("/Conversations/{}/Messages", at.param("conversation"));
    let filters: Vec<(&str, String)> = q.get("Order").map(|o| ("Order", o.to_owned())).into_iter().collect();
    Ok(at.page("messages", rows, &paging, &rel, &filters, |m| {
        render(m, sids.get(&m.from).map(String::as_str), &at)
    }))
}

/// `POST /v1/Conversations/{ConversationSid}/Messages/{Sid}`
///
/// Edits body, attributes, author or dates. `200`.
async fn update(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    let patch = MessagePatch {
        body: f.string("Body"),
        attributes: f.string("Attributes"),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        last_updated_by: None,
        from: f.string("Author"),
    };
    let message = app
        .chat
        .update_message(at.channel(&c.sid), at.param("sid"), patch)
        .await?;
    Ok(Json(one(&app, &at, &c, &message).await?).into_response())
}

/// `DELETE /v1/Conversations/{ConversationSid}/Messages/{Sid}`
///
/// `204`; the other messages keep their indexes.
async fn delete(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    app.chat.delete_message(at.channel(&c.sid), at.param("sid")).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts`
///
/// Delivery receipts come from SMS and WhatsApp, which Banter does not deliver: an empty page
/// for a message that exists. `200` or `404`.
async fn list_receipts(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let c = conversation(&app, &at, at.param("conversation")).await?;
    app.chat.message(at.channel(&c.sid), at.param("message")).await?;
    let rel = format!(
        "/Conversations/{}/Messages/{}/Receipts",
        at.param("conversation"),
        at.param("message")
    );
    let none: Vec<crate::store::Keyed<Value>> = Vec::new();
    Ok(at.page("delivery_receipts", none, &paging, &rel, &[], Value::clone))
}

/// `GET /v1/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts/{Sid}`
///
/// No receipt exists (see [`list_receipts`]): `404`.
async fn fetch_receipt(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let c = conversation(&app, &at, at.param("conversation")).await?;
    app.chat.message(at.channel(&c.sid), at.param("message")).await?;
    Err(ApiError::not_found())
}
