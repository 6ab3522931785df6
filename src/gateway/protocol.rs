//! The frames this server sends, and the transport statuses they carry.
//!
//! A `status` is twilsock's transport status (`{code, status, description?, errorCode?}`),
//! not the HTTP status of a tunnelled request (that is `http_status`). The client reacts to
//! its code: on an `init` or `update` reply 401/403 means "denied, stop"; on a `close` 308
//! means "reconnect later", 406 "your frames are unreadable, stop", 410 "token expired".

use serde_json::{Map, Value, json};

use super::frame::Frame;

/// A twilsock transport status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The status code, HTTP-like.
    pub code: u16,
    /// Its name (`OK`, `UNAUTHORIZED`, …).
    pub status: &'static str,
    /// What happened, for people.
    pub description: Option<String>,
    /// A Twilio error number.
    pub error_code: Option<u32>,
}

impl Status {
    /// `200 OK`.
    #[must_use]
    pub fn ok() -> Self {
        Self::new(200, "OK", None, None)
    }

    /// A status with every field.
    #[must_use]
    pub fn new(code: u16, status: &'static str, description: Option<String>, error_code: Option<u32>) -> Self {
        Self {
            code,
            status,
            description,
            error_code,
        }
    }

    /// A refused Access Token (`init` or `update`): the code's own HTTP status (401 for
    /// 20101–20107), with Twilio's error number.
    #[must_use]
    pub fn refused(http: u16, error_code: u32, description: String) -> Self {
        let name = match http {
            401 => "UNAUTHORIZED",
            403 => "FORBIDDEN",
            429 => "TOO_MANY_REQUESTS",
            503 => "SERVICE_UNAVAILABLE",
            _ => "INTERNAL_SERVER_ERROR",
        };
        Self::new(http, name, Some(description), Some(error_code))
    }

    /// `close` for a frame that cannot be read: 406 / 51214. The JS client stops for good.
    #[must_use]
    pub fn not_acceptable(description: impl Into<String>) -> Self {
        Self::new(406, "NOT_ACCEPTABLE_MESSAGE", Some(description.into()), Some(51214))
    }

    /// The reply to an `update` with another identity's token: 403 / `UPDATE_IS_FORBIDDEN` / 51232
    /// (Twilio closes with 308, which the JS client takes as "reconnect with the new token").
    #[must_use]
    pub fn update_forbidden() -> Self {
        Self::new(
            403,
            "UPDATE_IS_FORBIDDEN",
            Some("Token from update is unauthorised or different from initial".to_owned()),
            Some(51232),
        )
    }

    /// `close` when the socket's token has expired: 410 / 51207.
    #[must_use]
    pub fn token_expired() -> Self {
        Self::new(410, "TOKEN_EXPIRED", Some("Token expired".to_owned()), Some(51207))
    }

    /// `close` asking the client to come back later (shutdown): 308, no error.
    #[must_use]
    pub fn offload(description: &str) -> Self {
        Self::new(308, "OFFLOAD", Some(description.to_owned()), None)
    }

    /// A request this server does not handle: 400.
    #[must_use]
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(400, "BAD_REQUEST", Some(description.into()), None)
    }

    fn to_json(&self) -> Value {
        let mut s = Map::new();
        s.insert("code".to_owned(), Value::from(self.code));
        s.insert("status".to_owned(), Value::from(self.status));
        if let Some(d) = &self.description {
            s.insert("description".to_owned(), Value::from(d.as_str()));
        }
        if let Some(e) = self.error_code {
            s.insert("errorCode".to_owned(), Value::from(e));
        }
        Value::Object(s)
    }
}

/// A header with `id`, `method` and `status`.
fn header(id: &str, method: &str, status: Option<&Status>) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("id".to_owned(), Value::from(id));
    h.insert("method".to_owned(), Value::from(method));
    if let Some(status) = status {
        h.insert("status".to_owned(), status.to_json());
    }
    h
}

