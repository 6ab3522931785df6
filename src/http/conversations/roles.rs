//! `/v1/Roles`: the service's roles with Conversations' names. A `conversation` role is a Chat
//! `channel` role and a `service` role a `deployment` role; permissions are stored under Chat's
//! names and shown under Conversations' (`addParticipant` is `addMember`, and so on).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{At, Routes};
use crate::chat::NewRole;
use crate::http::extract::{Form, Query};
use crate::http::page::Paging;
use crate::http::{ApiError, AppState};
use crate::store::{Role, RoleType};
use crate::time;

pub(super) fn routes() -> Routes {
    vec![
        ("/Roles", get(list).post(create)),
        ("/Roles/{sid}", get(fetch).post(update).delete(delete)),
    ]
}

/// (Chat name, Conversations name) of every permission whose names differ.
const RENAMED: &[(&str, &str)] = &[
    ("addMember", "addParticipant"),
    ("createChannel", "createConversation"),
    ("destroyChannel", "destroyConversation"),
    ("editAnyMemberAttributes", "editAnyParticipantAttributes"),
    ("editChannelAttributes", "editConversationAttributes"),
    ("editChannelName", "editConversationName"),
    ("editOwnMemberAttributes", "editOwnParticipantAttributes"),
    ("joinChannel", "joinConversation"),
    ("leaveChannel", "leaveConversation"),
    ("removeMember", "removeParticipant"),
];

/// A permission under its Conversations name.
fn shown(chat: &str) -> &str {
    RENAMED.iter().find(|(c, _)| *c == chat).map_or(chat, |(_, v)| v)
}

/// A permission as sent (either name) under its Chat name.
fn stored(sent: &str) -> String {
    RENAMED
        .iter()
        .find(|(_, v)| *v == sent)
        .map_or(sent, |(c, _)| c)
        .to_owned()
}

/// The role type under its Conversations name.
const fn type_name(t: RoleType) -> &'static str {
    match t {
        RoleType::Channel => "conversation",
        RoleType::Deployment => "service",
    }
}

/// The role resource.
fn render(r: &Role, at: &At) -> Value {
    let permissions: Vec<&str> = r.permissions.iter().map(|p| shown(p)).collect();
    json!({
        "sid": r.sid,
        "account_sid": r.account_sid,
        "chat_service_sid": r.service_sid,
        "friendly_name": r.friendly_name,
        "type": type_name(r.role_type),
        "permissions": permissions,
        "date_created": time::format(&r.date_created),
        "date_updated": time::format(&r.date_updated),
        "url": format!("{}/Roles/{}", at.url, r.sid),
    })
}

/// `POST /v1/Roles`
///
/// Creates a role (`Type` `conversation` or `service`). `201`; `400` 50104 for an unknown
/// permission.
async fn create(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let friendly_name = f.required("FriendlyName")?;
    let role_type = match f.required("Type")?.as_str() {
        "conversation" => RoleType::Channel,
        "service" => RoleType::Deployment,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                50105,
                "Invalid role type: Type must be conversation or service",
            ));
        }
    };
    let input = NewRole {
        friendly_name,
        role_type,
        permissions: f.all("Permission").iter().map(|p| stored(p)).collect(),
    };
    let role = app.chat.create_role(at.svc(), input).await?;
    Ok((StatusCode::CREATED, Json(render(&role, &at))).into_response())
}

/// `GET /v1/Roles/{Sid}`
///
/// `200` or `404`.
async fn fetch(State(app): State<AppState>, at: At) -> Result<Response, ApiError> {
    let role = app.chat.role(at.svc(), at.param("sid")).await?;
    Ok(Json(render(&role, &at)).into_response())
}

/// `GET /v1/Roles`
///
/// One page of roles. `200`.
async fn list(State(app): State<AppState>, at: At, Query(q): Query) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let rows = app.chat.list_roles(at.svc(), paging.req).await?;
    let rel = "/Roles";
    Ok(at.page("roles", rows, &paging, rel, &[], |r| render(r, &at)))
}

/// `POST /v1/Roles/{Sid}`
///
/// Replaces the permissions. `200`.
async fn update(State(app): State<AppState>, at: At, Form(f): Form) -> Result<Response, ApiError> {
    let permissions: Vec<String> = f.all("Permission").iter().map(|p| stored(p)).collect();
    if permissions.is_empty() {
        return Err(ApiError::invalid("Permission", "is required"));
    }
    let role = app.chat.update_role(at.svc(), at.param("sid"), &permissions).await?;
    Ok(Json(render(&role, &at)).into_response())
}

/// `DELETE /v1/Roles/{Sid}`
///
/// `204`; `403` for a role in use.
async fn delete(State(app): State<AppState>, at: At) -> Result<StatusCode, ApiError> {
    app.chat.delete_role(at.svc(), at.param("sid")).await?;
    Ok(StatusCode::NO_CONTENT)
}
