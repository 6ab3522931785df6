//! Tunnelled HTTP: the requests the SDKs send inside `message` frames, and the table that
//! routes them.
//!
//! The SDK copies `host` and `path` out of the URL it built; the host may be Twilio's
//! (`aim.us1.twilio.com`, `cds.us1.twilio.com`, …) or whatever a link said, so routing looks
//! at the method and the path only. Each route is an [`Endpoint`]; later slices add theirs
//! with [`Routes::add`]. An answer is always a [`TunnelResponse`]: a status, headers and a
//! JSON body, rendered into the `reply` frame by the session.

use std::sync::Arc;

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::frame::Frame;
use crate::chat::{Caller, Chat, ChatError, TokenIdentity};

/// A tunnelled HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub struct TunnelRequest {
    /// `GET`, `POST`, `PUT` or `DELETE` (upper case).
    pub method: String,
    /// The host the SDK addressed (informational only).
    pub host: String,
    /// The path as sent (still percent-encoded, no query).
    pub path: String,
    /// The path's segments, percent-decoded.
    pub segments: Vec<String>,
    /// Query parameters, percent-decoded, in order; a repeated key appears once per value.
    pub params: Vec<(String, String)>,
    /// Request headers as the SDK set them.
    pub headers: Vec<(String, String)>,
    /// The body's MIME type (`payload_type`).
    pub content_type: Option<String>,
    /// The body (`DELETE` bodies are junk and must be ignored by endpoints).
    pub body: Vec<u8>,
}

impl TunnelRequest {
    /// Reads the `http_request` of a `message` frame.
    ///
    /// # Errors
    /// What is missing or malformed, as a sentence for the 400 reply.
    pub fn from_frame(frame: &Frame) -> Result<Self, String> {
        let req = frame
            .header
            .get("http_request")
            .and_then(Value::as_object)
            .ok_or("a message needs an http_request object")?;
        let text = |name: &str| req.get(name).and_then(Value::as_str);
        let method = text("method")
            .filter(|m| matches!(*m, "GET" | "POST" | "PUT" | "DELETE"))
            .ok_or("http_request.method must be GET, POST, PUT or DELETE")?;
        let path = text("path")
            .filter(|p| p.starts_with('/'))
            .ok_or("http_request.path must start with /")?;
        let segments = path
            .split('/')
            .skip(1)
            .map(|s| percent_decode_str(s).decode_utf8().map(|d| d.into_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "http_request.path does not decode to UTF-8")?;
        Ok(Self {
            method: method.to_owned(),
            host: text("host").unwrap_or_default().to_owned(),
            path: path.to_owned(),
            segments,
            params: params(req.get("params"))?,
            headers: string_map(req.get("headers")),
            content_type: frame.str_field("payload_type").map(str::to_owned),
            body: frame.payload.clone(),
        })
    }

    /// The first value of query parameter `name`.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// `params`: `{key: value | [values]}` with values still percent-encoded (twilsock splits the
/// query on `&` and `=` without decoding).
fn params(value: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let Some(map) = value.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_decode_str(&spaced)
            .decode_utf8()
            .map(|d| d.into_owned())
            .map_err(|_| format!("query parameter {s} does not decode to UTF-8"))
    };
    let mut out = Vec::new();
    for (key, v) in map {
        let values: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            let v = v.as_str().unwrap_or_default();
            out.push((decode(key)?, decode(v)?));
        }
    }
    Ok(out)
}

/// `{name: "value"}` pairs; values that are not strings are skipped.
fn string_map(value: Option<&Value>) -> Vec<(String, String)> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// A tunnelled HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub struct TunnelResponse {
    /// The HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The JSON body; `None` for an empty body.
    pub body: Option<Value>,
}

impl TunnelResponse {
    /// `status` with a JSON body.
    #[must_use]
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: Some(body),
        }
    }

    /// A domain error as Twilio's REST API renders it; a not-found names `path`.
    #[must_use]
    pub fn error(e: &ChatError, path: &str) -> Self {
        let mut message = e.message();
        if message.is_empty() {
            message = format!("The requested resource {path} was not found");
        }
        let status = e.status();
        Self::json(status, crate::http::error::twilio_body(status, e.code(), &message))
    }

    /// 404 / 20404 for a path no route serves.
    #[must_use]
    pub fn not_found(path: &str) -> Self {
        Self::error(&ChatError::NotFound, path)
    }
}

/// What an endpoint may use: the domain, who asks, and where Banter is reachable.
#[derive(Clone)]
pub struct TunnelContext {
    /// The domain.
    pub chat: Chat,
    /// The socket's end user, as the domain addresses them.
    pub caller: Caller,
    /// The verified token of the socket (replaced by `update`).
    pub token: Arc<TokenIdentity>,
    /// Banter's public base URL (`--public-url`, or the socket's scheme and `Host`), without a
    /// trailing slash; links in responses are absolute URLs under it.
    pub base_url: String,
    /// Where `POST /v4/Subscriptions` hands batches to the socket (none outside a socket).
    pub subscriptions: Option<super::sync::subscriptions::Mailbox>,
}

