//! Errors as Twilio renders them: `{"code", "message", "more_info", "status"}`.
//!
//! Every failure a client can see goes through [`ApiError`]; axum's own plain-text rejections
//! never reach a client. Not-found messages name the request path the way Twilio does
//! (`The requested resource /Services/IS…/Users/alice was not found`, without `/v2`), which the
//! [`add_not_found_path`] middleware fills in because only it sees the original URI.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::chat::ChatError;

/// An error response in Twilio's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Twilio error code.
    pub code: u32,
    /// Human-readable message.
    pub message: String,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

/// Marks a 404 whose message the middleware completes with the request path.
#[derive(Clone, Copy)]
struct NeedsPath;

impl ApiError {
    /// Builds an error.
    #[must_use]
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429 / 20429 with `Retry-After` (whole seconds, at least 1).
    #[must_use]
    pub fn too_many_requests(retry_after: std::time::Duration) -> Self {
        let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests")
        }
    }

    /// 404 / 20404 for the request path.
    #[must_use]
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, 20404, String::new())
    }

    /// 401 / 20003.
    #[must_use]
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
    }

    /// 400 / 20001 naming a parameter.
    #[must_use]
    pub fn invalid(param: &str, reason: &str) -> Self {
        ChatError::invalid(param, reason).into()
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, e.code(), e.message())
    }
}

/// Twilio's JSON error body (`{"code", "message", "more_info", "status"}`), also what
/// tunnelled requests on the client socket answer with.
#[must_use]
pub fn twilio_body(status: u16, code: u32, message: &str) -> serde_json::Value {
    json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
}

/// The JSON body for an error.
fn body(status: StatusCode, code: u32, message: &str) -> String {
    twilio_body(status.as_u16(), code, message).to_string()
}

fn json_response(status: StatusCode, text: String) -> Response {
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = json_response(self.status, body(self.status, self.code, &self.message));
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Twilio API\""),
            );
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT
        ) {
            // Credentials are checked before the body is read, and a body that timed out was
            // not read to its end. A connection whose request body was not read cannot be
            // reused, so say so: without this a client that sent its body after the headers
            // reuses the connection and sees it closed instead of this answer.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.code == 20404 && self.message.is_empty() {
            resp.extensions_mut().insert(NeedsPath);
        }
        resp
    }
}

/// Completes not-found messages with the request path (without the `/v2` prefix).
///
/// A path whose segments do not decode to UTF-8 text without NUL characters names nothing
/// that can exist (every SID, name and identity is such text), so it is a 404 before any
/// handler or database sees it.
pub async fn add_not_found_path(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let usable = percent_encoding::percent_decode_str(&path)
        .decode_utf8()
        .is_ok_and(|p| !p.contains('\0'));
    if !usable {
        let message = "The requested resource was not found";
        return json_response(StatusCode::NOT_FOUND, body(StatusCode::NOT_FOUND, 20404, message));
    }
    let resp = next.run(req).await;
    if resp.extensions().get::<NeedsPath>().is_none() {
        return resp;
    }
    let shown = ["/v1", "/v2", "/v3"]
        .iter()
        .find_map(|v| path.strip_prefix(v))
        .unwrap_or(&path);
    let message = format!("The requested resource {shown} was not found");
    json_response(StatusCode::NOT_FOUND, body(StatusCode::NOT_FOUND, 20404, &message))
}

/// Router fallback: unknown paths are Twilio 404s.
pub async fn fallback() -> ApiError {
    ApiError::not_found()
}

/// Known path, wrong method: 405 / 20004.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed")
}
