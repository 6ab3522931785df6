//! Extractors: who is calling, the Twilio form body, the query string, the public base URL.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use base64::Engine;

use super::AppState;
use super::error::ApiError;
use crate::chat::{Caller, ChatError};
use crate::time::{self, Timestamp};

/// The account's operator (Basic auth with `AC…:token` or `SK…:secret`), for account-level
/// resources and service configuration. An Access Token is refused here with 403 / 20403.
///
/// Attempts are refused with `429` while the client's address or the SID tried is throttled
/// for failing too often ([`super::throttle`]); failures are counted there.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The account every lookup is scoped by.
    pub account_sid: String,
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate(parts, app).await?;
        caller.require_operator()?;
        Ok(Self {
            account_sid: caller.account_sid,
        })
    }
}

/// Whoever calls: the operator (Basic auth, with `X-Twilio-Webhook-Enabled` read) or an end
/// user with an Access Token in `X-Twilio-Token` or `Authorization: Bearer` (a Banter
/// extension: any HTTP client may act as a token's identity on the service of its grant).
#[derive(Debug, Clone)]
pub struct Client(pub Caller);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, app).await.map(Self)
    }
}

/// The credential a request carries.
enum Credential<'a> {
    Basic(&'a str),
    Token(&'a str),
}

fn credential(parts: &Parts) -> Option<Credential<'_>> {
    if let Some(token) = parts.headers.get("x-twilio-token").and_then(|v| v.to_str().ok()) {
        return Some(Credential::Token(token.trim()));
    }
    let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    let (scheme, rest) = header.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("basic") {
        Some(Credential::Basic(rest.trim()))
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Credential::Token(rest.trim()))
    } else {
        None
    }
}

async fn authenticate(parts: &mut Parts, app: &AppState) -> Result<Caller, ApiError> {
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    match credential(parts).ok_or_else(ApiError::unauthenticated)? {
        Credential::Basic(encoded) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(ApiError::unauthenticated)?;
            let Some((user, pass)) = decoded.split_once(':') else {
                return Err(ApiError::unauthenticated());
            };
            app.throttle.check(address, user).map_err(ApiError::too_many_requests)?;
            let webhooks = WebhookEnabled::from_request_parts(parts, app).await?.0;
            match app.chat.authenticate(user, pass).await? {
                Some(account_sid) => Ok(Caller::operator(account_sid, webhooks)),
                None => {
                    app.throttle.failed(address, user);
                    Err(ApiError::unauthenticated())
                }
            }
        }
        Credential::Token(jwt) => {
            app.throttle
                .check(address, TOKEN)
                .map_err(ApiError::too_many_requests)?;
            match app.chat.verify_token(jwt).await {
                Ok(identity) => Ok(Caller::user(identity)),
                Err(e) => {
                    if e.status() == 401 {
                        app.throttle.failed(address, TOKEN);
                    }
                    Err(e.into())
                }
            }
        }
    }
}

/// What the throttle counts token failures under (they name no SID until verified).
const TOKEN: &str = "token";

/// Longest single parameter value accepted (bytes, once decoded). Every field has a tighter
/// limit of its own (`Body` 32 KiB, `Attributes` 16 KiB, names 256 characters…); this bound
/// holds for any parameter, including ones the API ignores.
pub const MAX_PARAM_BYTES: usize = 64 * 1024;

