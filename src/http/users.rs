//! `/v2/Services/{ServiceSid}/Users`: create, fetch, list, update, delete (by SID or identity).

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
use crate::chat::{NewUser, UserPatch};
use crate::store::{Reachability, User};
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/Services/{service}/Users", get(list).post(create))
        .route(
            "/v2/Services/{service}/Users/{sid}",
            get(fetch).post(update).delete(delete),
        )
}

/// The user resource. `is_online`/`is_notifiable` are given on fetch when the service tracks
/// reachability, null otherwise (and always null in lists, as on Twilio).
fn render(u: &User, reachability: Option<Reachability>, base: &str) -> Value {
    let url = format!("{base}/v2/Services/{}/Users/{}", u.service_sid, u.sid);
    json!({
        "sid": u.sid,
        "account_sid": u.account_sid,
        "service_sid": u.service_sid,
        "role_sid": u.role_sid,
        "identity": u.identity,
        "attributes": u.attributes,
        "is_online": reachability.map(|r| r.online),
        "is_notifiable": reachability.map(|r| r.notifiable),
        "friendly_name": u.friendly_name,
        "joined_channels_count": u.joined_channels_count,
        "date_created": time::format(&u.date_created),
        "date_updated": time::format(&u.date_updated),
        "links": {
            "user_channels": format!("{url}/Channels"),
            "user_bindings": format!("{url}/Bindings"),
        },
        "url": url,
    })
}

/// `POST /v2/Services/{ServiceSid}/Users`
///
/// Creates a user. `201`; `409` with 50201 when the identity is taken.
async fn create(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Form(f): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let input = NewUser {
        identity: f.string("Identity").unwrap_or_default(),
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        friendly_name: f.string("FriendlyName"),
    };
    let user = app.chat.create_user(caller.service(&service), input).await?;
    Ok((StatusCode::CREATED, Json(render(&user, None, &base))))
}

/// `GET /v2/Services/{ServiceSid}/Users/{Sid}`
///
/// `{Sid}` is a US SID or the identity. `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, key)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let view = app.chat.user_view(caller.service(&service), &key).await?;
    Ok(Json(render(&view.user, view.reachability, &base)))
}

/// `GET /v2/Services/{ServiceSid}/Users`
///
/// One page of users (`PageSize` max 100). `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let rows = app.chat.list_users(caller.service(&service), paging.req).await?;
    let path = format!("/v2/Services/{service}/Users");
    Ok(page::render("users", rows, &paging, &base, &path, &[], |buf, u| {
        serde_json::to_writer(buf, &render(u, None, &base))
    }))
}

/// `POST /v2/Services/{ServiceSid}/Users/{Sid}`
///
/// Updates role, attributes or friendly name. `200`.
async fn update(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, key)): Path<(String, String)>,
    Form(f): Form,
) -> Result<Json<Value>, ApiError> {
    let patch = UserPatch {
        role_sid: f.string("RoleSid"),
        attributes: f.string("Attributes"),
        friendly_name: f.string("FriendlyName"),
    };
    let user = app.chat.update_user(caller.service(&service), &key, patch).await?;
    Ok(Json(render(&user, None, &base)))
}

/// `DELETE /v2/Services/{ServiceSid}/Users/{Sid}`
///
/// `204` or `404`.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat.delete_user(caller.service(&service), &key).await?;
    Ok(StatusCode::NO_CONTENT)
}
