//! Push registrations through the socket (Twilio's "ers" host, `CLIENT_PROTOCOL.md` §6.3):
//! what `client.setPushRegistrationId('fcm'|'apn', token)` and its removals send. Each
//! registration is one push binding of the socket's user (the domain's `register_push`);
//! its SID is the registration `id` the SDK keeps.
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/registrations` `{channel_type, message_types, data: {registration_id}}` | 201 `{"id": "BS…", …}` |
//! | `DELETE /v1/registrations/{id}` | 204; 404 for another's or an unknown id |
//! | `DELETE /v1/registrations` `{binding_type, address}` | 204 |

use serde_json::{Value, json};

use super::tunnel::{Endpoint, Routes, TunnelContext, TunnelRequest, TunnelResponse};
use crate::chat::{ChatError, PushRegistration};
use crate::time;

/// The tunnelled routes this module serves.
#[must_use]
pub fn routes(routes: Routes) -> Routes {
    routes
        .add("POST", "/v1/registrations", Ers::Register)
        .add("DELETE", "/v1/registrations/{id}", Ers::Remove)
        .add("DELETE", "/v1/registrations", Ers::RemoveAddress)
}

/// One ERS operation.
#[derive(Debug, Clone, Copy)]
enum Ers {
    Register,
    Remove,
    RemoveAddress,
}

/// The request's JSON object body (an empty body, or `null`, is an empty object).
fn body(req: &TunnelRequest) -> Result<Value, ChatError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Null) => Ok(json!({})),
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(ChatError::invalid("body", "must be a JSON object")),
    }
}

/// A string field of `v`; absent, null or another type is `None`.
fn text<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

async fn run(op: Ers, ctx: &TunnelContext, req: &TunnelRequest, args: &[String]) -> Result<TunnelResponse, ChatError> {
    let at = ctx.caller.service(&ctx.token.service_sid);
    let body = body(req)?;
    match op {
        Ers::Register => {
            let channel_type = text(&body, "channel_type").ok_or_else(|| ChatError::missing("channel_type"))?;
            let address = body
                .get("data")
                .and_then(|d| text(d, "registration_id"))
                .ok_or_else(|| ChatError::missing("data.registration_id"))?;
            let message_types = match body.get("message_types") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                Some(_) => return Err(ChatError::invalid("message_types", "must be a list of strings")),
            };
            let reg = PushRegistration {
                channel_type: channel_type.to_owned(),
                address: address.to_owned(),
                message_types,
            };
            let b = ctx.chat.register_push(at, reg).await?;
            Ok(TunnelResponse::json(
                201,
                json!({
                    "id": b.sid,
                    "identity": b.identity,
                    "channel_type": b.binding_type,
                    "address": b.endpoint,
                    "message_types": b.message_types,
                    "date_created": time::format(&b.date_created),
                }),
            ))
        }
        Ers::Remove => {
            let [id] = args else {
                return Err(ChatError::NotFound);
            };
            ctx.chat.unregister_push(at, id).await?;
            Ok(no_content())
        }
        Ers::RemoveAddress => {
            let binding_type = text(&body, "binding_type").ok_or_else(|| ChatError::missing("binding_type"))?;
            let address = text(&body, "address").ok_or_else(|| ChatError::missing("address"))?;
            ctx.chat.unregister_push_address(at, binding_type, address).await?;
            Ok(no_content())
        }
    }
}

fn no_content() -> TunnelResponse {
    TunnelResponse {
        status: 204,
        headers: Vec::new(),
        body: None,
    }
}

#[async_trait::async_trait]
impl Endpoint for Ers {
    async fn call(&self, ctx: &TunnelContext, req: &TunnelRequest, args: &[String]) -> TunnelResponse {
        match run(*self, ctx, req, args).await {
            Ok(answer) => answer,
            Err(e) => TunnelResponse::error(&e, &req.path),
        }
    }
}
