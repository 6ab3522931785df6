//! `/v1/Configuration/Addresses`: the account's address configurations, stored and returned
//! (Banter connects to no carrier, so no conversation is ever auto-created from an address).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::chat::{AddressPatch, NewAddress};
use crate::http::extract::{Auth, BaseUrl, Form, Params, Query};
use crate::http::page::{self, Paging};
use crate::http::{ApiError, AppState};
use crate::store::AddressConfig;
use crate::time;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/Configuration/Addresses", get(list).post(create))
        .route(
            "/v1/Configuration/Addresses/{sid}",
            get(fetch).post(update).delete(delete),
        )
}

/// The address configuration resource.
fn render(a: &AddressConfig, base: &str) -> Value {
    let c = &a.auto_creation;
    json!({
        "sid": a.sid,
        "account_sid": a.account_sid,
        "type": a.address_type,
        "address": a.address,
        "friendly_name": a.friendly_name,
        "auto_creation": {
            "enabled": c.enabled,
            "type": c.kind,
            "conversation_service_sid": c.conversation_service_sid,
            "webhook_url": c.webhook_url,
            "webhook_method": c.webhook_method,
            "webhook_filters": c.webhook_filters,
            "studio_flow_sid": c.studio_flow_sid,
            "studio_retry_count": c.studio_retry_count,
        },
        "date_created": time::format(&a.date_created),
        "date_updated": time::format(&a.date_updated),
        "url": format!("{base}/v1/Configuration/Addresses/{}", a.sid),
        "address_country": a.address_country,
    })
}

/// `FriendlyName` and `AutoCreation.*`.
fn patch(f: &Params) -> Result<AddressPatch, ApiError> {
    Ok(AddressPatch {
        friendly_name: f.string("FriendlyName"),
        enabled: f.bool("AutoCreation.Enabled")?,
        kind: f.string("AutoCreation.Type"),
        conversation_service_sid: f.string("AutoCreation.ConversationServiceSid"),
        webhook_url: f.string("AutoCreation.WebhookUrl"),
        webhook_method: f.string("AutoCreation.WebhookMethod"),
        webhook_filters: f.list("AutoCreation.WebhookFilters"),
        studio_flow_sid: f.string("AutoCreation.StudioFlowSid"),
        studio_retry_count: f.int("AutoCreation.StudioRetryCount", 0, 3)?,
    })
}

/// `POST /v1/Configuration/Addresses`
///
/// `Type` and `Address` are required. `201`; `409` when the address is configured already.
async fn create(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let input = NewAddress {
        address_type: f.required("Type")?,
        address: f.required("Address")?,
        address_country: f.string("AddressCountry"),
        fields: patch(&f)?,
    };
    let a = app.chat.create_address(&auth.account_sid, input).await?;
    Ok((StatusCode::CREATED, Json(render(&a, &base))).into_response())
}

/// `GET /v1/Configuration/Addresses/{Sid}`
///
/// `{Sid}` is the IG SID or the address. `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let a = app.chat.address(&auth.account_sid, &key).await?;
    Ok(Json(render(&a, &base)).into_response())
}

/// `GET /v1/Configuration/Addresses`
///
/// One page; `Type` filters. `200`.
async fn list(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 100, false)?;
    let kind = q.string("Type");
    let rows = app
        .chat
        .list_addresses(&auth.account_sid, kind.as_deref(), paging.req)
        .await?;
    let filters: Vec<(&str, String)> = kind.into_iter().map(|t| ("Type", t)).collect();
    let path = "/v1/Configuration/Addresses";
    Ok(page::render(
        "address_configurations",
        rows,
        &paging,
        &base,
        path,
        &filters,
        |buf, a| serde_json::to_writer(buf, &render(a, &base)),
    ))
}

/// `POST /v1/Configuration/Addresses/{Sid}`
///
/// Updates the friendly name and auto creation. `200`.
async fn update(
    State(app): State<AppState>,
    auth: Auth,
    BaseUrl(base): BaseUrl,
    Path(key): Path<String>,
    Form(f): Form,
) -> Result<Response, ApiError> {
    let a = app.chat.update_address(&auth.account_sid, &key, patch(&f)?).await?;
    Ok(Json(render(&a, &base)).into_response())
}

/// `DELETE /v1/Configuration/Addresses/{Sid}`
///
/// `204` or `404`.
async fn delete(State(app): State<AppState>, auth: Auth, Path(key): Path<String>) -> Result<StatusCode, ApiError> {
    app.chat.delete_address(&auth.account_sid, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}
