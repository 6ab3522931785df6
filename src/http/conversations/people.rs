//! `/v1/Users` with their Conversations, `/v1/ParticipantConversations` and
//! `/v1/Services/{ChatServiceSid}/Bindings`: the service's users as Conversations sees them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{At, Routes};
use crate::chat::{MemberPatch, NewUser, UserPatch};
use crate::http::extract::{Form, Query};
use crate::http::page::Paging;
use crate::http::{ApiError, AppState};
use crate::store::{Binding, Keyed, Reachability, User, UserChannel};
use crate::time;

pub(super) fn routes() -> Routes {
    vec![
        ("/Users", get(list_users).post(create_user)),
        ("/Users/{sid}", get(fetch_user).post(update_user).delete(delete_user)),
        ("/Users/{user}/Conversations", get(list_user_conversations)),
        (
            "/Users/{user}/Conversations/{conversation}",
            get(fetch_user_conversation)
                .post(update_user_conversation)
                .delete(delete_user_conversation),
        ),
        ("/ParticipantConversations", get(list_participant_conversations)),
        ("/Bindings", get(list_bindings)),
        ("/Bindings/{sid}", get(fetch_binding).delete(delete_binding)),
    ]
}

/// The user resource; reachability only on fetch, when the service tracks it.
fn render_user(u: &User, reachability: Option<Reachability>, at: &At) -> Value {
    let url = format!("{}/Users/{}", at.url, u.sid);
    json!({
        "sid": u.sid,
        "account_sid": u.account_sid,
        "chat_service_sid": u.service_sid,
        "role_sid": u.role_sid,
        "identity": u.identity,
        "friendly_name": u.friendly_name,
        "attributes": u.attributes,
        "is_online": reachability.map(|r| r.online),
        "is_notifiable": reachability.map(|r| r.notifiable),
        "date_created": time::format(&u.date_created),
        "date_updated": time::format(&u.date_updated),
        "links": { "user_conversations": format!("{url}/Conversations") },
        "url": url,
    })
}

/// `POST /v1/Users`
///
/// Creates a user. `201`; `409` with 50201 when the identity is taken.
async fn create_user(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let input = NewUser {
        identity: f.string("Identity").unwrap_or_default(),
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        friendly_name: f.string("FriendlyName"),
    };
    let user = app.chat.create_user(at.svc(), input).await?;
    Ok((StatusCode::CREATED, Json(render_user(&user, None, &at))).into_response())
}

/// `GET /v1/Users/{Sid}`
///
/// `{Sid}` is a US SID or the identity. `200` or `404`.
async fn fetch_user(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let view = app.chat.user_view(at.svc(), at.param("sid")).await?;
    Ok(Json(render_user(&view.user, view.reachability, &at)).into_response())
}

/// `GET /v1/Users`
///
/// One page of users. `200`.
async fn list_users(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let rows = app.chat.list_users(at.svc(), paging.req).await?;
    let rel = "/Users";
    Ok(at.page("users", rows, &paging, rel, &[], |u| render_user(u, None, &at)))
}

/// `POST /v1/Users/{Sid}`
///
/// Updates role, attributes or friendly name. `200`.
async fn update_user(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let patch = UserPatch {
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        friendly_name: f.string("FriendlyName"),
    };
    let user = app.chat.update_user(at.svc(), at.param("sid"), patch).await?;
    Ok(Json(render_user(&user, None, &at)).into_response())
}