/// A `reply` to the frame `id`, without payload.
#[must_use]
pub fn reply(id: &str, status: &Status) -> Frame {
    Frame::new(header(id, "reply", Some(status)), Vec::new())
}

/// A `reply` to the frame `id` whose extra header fields are `fields`.
#[must_use]
pub fn reply_with(id: &str, status: &Status, fields: Map<String, Value>) -> Frame {
    let mut h = header(id, "reply", Some(status));
    h.extend(fields);
    Frame::new(h, Vec::new())
}

/// The `reply` to a tunnelled request: transport 200, the HTTP status and headers, and the
/// JSON body as payload (none for an empty body).
#[must_use]
pub fn http_reply(id: &str, http_status: u16, headers: &[(String, String)], body: Option<&Value>) -> Frame {
    let mut h = header(id, "reply", Some(&Status::ok()));
    let reason = axum::http::StatusCode::from_u16(http_status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    h.insert("http_status".to_owned(), json!({"code": http_status, "status": reason}));
    let headers: Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    h.insert("http_headers".to_owned(), Value::Object(headers));
    let payload = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    h.insert("payload_type".to_owned(), Value::from("application/json"));
    Frame::new(h, payload)
}

/// A server-initiated `close` with `status` (the client acks it, then closes the socket).
#[must_use]
pub fn close(id: &str, status: &Status) -> Frame {
    Frame::new(header(id, "close", Some(status)), Vec::new())
}

/// A server `ping`; the client acks it with a `reply`.
#[must_use]
pub fn ping(id: &str) -> Frame {
    Frame::new(header(id, "ping", None), Vec::new())
}

/// A `client_update` telling the client its token expires soon.
#[must_use]
pub fn token_about_to_expire(id: &str, left_ms: u64) -> Frame {
    let mut h = header(id, "client_update", None);
    h.insert("client_update_type".to_owned(), Value::from("token_about_to_expire"));
    h.insert(
        "client_update_message".to_owned(),
        Value::from(format!(
            "Your token is about to expire. Time left: less than {left_ms} ms"
        )),
    );
    Frame::new(h, Vec::new())
}

/// A `notification` of `message_type` with a JSON payload (never empty: the Kotlin client
/// refuses empty notifications).
#[must_use]
pub fn notification(id: &str, message_type: &str, payload: &Value) -> Frame {
    let mut h = header(id, "notification", None);
    h.insert("message_type".to_owned(), Value::from(message_type));
    h.insert("notification_ctx_id".to_owned(), Value::from(""));
    h.insert("payload_type".to_owned(), Value::from("application/json"));
    Frame::new(h, payload.to_string().into_bytes())
}

/// A fresh frame id for frames this server starts: `TM` and 32 hex digits, as Twilio's.
#[must_use]
pub fn new_id() -> String {
    format!("TM{}", crate::sid::secret())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_render_like_twilios() {
        let f = reply("TM1", &Status::update_forbidden());
        assert_eq!(
            f.header["status"],
            json!({"code": 403, "status": "UPDATE_IS_FORBIDDEN",
                   "description": "Token from update is unauthorised or different from initial",
                   "errorCode": 51232})
        );
        assert_eq!(
            reply("TM2", &Status::ok()).header["status"],
            json!({"code": 200, "status": "OK"})
        );
    }

    #[test]
    fn a_tunnelled_reply_carries_http_status_and_a_json_payload() {
        let body = json!({"code": 20404});
        let f = http_reply(
            "TM3",
            404,
            &[("Content-Type".to_owned(), "application/json".to_owned())],
            Some(&body),
        );
        assert_eq!(f.header["status"]["code"], 200);
        assert_eq!(f.header["http_status"], json!({"code": 404, "status": "Not Found"}));
        assert_eq!(f.header["payload_type"], "application/json");
        let back = Frame::parse(&f.encode()).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&back.payload).unwrap(), body);
    }
}
