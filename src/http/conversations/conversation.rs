//! `/v1/Conversations` (and `/v1/Services/{ChatServiceSid}/Conversations`): the private
//! channels of a service, with Conversations' names.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{At, Routes, conversation};
use crate::chat::messaging_binding::MessagingBinding;
use crate::chat::{ChannelPatch, NewChannel, TimersInput};
use crate::http::extract::{Form, Query};
use crate::http::page::Paging;
use crate::http::{ApiError, AppState};
use crate::store::{Channel, ConversationFilter, ConversationTimers};
use crate::time;

pub(super) fn routes() -> Routes {
    vec![
        ("/Conversations", get(list).post(create)),
        ("/Conversations/{sid}", get(fetch).post(update).delete(delete)),
        ("/ConversationWithParticipants", post(create_with_participants)),
    ]
}

/// The conversation resource (`at.url` is the requested form's prefix).
pub(super) fn render(c: &Channel, at: &At) -> Value {
    let url = format!("{}/Conversations/{}", at.url, c.sid);
    json!({
        "account_sid": c.account_sid,
        "chat_service_sid": c.service_sid,
        "messaging_service_sid": c.messaging_service_sid,
        "sid": c.sid,
        "friendly_name": c.friendly_name,
        "unique_name": c.unique_name,
        "attributes": c.attributes,
        "state": c.state,
        "date_created": time::format(&c.date_created),
        "date_updated": time::format(&c.date_updated),
        "timers": timers(&c.timers),
        "bindings": null,
        "links": {
            "participants": format!("{url}/Participants"),
            "messages": format!("{url}/Messages"),
            "webhooks": format!("{url}/Webhooks"),
        },
        "url": url,
    })
}

/// `timers`: the instants the set timers fire at (`{}` when none runs).
pub(super) fn timers(t: &ConversationTimers) -> Value {
    let mut out = serde_json::Map::new();
    for (name, at) in [("date_inactive", t.inactive_at), ("date_closed", t.closed_at)] {
        if let Some(at) = at.and_then(time::from_ms) {
            out.insert(name.to_owned(), Value::String(time::format(&at)));
        }
    }
    Value::Object(out)
}

/// `Timers.Inactive` and `Timers.Closed`.
fn timers_input(f: &crate::http::extract::Params) -> TimersInput {
    TimersInput {
        inactive: f.string("Timers.Inactive"),
        closed: f.string("Timers.Closed"),
    }
}

/// The fields a create shares with ConversationWithParticipants.
fn new_conversation(f: &crate::http::extract::Params) -> Result<NewChannel, ApiError> {
    Ok(NewChannel {
        friendly_name: f.string("FriendlyName"),
        unique_name: f.string("UniqueName"),
        attributes: f.string("Attributes"),
        channel_type: Some("private".to_owned()),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        created_by: None,
        state: f.string("State"),
        messaging_service_sid: f.string("MessagingServiceSid"),
        timers: Some(timers_input(f)),
    })
}

/// `POST /v1/Conversations`
///
/// Creates a conversation (a private channel), with `Timers.Inactive` / `Timers.Closed` or
/// the account's default timers. `201`; `409` with 50353 for a taken unique name; `400` for
/// timers as on update.
async fn create(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let channel = app
        .chat
        .create_channel(at.svc(), new_conversation(&f)?)
        .await
        .map_err(|e| super::recode(e, 50307, 50353))?;
    Ok((StatusCode::CREATED, Json(render(&channel, &at))).into_response())
}

/// `POST /v1/ConversationWithParticipants`
///
/// Creates a conversation and adds chat participants (`Participant` repeated, each a JSON
/// object with an `identity`). `201`.
async fn create_with_participants(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let mut participants = Vec::new();
    for p in f.all("Participant") {
        let v: Value =
            serde_json::from_str(&p).map_err(|_| ApiError::invalid("Participant", "must be a JSON object"))?;
        let text = |v: Option<&Value>, key: &str| v.and_then(|o| o.get(key)).and_then(Value::as_str).map(str::to_owned);
        let b = v.get("messaging_binding");
        let binding = MessagingBinding::new(
            text(b, "address").as_deref(),
            text(b, "proxy_address").as_deref(),
            text(b, "projected_address").as_deref(),
        )?;
        let identity = text(Some(&v), "identity").unwrap_or_default();
        if identity.is_empty() && binding.as_ref().is_none_or(|b| !b.is_addressed()) {
            return Err(ApiError::invalid(
                "Participant",
                "each needs an identity or a messaging_binding with address and proxy_address",
            ));
        }
        let input = crate::chat::NewMember {
            identity,
            role_sid: text(Some(&v), "role_sid"),
            attributes: text(Some(&v), "attributes"),
            last_consumed_message_index: None,
            last_consumption_timestamp: None,
            date_created: None,
            date_updated: None,
        };
        participants.push((input, binding));
    }
    let channel = app
        .chat
        .create_channel(at.svc(), new_conversation(&f)?)
        .await
        .map_err(|e| super::recode(e, 50307, 50353))?;
    for (input, binding) in participants {
        app.chat
            .add_participant(at.channel(&channel.sid), input, binding)
            .await
            .map_err(|e| super::recode(e, 50404, 50433))?;
    }
    let channel = app.chat.channel(at.channel(&channel.sid)).await?;
    Ok((StatusCode::CREATED, Json(render(&channel, &at))).into_response())
}

/// `GET /v1/Conversations/{Sid}`
///
/// `{Sid}` is a CH SID or the unique name. `200` or `404` (also for a public channel).
async fn fetch(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let channel = conversation(&app, &at, at.param("sid")).await?;
    Ok(Json(render(&channel, &at)).into_response())
}

/// `GET /v1/Conversations`
///
/// One page of the service's conversations, oldest first; `State`, `StartDate` and `EndDate`
/// (`YYYY-MM-DD`, inclusive) filter. `200`.
async fn list(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let filter = ConversationFilter {
        state: q.string("State"),
        start_date: q.string("StartDate"),
        end_date: q.string("EndDate"),
    };
    let rows = app.chat.list_conversations(at.svc(), &filter, paging.req).await?;
    let filters: Vec<(&str, String)> = [
        ("StartDate", filter.start_date),
        ("EndDate", filter.end_date),
        ("State", filter.state),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    Ok(
        at.page("conversations", rows, &paging, "/Conversations", &filters, |c| {
            render(c, &at)
        }),
    )
}

/// `POST /v1/Conversations/{Sid}`
///
/// Updates names, attributes, state, messaging service, timers and dates. `200`; `400` with
/// 50375/50376 for timers below the minimum, 50379/50380 for one that is not a duration.
async fn update(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let channel = conversation(&app, &at, at.param("sid")).await?;
    let patch = ChannelPatch {
        friendly_name: f.string("FriendlyName"),
        unique_name: f.string("UniqueName"),
        attributes: f.string("Attributes"),
        date_created: f.date("DateCreated")?,
        date_updated: f.date("DateUpdated")?,
        state: f.string("State"),
        messaging_service_sid: f.string("MessagingServiceSid"),
        timers: Some(timers_input(&f)),
        ..ChannelPatch::default()
    };
    let channel = app
        .chat
        .update_channel(at.channel(&channel.sid), patch)
        .await
        .map_err(|e| super::recode(e, 50307, 50353))?;
    Ok(Json(render(&channel, &at)).into_response())
}

/// `DELETE /v1/Conversations/{Sid}`
///
/// Deletes the conversation with its participants and messages. `204`.
async fn delete(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    let channel = conversation(&app, &at, at.param("sid")).await?;
    app.chat.delete_channel(at.channel(&channel.sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}
