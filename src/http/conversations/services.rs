//! `/v1/Services`: Conversations services, which are the account's Chat services.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::http::extract::{Auth, BaseUrl, Form, Query};
use crate::http::page::{self, Paging};
use crate::http::{ApiError, AppState};
use crate::store::Service;
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/Services", get(list).post(create))
        .route("/v1/Services/{service}", get(fetch).delete(delete))
}

/// The Conversations service resource.
fn render(s: &Service, base: &str) -> Value {
    let url = format!("{base}/v1/Services/{}", s.sid);
    json!({
        "account_sid": s.account_sid,
        "sid": s.sid,
        "friendly_name": s.friendly_name,
        "date_created": time::format(&s.date_created),
        "date_updated": time::format(&s.date_updated),
        "url": url,
        "links": {
            "conversations": format!("{url}/Conversations"),
            "users": format!("{url}/Users"),
            "roles": format!("{url}/Roles"),
            "bindings": format!("{url}/Bindings"),
            "configuration": format!("{url}/Configuration"),
            "participant_conversations": format!("{url}/ParticipantConversations"),
        },
    })
}

/// `POST /v1/Services`
///
/// Creates a service (a Chat service with its default roles). `201`.
async fn create(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let name = f.required("FriendlyName")?;
    let service = app.chat.create_service(&auth.account_sid, &name).await?;
    Ok((StatusCode::CREATED, Json(render(&service, &base))).into_response())
}

/// `GET /v1/Services/{Sid}`
///
/// `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Path(sid): Path<String>,
) -> Result<Response, ApiError> {
    let service = app.chat.service(&auth.account_sid, &sid).await?;
    Ok(Json(render(&service, &base)).into_response())
}

/// `GET /v1/Services`
///
/// One page of the account's services. `200`.
async fn list(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let rows = app.chat.list_services(&auth.account_sid, paging.req).await?;
    Ok(page::render(
        "services",
        rows,
        &paging,
        &base,
        "/v1/Services",
        &[],
        |buf, s| serde_json::to_writer(buf, &render(s, &base)),
    ))
}

/// `DELETE /v1/Services/{Sid}`
///
/// Deletes the service and everything in it. `204` or `404`.
async fn delete(State(app): State<AppState>, auth: Auth, Path(sid): Path<String>) -> Result<StatusCode, ApiError> {
    app.chat.delete_service(&auth.account_sid, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}
