//! `/v2/Services/{ServiceSid}/Bindings` and `/v2/Services/{ServiceSid}/Users/{UserSid}/Bindings`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::extract::{BaseUrl, Client, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::store::{Binding, User};
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/Services/{service}/Bindings", get(list))
        .route("/v2/Services/{service}/Bindings/{sid}", get(fetch).delete(delete))
        .route("/v2/Services/{service}/Users/{user}/Bindings", get(list_for_user))
        .route(
            "/v2/Services/{service}/Users/{user}/Bindings/{sid}",
            get(fetch_for_user).delete(delete_for_user),
        )
}

/// A binding; with `user`, the user-scoped form (`user_sid`, user URL, no links).
fn render(b: &Binding, user: Option<&User>, base: &str) -> Value {
    let service_url = format!("{base}/v2/Services/{}", b.service_sid);
    let mut v = json!({
        "sid": b.sid,
        "account_sid": b.account_sid,
        "service_sid": b.service_sid,
        "date_created": time::format(&b.date_created),
        "date_updated": time::format(&b.date_updated),
        "endpoint": b.endpoint,
        "identity": b.identity,
        "binding_type": b.binding_type,
        "credential_sid": b.credential_sid,
        "message_types": b.message_types,
    });
    if let Some(u) = user {
        v["user_sid"] = json!(u.sid);
        v["url"] = json!(format!("{service_url}/Users/{}/Bindings/{}", u.sid, b.sid));
    } else {
        v["url"] = json!(format!("{service_url}/Bindings/{}", b.sid));
        let identity = percent_encoding::utf8_percent_encode(&b.identity, percent_encoding::NON_ALPHANUMERIC);
        v["links"] = json!({ "user": format!("{service_url}/Users/{identity}") });
    }
    v
}

/// `GET /v2/Services/{ServiceSid}/Bindings`
///
/// One page (`PageSize` max 50); `BindingType` and `Identity` (repeatable) filter. `200`.
async fn list(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path(service): Path<String>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 50, false)?;
    let (types, identities) = (q.all("BindingType"), q.all("Identity"));
    let rows = app
        .chat
        .list_bindings(caller.service(&service), &types, &identities, paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Bindings");
    let filters: Vec<(&str, String)> = types
        .into_iter()
        .map(|t| ("BindingType", t))
        .chain(identities.into_iter().map(|i| ("Identity", i)))
        .collect();
    Ok(page::render(
        "bindings",
        rows,
        &paging,
        &base,
        &path,
        &filters,
        |buf, b| serde_json::to_writer(buf, &render(b, None, &base)),
    ))
}

/// `GET /v2/Services/{ServiceSid}/Bindings/{Sid}`
///
/// `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, sid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, b) = app.chat.binding(caller.service(&service), None, &sid).await?;
    Ok(Json(render(&b, None, &base)))
}

/// `DELETE /v2/Services/{ServiceSid}/Bindings/{Sid}`
///
/// `204`.
async fn delete(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat.delete_binding(caller.service(&service), None, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v2/Services/{ServiceSid}/Users/{UserSid}/Bindings`
///
/// One page (`PageSize` max 50) of the user's bindings; `BindingType` filters. `200`.
async fn list_for_user(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, user)): Path<(String, String)>,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 50, false)?;
    let types = q.all("BindingType");
    let (u, rows) = app
        .chat
        .list_user_bindings(caller.service(&service), &user, &types, paging.req)
        .await?;
    let path = format!("/v2/Services/{service}/Users/{user}/Bindings");
    let filters: Vec<(&str, String)> = types.into_iter().map(|t| ("BindingType", t)).collect();
    Ok(page::render(
        "bindings",
        rows,
        &paging,
        &base,
        &path,
        &filters,
        |buf, b| serde_json::to_writer(buf, &render(b, Some(&u), &base)),
    ))
}

/// `GET /v2/Services/{ServiceSid}/Users/{UserSid}/Bindings/{Sid}`
///
/// `200` or `404`.
async fn fetch_for_user(
    State(app): State<AppState>,
    Client(caller): Client,
    BaseUrl(base): BaseUrl,
    Path((service, user, sid)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (u, b) = app.chat.binding(caller.service(&service), Some(&user), &sid).await?;
    Ok(Json(render(&b, u.as_ref(), &base)))
}

/// `DELETE /v2/Services/{ServiceSid}/Users/{UserSid}/Bindings/{Sid}`
///
/// `204`.
async fn delete_for_user(
    State(app): State<AppState>,
    Client(caller): Client,
    Path((service, user, sid)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    app.chat
        .delete_binding(caller.service(&service), Some(&user), &sid)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
