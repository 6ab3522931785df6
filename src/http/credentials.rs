//! `/v2/Credentials`: push credentials of the account. Secrets are write-only.
//!
//! The same credentials are Conversations' `/v1/Credentials` (`conversations::credentials`
//! routes these handlers there): `url`s name the version requested.

use axum::Json;
use axum::Router;
use axum::extract::{MatchedPath, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::extract::{Auth, BaseUrl, Form, Params, Query};
use super::page::{self, Paging};
use super::{ApiError, AppState};
use crate::chat::{CredentialPatch, NewCredential};
use crate::store::Credential;
use crate::time;

pub(super) fn router() -> Router<AppState> {
    routes("v2")
}

/// The credential routes under `/{version}` (`v2` for Chat, `v1` for Conversations).
pub(super) fn routes(version: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("/{version}/Credentials"), get(list).post(create))
        .route(
            &format!("/{version}/Credentials/{{sid}}"),
            get(fetch).post(update).delete(delete),
        )
}

/// The API version a request was routed under (`v1` or `v2`).
fn version(matched: &MatchedPath) -> &str {
    matched.as_str().split('/').nth(1).unwrap_or("v2")
}

/// The credential resource; `sandbox` is the string `"True"`/`"False"` as Twilio sends it.
fn render(c: &Credential, base: &str, version: &str) -> Value {
    json!({
        "sid": c.sid,
        "account_sid": c.account_sid,
        "friendly_name": c.friendly_name,
        "type": c.credential_type,
        "sandbox": c.sandbox.map(|s| if s { "True" } else { "False" }),
        "date_created": time::format(&c.date_created),
        "date_updated": time::format(&c.date_updated),
        "url": format!("{base}/{version}/Credentials/{}", c.sid),
    })
}

fn patch(f: &Params) -> Result<CredentialPatch, ApiError> {
    Ok(CredentialPatch {
        friendly_name: f.string("FriendlyName"),
        certificate: f.string("Certificate"),
        private_key: f.string("PrivateKey"),
        sandbox: f.bool("Sandbox")?,
        api_key: f.string("ApiKey"),
        secret: f.string("Secret"),
    })
}

/// `POST /v2/Credentials`
///
/// Creates a credential of `Type` `apn`, `gcm` or `fcm`. `201`.
async fn create(
    State(app): State<AppState>,
    auth: Auth,
    matched: MatchedPath,
    BaseUrl(base): BaseUrl,
    Form(f): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let input = NewCredential {
        credential_type: f.required("Type")?,
        fields: patch(&f)?,
    };
    let credential = app.chat.create_credential(&auth.account_sid, input).await?;
    Ok((StatusCode::CREATED, Json(render(&credential, &base, version(&matched)))))
}

/// `GET /v2/Credentials/{Sid}`
///
/// `200` or `404`.
async fn fetch(
    State(app): State<AppState>,
    auth: Auth,
    matched: MatchedPath,
    BaseUrl(base): BaseUrl,
    Path(sid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let credential = app.chat.credential(&auth.account_sid, &sid).await?;
    Ok(Json(render(&credential, &base, version(&matched))))
}

/// `GET /v2/Credentials`
///
/// One page of credentials (`PageSize` max 1000). `200`.
async fn list(
    State(app): State<AppState>,
    auth: Auth,
    matched: MatchedPath,
    BaseUrl(base): BaseUrl,
    Query(q): Query,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&q, 1000, false)?;
    let rows = app.chat.list_credentials(&auth.account_sid, paging.req).await?;
    Ok(page::render(
        "credentials",
        rows,
        &paging,
        &base,
        &format!("/{}/Credentials", version(&matched)),
        &[],
        |buf, c| serde_json::to_writer(buf, &render(c, &base, version(&matched))),
    ))
}

/// `POST /v2/Credentials/{Sid}`
///
/// Updates any field but `Type`. `200`.
async fn update(
    State(app): State<AppState>,
    auth: Auth,
    matched: MatchedPath,
    BaseUrl(base): BaseUrl,
    Path(sid): Path<String>,
    Form(f): Form,
) -> Result<Json<Value>, ApiError> {
    let credential = app.chat.update_credential(&auth.account_sid, &sid, patch(&f)?).await?;
    Ok(Json(render(&credential, &base, version(&matched))))
}

/// `DELETE /v2/Credentials/{Sid}`
///
/// `204` or `404`.
async fn delete(State(app): State<AppState>, auth: Auth, Path(sid): Path<String>) -> Result<StatusCode, ApiError> {
    app.chat.delete_credential(&auth.account_sid, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}
