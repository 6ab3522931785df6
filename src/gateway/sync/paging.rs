//! Paging of map and list items, for both generations of the Sync client
//! (CLIENT_PROTOCOL.md §5.1): twilio-sync ≥ 3.4 asks by position (`From`, inclusive, with
//! `PageSize` and `Order`); twilio-sync 3.0.6 sends only the `PageToken` of the previous
//! answer, so a token carries the order, the page size and the position itself.
//!
//! `meta.next_token` / `meta.previous_token` are present exactly when items exist after the
//! last / before the first item returned, in the requested order.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chat::ChatError;
use crate::gateway::tunnel::TunnelRequest;

/// Items per page when the client names no size.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// Largest page served.
const MAX_PAGE_SIZE: u32 = 1000;

/// What a page token holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Token {
    /// Descending order.
    d: bool,
    /// The position (map key or list index as text) the page starts from, exclusive.
    f: String,
    /// Page size.
    n: u32,
}

/// A parsed item request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemQuery {
    /// `Key=`: one map item.
    pub key: Option<String>,
    /// `Index=`: one list item.
    pub index: Option<i64>,
    /// Where the page starts.
    pub from: Option<String>,
    /// Whether `from` itself is excluded (pages continued by token).
    pub exclusive: bool,
    /// Descending order.
    pub desc: bool,
    /// Page size (bounded).
    pub page_size: u32,
}

/// A page of items (key or index as text, data) and its continuation tokens.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The items, in the requested order.
    pub items: Vec<(String, Value)>,
    /// Present when items exist before the first one.
    pub previous_token: Option<String>,
    /// Present when items exist after the last one.
    pub next_token: Option<String>,
}

fn invalid(what: &str) -> ChatError {
    ChatError::invalid_code(20001, format!("Invalid {what}"))
}

impl ItemQuery {
    /// Reads `Key`, `Index`, `From`, `PageSize`, `Order` and `PageToken`.
    ///
    /// # Errors
    /// 400 / 20001 for a malformed value.
    pub fn from_request(req: &TunnelRequest) -> Result<Self, ChatError> {
        if let Some(t) = req.param("PageToken").filter(|t| !t.is_empty()) {
            let token: Token = URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .ok_or_else(|| invalid("PageToken"))?;
            return Ok(Self {
                from: Some(token.f),
                exclusive: true,
                desc: token.d,
                page_size: token.n.clamp(1, MAX_PAGE_SIZE),
                ..Self::default()
            });
        }
        let index = match req.param("Index") {
            Some(i) => Some(i.parse().map_err(|_| invalid("Index"))?),
            None => None,
        };
        let desc = match req.param("Order") {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(invalid("Order")),
        };
        let page_size = match req.param("PageSize") {
            Some(n) => n.parse::<u32>().map_err(|_| invalid("PageSize"))?,
            None => DEFAULT_PAGE_SIZE,
        };
        Ok(Self {
            key: req.param("Key").map(str::to_owned),
            index,
            from: req.param("From").filter(|f| !f.is_empty()).map(str::to_owned),
            exclusive: req.param("Bounds") == Some("exclusive"),
            desc,
            page_size: page_size.clamp(1, MAX_PAGE_SIZE),
        })
    }

    /// The page size.
    #[must_use]
    pub fn size(&self) -> u32 {
        self.page_size
    }

    /// `from` as a list index.
    ///
    /// # Errors
    /// 400 / 20001 when it is not a number.
    pub fn from_index(&self) -> Result<Option<i64>, ChatError> {
        self.from
            .as_deref()
            .map(|f| f.parse().map_err(|_| invalid("From")))
            .transpose()
    }

    fn token(&self, desc: bool, from: &str) -> String {
        let t = Token {
            d: desc,
            f: from.to_owned(),
            n: self.page_size,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&t).unwrap_or_default())
    }
}

impl Page {
    /// A page of `items` for `q`; `before` / `more` tell whether items exist before the first
    /// and after the last one.
    #[must_use]
    pub fn new(items: Vec<(String, Value)>, q: &ItemQuery, before: bool, more: bool) -> Self {
        let next_token = match items.last() {
            Some((last, _)) if more => Some(q.token(q.desc, last)),
            _ => None,
        };
        let previous_token = match items.first() {
            Some((first, _)) if before => Some(q.token(!q.desc, first)),
            _ => None,
        };
        Self {
            items,
            previous_token,
            next_token,
        }
    }
}

/// The page `q` asks for out of a whole map (`all`, sorted by key).
#[must_use]
pub fn page_of_map(all: Vec<(String, Value)>, q: &ItemQuery) -> Page {
    if let Some(key) = &q.key {
        let items = all.into_iter().filter(|(k, _)| k == key).collect();
        return Page {
            items,
            ..Page::default()
        };
    }
    let mut ordered = all;
    if q.desc {
        ordered.reverse();
    }
    let in_range = |k: &str| match &q.from {
        None => true,
        Some(f) => match (q.desc, q.exclusive) {
            (false, false) => k >= f.as_str(),
            (false, true) => k > f.as_str(),
            (true, false) => k <= f.as_str(),
            (true, true) => k < f.as_str(),
        },
    };
    let start = ordered.iter().position(|(k, _)| in_range(k)).unwrap_or(ordered.len());
    let size = q.page_size as usize;
    let before = start > 0;
    let more = ordered.len() > start + size;
    let items = ordered.into_iter().skip(start).take(size).collect();
    Page::new(items, q, before, more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(keys: &[&str]) -> Vec<(String, Value)> {
        keys.iter().map(|k| ((*k).to_owned(), json!({}))).collect()
    }

    fn keys(p: &Page) -> Vec<&str> {
        p.items.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn map_pages_follow_from_order_and_tokens() {
        let all = map(&["a", "b", "c", "d", "e"]);
        let q = ItemQuery {
            page_size: 2,
            ..ItemQuery::default()
        };
        let p = page_of_map(all.clone(), &q);
        assert_eq!(keys(&p), ["a", "b"]);
        assert!(p.previous_token.is_none() && p.next_token.is_some());

        let q = ItemQuery {
            from: Some("b".into()),
            page_size: 2,
            ..ItemQuery::default()
        };
        let p = page_of_map(all.clone(), &q);
        assert_eq!(keys(&p), ["b", "c"]);
        assert!(p.previous_token.is_some() && p.next_token.is_some());

        // The token continues after the last item, in the same order and size.
        let token = p.next_token.clone().unwrap();
        let t: Token = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&token).unwrap()).unwrap();
        let q = ItemQuery {
            from: Some(t.f),
            exclusive: true,
            desc: t.d,
            page_size: t.n,
            ..ItemQuery::default()
        };
        let p = page_of_map(all.clone(), &q);
        assert_eq!(keys(&p), ["d", "e"]);
        assert!(p.next_token.is_none());

        let q = ItemQuery {
            from: Some("c".into()),
            desc: true,
            page_size: 10,
            ..ItemQuery::default()
        };
        let p = page_of_map(all.clone(), &q);
        assert_eq!(keys(&p), ["c", "b", "a"]);
        assert!(p.previous_token.is_some() && p.next_token.is_none());

        let q = ItemQuery {
            key: Some("d".into()),
            ..ItemQuery::default()
        };
        assert_eq!(keys(&page_of_map(all, &q)), ["d"]);
    }
}