/// `DELETE /v1/Users/{Sid}`
///
/// `204` or `404`.
async fn delete_user(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    app.chat.delete_user(at.svc(), at.param("sid")).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user conversation resource.
fn render_user_conversation(user: &User, uc: &UserChannel, at: &At) -> Value {
    let c = &uc.channel;
    let conversation_url = format!("{}/Conversations/{}", at.url, c.sid);
    json!({
        "account_sid": c.account_sid,
        "chat_service_sid": c.service_sid,
        "conversation_sid": c.sid,
        "unread_messages_count": uc.unread_messages_count,
        "last_read_message_index": uc.last_consumed_message_index,
        "participant_sid": uc.member_sid,
        "user_sid": user.sid,
        "friendly_name": c.friendly_name,
        "conversation_state": c.state,
        "timers": super::conversation::timers(&c.timers),
        "attributes": c.attributes,
        "date_created": time::format(&c.date_created),
        "date_updated": time::format(&c.date_updated),
        "created_by": c.created_by,
        "notification_level": uc.notification_level.as_deref().unwrap_or("default"),
        "unique_name": c.unique_name,
        "url": format!("{}/Users/{}/Conversations/{}", at.url, user.sid, c.sid),
        "links": {
            "participant": uc.member_sid.as_ref().map(|m| format!("{conversation_url}/Participants/{m}")),
            "conversation": conversation_url,
        },
    })
}

/// Whether a user's channel is one of their conversations (a private channel they joined).
fn is_conversation(uc: &UserChannel) -> bool {
    uc.channel.channel_type == "private" && uc.member_sid.is_some()
}

/// Keeps the rows of a user's channel page that are conversations. The look-ahead row (past
/// the page size) stays, so the page still knows whether another follows.
fn only_conversations(rows: &mut Vec<Keyed<UserChannel>>, paging: &Paging) {
    let spare = if rows.len() > paging.size as usize {
        rows.pop()
    } else {
        None
    };
    rows.retain(|r| is_conversation(&r.item));
    rows.extend(spare);
}

/// `GET /v1/Users/{UserSid}/Conversations`
///
/// One page of the conversations the user participates in. `200`.
async fn list_user_conversations(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 50, false)?;
    let (user, mut rows) = app
        .chat
        .list_user_channels(at.svc(), at.param("user"), paging.req)
        .await?;
    only_conversations(&mut rows, &paging);
    let rel = format!("/Users/{}/Conversations", at.param("user"));
    Ok(at.page("conversations", rows, &paging, &rel, &[], |uc| {
        render_user_conversation(&user, uc, &at)
    }))
}

/// The user's conversation, or 404 when it is not one.
async fn user_conversation(app: &AppState, at: &At) -> Result<(User, UserChannel), ApiError> {
    let (user, uc) = app
        .chat
        .user_channel(at.svc(), at.param("user"), at.param("conversation"))
        .await?;
    if is_conversation(&uc) {
        Ok((user, uc))
    } else {
        Err(ApiError::not_found())
    }
}

/// `GET /v1/Users/{UserSid}/Conversations/{ConversationSid}`
///
/// `200` or `404`.
async fn fetch_user_conversation(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let (user, uc) = user_conversation(&app, &at).await?;
    Ok(Json(render_user_conversation(&user, &uc, &at)).into_response())
}

/// `POST /v1/Users/{UserSid}/Conversations/{ConversationSid}`
///
/// Updates the user's notification level and read horizon there. `200`.
async fn update_user_conversation(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    user_conversation(&app, &at).await?;
    let level = f.string("NotificationLevel");
    if let Some(l) = &level
        && !matches!(l.as_str(), "default" | "muted")
    {
        return Err(ApiError::invalid("NotificationLevel", "must be default or muted"));
    }
    let patch = MemberPatch {
        role_sid: None,
        attributes: None,
        last_consumed_message_index: match f.get("LastReadMessageIndex") {
            None => None,
            Some("" | "null") => Some(None),
            Some(_) => Some(f.int("LastReadMessageIndex", 0, i64::MAX)?),
        },
        last_consumption_timestamp: f.date("LastReadTimestamp")?,
        notification_level: level,
        ..MemberPatch::default()
    };
    let (user, uc) = app
        .chat
        .update_user_channel(at.svc(), at.param("user"), at.param("conversation"), patch)
        .await?;
    Ok(Json(render_user_conversation(&user, &uc, &at)).into_response())
}

