//! What a handler reads from a tunnelled request: its caller and path, a JSON (or, for typing,
//! form) body, and the page it asks for.
//!
//! Parsing only: the fields' meaning and limits are the domain's. A body that is not what the
//! SDKs send (not a JSON object, a field of the wrong JSON type) is 400 / 20001.

use serde_json::{Map, Value};

use super::super::tunnel::{TunnelContext, TunnelRequest};
use crate::chat::{ChatError, ServiceRef};
use crate::store::{Keyed, PageReq};

/// One call of an aim route: the socket's context, the request, and the path arguments after
/// the service SID (which the router has already checked against the token's service).
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    /// The socket's context.
    pub(super) ctx: &'a TunnelContext,
    /// The request.
    pub(super) req: &'a TunnelRequest,
    /// The `{…}` path arguments after `{IS}`, percent-decoded.
    pub(super) args: &'a [String],
}

impl<'a> Call<'a> {
    /// The token's service, as the socket's end user addresses it.
    pub(super) fn service(&self) -> ServiceRef<'a> {
        self.ctx.caller.service(&self.ctx.token.service_sid)
    }

    /// The token's identity ("me").
    pub(super) fn me(&self) -> &'a str {
        &self.ctx.token.identity
    }

    /// `{base}/Client/v2/Services/{IS}`: the prefix of every link.
    pub(super) fn links(&self) -> String {
        format!(
            "{}/Client/v2/Services/{}",
            self.ctx.base_url, self.ctx.token.service_sid
        )
    }

    /// The body as a JSON object.
    ///
    /// # Errors
    /// 400 / 20001 when it is not one.
    pub(super) fn json(&self) -> Result<Body, ChatError> {
        match serde_json::from_slice::<Value>(&self.req.body) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            _ => Err(ChatError::new(
                20001,
                "Invalid parameter: the body must be a JSON object",
            )),
        }
    }

    /// The value of `name` in an `application/x-www-form-urlencoded` body.
    pub(super) fn form_value(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(&self.req.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The page the `PageToken` query parameter asks for, `size` rows long.
    ///
    /// # Errors
    /// 400 / 20001 for a token Banter did not issue.
    pub(super) fn page(&self, size: u32) -> Result<PageReq, ChatError> {
        let (after, before) = match self.req.param("PageToken").filter(|t| !t.is_empty()) {
            None => (None, None),
            Some(t) => {
                PageReq::parse_token(t).ok_or_else(|| ChatError::invalid("PageToken", "is not a valid page token"))?
            }
        };
        Ok(PageReq {
            after,
            before,
            limit: size,
            desc: false,
        })
    }
}

/// A JSON request body.
pub(super) struct Body(Map<String, Value>);

impl Body {
    /// Whether `name` was sent (even as `null`).
    pub(super) fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// A string field; `null` counts as absent.
    ///
    /// # Errors
    /// 400 / 20001 for another JSON type.
    pub(super) fn string(&self, name: &str) -> Result<Option<String>, ChatError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ChatError::invalid(name, "must be a string")),
        }
    }

    /// A nullable integer field: absent → `None`, `null` → `Some(None)`.
    ///
    /// # Errors
    /// 400 / 20001 for another JSON type.
    pub(super) fn nullable_int(&self, name: &str) -> Result<Option<Option<i64>>, ChatError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(v) => v
                .as_i64()
                .map(|n| Some(Some(n)))
                .ok_or_else(|| ChatError::invalid(name, "must be an integer or null")),
        }
    }

    /// A list of strings; `null` counts as absent.
    ///
    /// # Errors
    /// 400 / 20001 for anything else.
    pub(super) fn strings(&self, name: &str) -> Result<Vec<String>, ChatError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ChatError::invalid(name, "must be a list of strings")),
            Some(_) => Err(ChatError::invalid(name, "must be a list of strings")),
        }
    }
}

/// Trims what the store returned for `req` (up to one row more than the page) to the page, and
/// gives the tokens of the previous and next pages.
pub(super) fn finish<T>(rows: &mut Vec<Keyed<T>>, req: &PageReq) -> (Option<String>, Option<String>) {
    let more = req.trim(rows);
    let (has_prev, has_next) = if req.before.is_some() {
        (more, true)
    } else {
        (req.after.is_some(), more)
    };
    let prev = has_prev
        .then(|| rows.first().map(|r| PageReq::token_before(r.key)))
        .flatten();
    let next = has_next
        .then(|| rows.last().map(|r| PageReq::token_after(r.key)))
        .flatten();
    (prev, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(keys: std::ops::RangeInclusive<i64>) -> Vec<Keyed<i64>> {
        keys.map(|k| Keyed { key: k, item: k }).collect()
    }

    #[test]
    fn pages_link_forward_and_back_with_opaque_tokens() {
        let first = PageReq {
            after: None,
            before: None,
            limit: 2,
            desc: false,
        };
        let mut r = rows(1..=3);
        assert_eq!(finish(&mut r, &first), (None, Some("PTa2".to_owned())));
        assert_eq!(r.len(), 2);
        let (after, before) = PageReq::parse_token("PTa2").unwrap();
        let second = PageReq { after, before, ..first };
        let mut r = rows(3..=3);
        assert_eq!(finish(&mut r, &second), (Some("PTb3".to_owned()), None));
        assert_eq!(PageReq::parse_token("PTb3"), Some((None, Some(3))));
        assert_eq!(PageReq::parse_token("nope"), None);
    }
}
