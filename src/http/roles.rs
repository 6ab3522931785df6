//! `/v2/Services/{ServiceSid}/Roles`: create, fetch, list, update, delete.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::extract::{BaseUrl, Client, Form, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::NewRole;
use crate::store::{Role, RoleType};
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/Services/{service}/Roles", get(list).post(create))
        .route(
            "/v2/Services/{service}/Roles/{sid}",
            get(fetch).post(update).delete(delete),
        )
}

fn render(r: &Role, base: &str) -> Value {
    json!({
        "sid": r.sid,
        "account_sid": r.account_sid,
        "service_sid": r.service_sid,
        "friendly_name": r.friendly_name,
        "type": r.role_type.as_str(),
        "permissions": r.permissions,
        "date_created": time::format(&r.date_created),
        "date_updated": time::format(&r.date_updated),
        "url": format!("{base}/v2/Services/{}/Roles/{}", r.service_sid, r.sid),
    })
}

/// `POST /v2/Services/{ServiceSid}/Roles`
///
/// Creates a role. `201`; `400` with 50104 for an unknown permission.
async fn create(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Form(f): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let friendly_name = f.required("FriendlyName")?;
    let role_type = f.required("Type")?;
    let role_type = RoleType::parse(&role_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            50105,
            "Invalid role type: Type must be channel or deployment",
        )
    })?;
    let input = NewRole {
        friendly_name,
        role_type,
        permissions: f.all("Permission"),
    };
    let role = app.chat.create_role(caller.service(&service), input).await?;
    Ok((StatusCode::CREATED, Json(render(&role, &base))))
}

/// `GET /v2/Services/{ServiceSid}/Roles/{Sid}`
///
/// `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, sid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let role = app.chat.role(caller.service(&service), &sid).await?;
    Ok(Json(render(&role, &base)))
}

/// `GET /v2/Services/{ServiceSid}/Roles`
///
/// One page of roles (`PageSize` max 100). `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let rows = app.chat.list_roles(caller.service(&service), paging.req).await?;
    let path = format!("/v2/Services/{service}/Roles");
    Ok(page::render("roles", rows, &paging, &base, &path, &[], |buf, r| {
        serde_json::to_writer(buf, &render(r, &base))
    }))
}

/// `POST /v2/Services/{ServiceSid}/Roles/{Sid}`
///
/// Replaces the permission set. `200`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, sid)): Path<(String, String)>,
    Form(f): Form,
) -> Result<Json<Value>, ApiError> {
    let role = app
        .chat
        .update_role(caller.service(&service), &sid, &f.all("Permission"))
        .await?;
    Ok(Json(render(&role, &base)))
}

/// `DELETE /v2/Services/{ServiceSid}/Roles/{Sid}`
///
/// `204`; `409` while the role is a service default or held by users.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat.delete_role(caller.service(&service), &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}