/// `DELETE /v1/Users/{UserSid}/Conversations/{ConversationSid}`
///
/// The user leaves the conversation. `204`.
async fn delete_user_conversation(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    user_conversation(&app, &at).await?;
    app.chat
        .delete_user_channel(at.svc(), at.param("user"), at.param("conversation"))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The participant conversation resource: one conversation of a chat participant.
fn render_participant_conversation(user: &User, uc: &UserChannel, at: &At) -> Value {
    let c = &uc.channel;
    let conversation_url = format!("{}/Conversations/{}", at.url, c.sid);
    json!({
        "account_sid": c.account_sid,
        "chat_service_sid": c.service_sid,
        "participant_sid": uc.member_sid,
        "participant_user_sid": user.sid,
        "participant_identity": user.identity,
        "participant_messaging_binding": null,
        "conversation_sid": c.sid,
        "conversation_unique_name": c.unique_name,
        "conversation_friendly_name": c.friendly_name,
        "conversation_attributes": c.attributes,
        "conversation_date_created": time::format(&c.date_created),
        "conversation_date_updated": time::format(&c.date_updated),
        "conversation_created_by": c.created_by,
        "conversation_state": c.state,
        "conversation_timers": super::conversation::timers(&c.timers),
        "links": {
            "participant": uc.member_sid.as_ref().map(|m| format!("{conversation_url}/Participants/{m}")),
            "conversation": conversation_url,
        },
    })
}

/// `GET /v1/ParticipantConversations`
///
/// The conversations of a chat participant (`Identity`); `Address` (SMS, WhatsApp) finds
/// nothing, as Banter has no such participants. `200`.
async fn list_participant_conversations(
    State(app): State<AppState>,
    at: At,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 50, false)?;
    let rel = "/ParticipantConversations";
    let none = |filters: &[(&str, String)]| {
        let rows: Vec<Keyed<Value>> = Vec::new();
        at.page("conversations", rows, &paging, rel, filters, Value::clone)
    };
    let Some(identity) = q.string("Identity") else {
        // Participants reached by `Address` (SMS, WhatsApp) are not served: none match.
        return match q.string("Address") {
            Some(address) => Ok(none(&[("Address", address)])),
            None => Err(ApiError::invalid("Identity", "either Identity or Address is required")),
        };
    };
    let filters = [("Identity", identity.clone())];
    let (user, mut rows) = match app.chat.list_user_channels(at.svc(), &identity, paging.req).await {
        Ok(found) => found,
        Err(crate::chat::ChatError::NotFound) => return Ok(none(&filters)),
        Err(e) => return Err(e.into()),
    };
    only_conversations(&mut rows, &paging);
    Ok(at.page("conversations", rows, &paging, rel, &filters, |uc| {
        render_participant_conversation(&user, uc, &at)
    }))
}

/// The service binding resource.
fn render_binding(b: &Binding, at: &At) -> Value {
    json!({
        "sid": b.sid,
        "account_sid": b.account_sid,
        "chat_service_sid": b.service_sid,
        "credential_sid": b.credential_sid,
        "date_created": time::format(&b.date_created),
        "date_updated": time::format(&b.date_updated),
        "endpoint": b.endpoint,
        "identity": b.identity,
        "binding_type": b.binding_type,
        "message_types": b.message_types,
        "url": format!("{}/Bindings/{}", at.url, b.sid),
    })
}

/// `GET /v1/Services/{ChatServiceSid}/Bindings`
///
/// One page; `BindingType` and `Identity` (repeatable) filter. `200`.
async fn list_bindings(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 50, false)?;
    let (types, identities) = (q.all("BindingType"), q.all("Identity"));
    let rows = app
        .chat
        .list_bindings(at.svc(), &types, &identities, paging.req)
        .await?;
    let rel = "/Bindings";
    let filters: Vec<(&str, String)> = types
        .into_iter()
        .map(|t| ("BindingType", t))
        .chain(identities.into_iter().map(|i| ("Identity", i)))
        .collect();
    Ok(at.page("bindings", rows, &paging, rel, &filters, |b| render_binding(b, &at)))
}

/// `GET /v1/Services/{ChatServiceSid}/Bindings/{Sid}`
///
/// `200` or `404`.
async fn fetch_binding(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let (_, b) = app.chat.binding(at.svc(), None, at.param("sid")).await?;
    Ok(Json(render_binding(&b, &at)).into_response())
}

/// `DELETE /v1/Services/{ChatServiceSid}/Bindings/{Sid}`
///
/// `204` or `404`.
async fn delete_binding(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    app.chat.delete_binding(at.svc(), None, at.param("sid")).await?;
    Ok(StatusCode::NO_CONTENT)
}