/// One tunnelled operation.
#[async_trait::async_trait]
pub trait Endpoint: Send + Sync {
    /// Answers `req`; `args` are the path segments the route's `{…}` placeholders matched.
    async fn call(&self, ctx: &TunnelContext, req: &TunnelRequest, args: &[String]) -> TunnelResponse;
}

/// One segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(&'static str),
    Placeholder,
}

struct Route {
    method: &'static str,
    parts: Vec<Part>,
    endpoint: Arc<dyn Endpoint>,
}

/// The routing table: method and path pattern → [`Endpoint`].
#[derive(Default)]
pub struct Routes {
    table: Vec<Route>,
}

impl Routes {
    /// An empty table (every request answers 404).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `method` requests whose path matches `pattern` (`/Client/v2/Services/{sid}`:
    /// literal segments compared exactly, `{…}` matching any one segment) to `endpoint`.
    #[must_use]
    pub fn add(mut self, method: &'static str, pattern: &'static str, endpoint: impl Endpoint + 'static) -> Self {
        let parts = pattern
            .split('/')
            .skip(1)
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    Part::Placeholder
                } else {
                    Part::Literal(s)
                }
            })
            .collect();
        self.table.push(Route {
            method,
            parts,
            endpoint: Arc::new(endpoint),
        });
        self
    }

    /// Answers `req` with the first matching route; 404 when no pattern matches the path,
    /// 405 when one does but not for this method.
    pub async fn dispatch(&self, ctx: &TunnelContext, req: &TunnelRequest) -> TunnelResponse {
        let mut path_known = false;
        for route in &self.table {
            let Some(args) = matches(&route.parts, &req.segments) else {
                continue;
            };
            path_known = true;
            if route.method == req.method {
                return route.endpoint.call(ctx, req, &args).await;
            }
        }
        if path_known {
            let e = ChatError::new(20004, "Method not allowed");
            return TunnelResponse::error(&e, &req.path);
        }
        TunnelResponse::not_found(&req.path)
    }
}

/// The placeholder values when `segments` match `parts`.
fn matches(parts: &[Part], segments: &[String]) -> Option<Vec<String>> {
    if parts.len() != segments.len() {
        return None;
    }
    let mut args = Vec::new();
    for (part, seg) in parts.iter().zip(segments) {
        match part {
            Part::Literal(l) if l == seg => {}
            Part::Literal(_) => return None,
            Part::Placeholder if seg.is_empty() => return None,
            Part::Placeholder => args.push(seg.clone()),
        }
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frame(http_request: Value) -> Frame {
        let header = json!({"id": "TM1", "method": "message", "http_request": http_request});
        Frame::new(header.as_object().cloned().unwrap(), b"null".to_vec())
    }

    #[test]
    fn a_request_is_read_with_decoded_segments_and_params() {
        let req = TunnelRequest::from_frame(&frame(json!({
            "host": "aim.us1.twilio.com", "path": "/Client/v2/Users/alice%40example.com", "method": "GET",
            "params": {"PageToken": "a%2Bb", "X": ["1", "2"]}, "headers": {"Content-Type": "application/json"}
        })))
        .unwrap();
        assert_eq!(req.segments, ["Client", "v2", "Users", "alice@example.com"]);
        assert_eq!(req.param("PageToken"), Some("a+b"));
        assert_eq!(req.params.iter().filter(|(k, _)| k == "X").count(), 2);
        assert_eq!(
            req.headers,
            [("Content-Type".to_owned(), "application/json".to_owned())]
        );
    }

    #[test]
    fn malformed_requests_are_refused() {
        for bad in [
            json!(null),
            json!({"path": "/x", "method": "PATCH"}),
            json!({"path": "x", "method": "GET"}),
            json!({"path": "/%ff", "method": "GET"}),
        ] {
            assert!(TunnelRequest::from_frame(&frame(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn patterns_match_whole_segments() {
        let parts = |p: &'static str| Routes::new().add("GET", p, Nothing).table.remove(0).parts;
        let segs = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let p = parts("/Client/v2/Services/{sid}/Users");
        assert_eq!(
            matches(&p, &segs(&["Client", "v2", "Services", "IS1", "Users"])),
            Some(vec!["IS1".to_owned()])
        );
        assert_eq!(matches(&p, &segs(&["Client", "v2", "Services", "", "Users"])), None);
        assert_eq!(matches(&p, &segs(&["Client", "v2", "Services", "IS1"])), None);
        assert_eq!(matches(&p, &segs(&["client", "v2", "Services", "IS1", "Users"])), None);
    }

    struct Nothing;

    #[async_trait::async_trait]
    impl Endpoint for Nothing {
        async fn call(&self, _: &TunnelContext, _: &TunnelRequest, _: &[String]) -> TunnelResponse {
            TunnelResponse::json(200, json!({}))
        }
    }
}