/// Decodes one `application/x-www-form-urlencoded` name (`of: None`) or value of `of`.
fn decode(raw: &[u8], of: Option<&str>) -> Result<String, ChatError> {
    let param = of.unwrap_or("name");
    let plus_as_space: std::borrow::Cow<'_, [u8]> = if raw.contains(&b'+') {
        raw.iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect::<Vec<u8>>()
            .into()
    } else {
        raw.into()
    };
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    if bytes.len() > MAX_PARAM_BYTES {
        return Err(ChatError::invalid(
            param,
            &format!("is too long (maximum {MAX_PARAM_BYTES} bytes)"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| ChatError::invalid(param, "must be valid UTF-8"))?;
    if text.contains('\0') {
        return Err(ChatError::invalid(param, "must not contain NUL characters"));
    }
    Ok(text)
}

/// Form or query parameters in order, with repeated keys kept (`Permission=a&Permission=b`).
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (`+` and `%20` both mean a space).
    ///
    /// # Errors
    /// 20001 for a name or value that is not UTF-8 once decoded, contains a NUL character, or
    /// is longer than [`MAX_PARAM_BYTES`]: nothing is replaced or truncated silently, and both
    /// backends see the same text (PostgreSQL cannot store NUL).
    pub fn parse(raw: &[u8]) -> Result<Self, ChatError> {
        let mut params = Vec::new();
        for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode(name, None)?;
            let value = decode(value, Some(&name))?;
            params.push((name, value));
        }
        Ok(Self(params))
    }

    /// The first value of `name`, if sent (an explicit empty value counts as sent).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of `name` as an owned string.
    #[must_use]
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// Every value of a repeated parameter.
    #[must_use]
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `Some(values)` when the parameter was sent at least once.
    #[must_use]
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        let values = self.all(name);
        (!values.is_empty()).then_some(values)
    }

    /// A required, non-empty parameter.
    ///
    /// # Errors
    /// 20001 naming the parameter.
    pub fn required(&self, name: &str) -> Result<String, ChatError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            Some(_) => Err(ChatError::invalid(name, "must not be empty")),
            None => Err(ChatError::missing(name)),
        }
    }

    /// A boolean in any of Twilio's spellings (`true`/`false`, any case).
    ///
    /// # Errors
    /// 20001 naming the parameter.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ChatError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ChatError::invalid(name, "must be true or false")),
        }
    }

    /// A decimal integer within `min..=max`.
    ///
    /// # Errors
    /// 20001 naming the parameter.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ChatError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                Ok(_) => Err(ChatError::invalid(name, &format!("must be between {min} and {max}"))),
                Err(_) => Err(ChatError::invalid(name, "must be an integer")),
            },
        }
    }

    /// An ISO 8601 / RFC 3339 date-time.
    ///
    /// # Errors
    /// 20001 naming the parameter.
    pub fn date(&self, name: &str) -> Result<Option<Timestamp>, ChatError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => time::parse(v)
                .map(Some)
                .map_err(|_| ChatError::invalid(name, "must be an ISO 8601 date-time")),
        }
    }
}

/// The form body of a POST.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Params);

impl FromRequest<AppState> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, ApiError> {
        // A whole-body deadline, not a per-chunk one: a body trickling in forever must end.
        let read = tokio::time::timeout(app.body_read_timeout, Bytes::from_request(req, app)).await;
        let Ok(read) = read else {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                20001,
                format!(
                    "Request body not received within {} s",
                    app.body_read_timeout.as_secs_f64()
                ),
            ));
        };
        let body = read.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    20001,
                    format!("Request body too large: the limit is {} bytes", app.max_body_bytes),
                )
            } else {
                ApiError::invalid("body", "could not be read")
            }
        })?;
        Ok(Self(Params::parse(&body)?))
    }
}

/// The query string.
#[derive(Debug, Clone, Default)]
pub struct Query(pub Params);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self(Params::parse(parts.uri.query().unwrap_or("").as_bytes())?))
    }
}

/// The public base URL (`https://chat.example.com`) used for `url`, `links` and paging URLs.
///
/// From `--public-url` when set, otherwise from the request's `Host` header, because the SDKs
/// follow `next_page_url` verbatim and must come back to the host they called.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if let Some(url) = &app.public_url {
            return Ok(Self(url.clone()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        let scheme = if app.tls { "https" } else { "http" };
        Ok(Self(format!("{scheme}://{host}")))
    }
}

/// `X-Twilio-Webhook-Enabled`: whether a REST write asks for post-event webhooks.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookEnabled(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for WebhookEnabled {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts
            .headers
            .get("x-twilio-webhook-enabled")
            .map(|v| v.to_str().unwrap_or(""))
        {
            None => Ok(Self(false)),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Self(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Self(false)),
            Some(_) => Err(ApiError::invalid("X-Twilio-Webhook-Enabled", "must be true or false")),
        }
    }
}
