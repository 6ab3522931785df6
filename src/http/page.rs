//! List pages: `PageSize`/`Page`/`PageToken` in, Twilio's `meta` block out.
//!
//! Paging is keyset-based: the opaque `PageToken` carries the key of the last (or first) row
//! seen, so a page costs the same however deep it is. `Page` is only echoed back, as Twilio's
//! spec says it is "simply for client state". Filters are carried inside every URL, because
//! the SDKs follow `next_page_url` verbatim and add nothing.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;

use super::error::ApiError;
use super::extract::Params;
use crate::store::{Keyed, PageReq};

/// Characters left as-is in query values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Default `PageSize`.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct Paging {
    /// What to ask the store for.
    pub req: PageReq,
    /// `Page` as sent (echoed in `meta.page`).
    pub page: u32,
    /// `PageSize` after clamping.
    pub size: u32,
    /// `PageToken` as sent.
    pub token: Option<String>,
}

impl Paging {
    /// Reads `PageSize` (clamped to `max`), `Page` and `PageToken`.
    ///
    /// # Errors
    /// 20001 for a non-numeric size or page, or a token Banter did not issue.
    pub fn from_query(q: &Params, max: u32, desc: bool) -> Result<Self, ApiError> {
        let size = match q.int("PageSize", 1, i64::from(u32::MAX))? {
            Some(n) => u32::try_from(n).unwrap_or(max).min(max),
            None => DEFAULT_PAGE_SIZE.min(max),
        };
        let page = q
            .int("Page", 0, i64::from(u32::MAX))?
            .map_or(0, |n| u32::try_from(n).unwrap_or(0));
        let token = q.string("PageToken").filter(|t| !t.is_empty());
        let (after, before) = match token.as_deref() {
            None => (None, None),
            Some(t) => {
                PageReq::parse_token(t).ok_or_else(|| ApiError::invalid("PageToken", "is not a valid page token"))?
            }
        };
        Ok(Self {
            req: PageReq {
                after,
                before,
                limit: size,
                desc,
            },
            page,
            size,
            token,
        })
    }
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// Builds a list response, `{key: [...], meta: {...}}`, serialized straight into the body.
///
/// `rows` is what the store returned for `paging.req` (up to one row more than the page size,
/// which tells whether a further page exists). `filters` are the list's own query parameters.
/// `item` writes one item's JSON into the body, so no intermediate JSON tree is built.
pub fn render<T>(
    key: &str,
    mut rows: Vec<Keyed<T>>,
    paging: &Paging,
    base: &str,
    path: &str,
    filters: &[(&str, String)],
    item: impl Fn(&mut Vec<u8>, &T) -> serde_json::Result<()>,
) -> Response {
    let more = paging.req.trim(&mut rows);
    let (has_prev, has_next) = if paging.req.before.is_some() {
        (more, true)
    } else {
        (paging.page > 0 || paging.token.is_some(), more)
    };
    let mut prefix = format!("{base}{path}?");
    for (name, value) in filters {
        prefix.push_str(&format!("{name}={}&", enc(value)));
    }
    prefix.push_str(&format!("PageSize={}", paging.size));
    let url_for = |page: u32, token: Option<&str>| match token {
        Some(t) => format!("{prefix}&Page={page}&PageToken={}", enc(t)),
        None => format!("{prefix}&Page={page}"),
    };
    let next = match (has_next, rows.last()) {
        (true, Some(last)) => Some(url_for(paging.page + 1, Some(&PageReq::token_after(last.key)))),
        _ => None,
    };
    let previous = match (has_prev, rows.first()) {
        (true, Some(first)) => Some(url_for(
            paging.page.saturating_sub(1),
            Some(&PageReq::token_before(first.key)),
        )),
        _ => None,
    };
    let meta = json!({
        "page": paging.page,
        "page_size": paging.size,
        "first_page_url": url_for(0, None),
        "previous_page_url": previous,
        "url": url_for(paging.page, paging.token.as_deref()),
        "next_page_url": next,
        "key": key,
    });
    let mut body: Vec<u8> = Vec::with_capacity(512 + rows.len() * 768);
    body.extend_from_slice(b"{");
    let written = serde_json::to_writer(&mut body, key).and_then(|()| {
        body.extend_from_slice(b":[");
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            item(&mut body, &row.item)?;
        }
        body.extend_from_slice(b"],\"meta\":");
        serde_json::to_writer(&mut body, &meta)
    });
    if written.is_err() {
        return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 20500, "Internal error").into_response();
    }
    body.push(b'}');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn futures_body(resp: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec()
        })
    }

    fn paging(q: &str) -> Paging {
        Paging::from_query(&Params::parse(q.as_bytes()).unwrap(), 100, false).unwrap()
    }

    #[test]
    fn page_size_defaults_to_50_and_is_clamped() {
        assert_eq!(paging("").size, 50);
        assert_eq!(paging("PageSize=5000").size, 100);
        assert!(Paging::from_query(&Params::parse(b"PageSize=abc").unwrap(), 100, false).is_err());
        assert!(Paging::from_query(&Params::parse(b"PageToken=nope").unwrap(), 100, false).is_err());
    }

    #[test]
    fn render_links_next_page_with_filters_and_token() {
        let p = paging("PageSize=2");
        let rows: Vec<Keyed<i64>> = (1..=3).map(|k| Keyed { key: k, item: k }).collect();
        let resp = render(
            "things",
            rows,
            &p,
            "http://h",
            "/v2/Things",
            &[("Type", "a b".into())],
            |buf, i| serde_json::to_writer(buf, i),
        );
        let v: Value = serde_json::from_slice(&futures_body(resp)).unwrap();
        assert_eq!(v["things"], json!([1, 2]));
        assert_eq!(
            v["meta"]["next_page_url"],
            "http://h/v2/Things?Type=a%20b&PageSize=2&Page=1&PageToken=PTa2"
        );
        assert_eq!(v["meta"]["previous_page_url"], Value::Null);
        assert_eq!(
            v["meta"]["first_page_url"],
            "http://h/v2/Things?Type=a%20b&PageSize=2&Page=0"
        );
        assert_eq!(v["meta"]["key"], "things");
    }
}
