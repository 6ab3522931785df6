//! The Sync reads (CLIENT_PROTOCOL.md §5.1–5.2): descriptors of documents, maps and lists, and
//! their items, by key or index or a page at a time.
//!
//! Every read goes through the domain operation that reads the same data over REST as the
//! socket's user, so the same permissions apply. Event ids are positions of the service's
//! change log: a descriptor or item reports the position read *before* its data, so every
//! change after it reaches the client as an event with a greater id.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::names::{ObjectKind, SyncObject};
use super::paging::{ItemQuery, Page, page_of_map};
use super::render;
use crate::chat::{ChannelView, ChatError};
use crate::gateway::tunnel::{Endpoint, Routes, TunnelContext, TunnelRequest, TunnelResponse};
use crate::store::{Keyed, Message, PageReq};

/// The tunnelled routes this module serves.
#[must_use]
pub fn routes(routes: Routes) -> Routes {
    routes
        .add("GET", "/v3/Documents/{id}", Descriptor("document"))
        .add("GET", "/v3/Maps/{id}", Descriptor("map"))
        .add("GET", "/v3/Lists/{id}", Descriptor("list"))
        .add("GET", "/v3/Maps/{id}/Items", Items("map"))
        .add("GET", "/v3/Lists/{id}/Items", Items("list"))
}

/// Resolves `id` as an object of Sync type `object_type`; 404 / 54100-style not found
/// otherwise.
fn resolve(id: &str, object_type: &str) -> Result<SyncObject, ChatError> {
    SyncObject::parse(id)
        .filter(|o| o.kind.object_type() == object_type)
        .ok_or(ChatError::NotFound)
}

/// The absolute URL of an object.
fn object_url(ctx: &TunnelContext, o: &SyncObject) -> String {
    let collection = match o.kind.object_type() {
        "document" => "Documents",
        "list" => "Lists",
        _ => "Maps",
    };
    format!("{}/v3/{collection}/{}", ctx.base_url, o.sid())
}

/// A descriptor: `sid`, `unique_name`, `url`, `revision`, `last_event_id`, dates and, for maps
/// and lists, `links.items`.
fn descriptor(ctx: &TunnelContext, o: &SyncObject, position: i64) -> Value {
    let url = object_url(ctx, o);
    let now = render::date(&crate::time::now());
    let mut d = json!({
        "sid": o.sid(),
        "unique_name": o.unique_name(),
        "url": url,
        "revision": format!("{position:x}"),
        "last_event_id": position,
        "date_created": now,
        "date_updated": now,
        "date_expires": null,
    });
    if o.kind.object_type() != "document" {
        d["links"] = json!({"items": format!("{url}/Items"), "context": format!("{url}/Context")});
    }
    d
}

/// `GET /v3/Documents|Maps|Lists/{id}` (`?Include=items` for maps: every item).
struct Descriptor(&'static str);

#[async_trait::async_trait]
impl Endpoint for Descriptor {
    async fn call(&self, ctx: &TunnelContext, req: &TunnelRequest, args: &[String]) -> TunnelResponse {
        let id = args.first().map_or("", String::as_str);
        let include = req.param("Include") == Some("items");
        match describe(ctx, id, self.0, include).await {
            Ok(body) => TunnelResponse::json(200, body),
            Err(e) => TunnelResponse::error(&e, &req.path),
        }
    }
}

async fn describe(ctx: &TunnelContext, id: &str, object_type: &str, include: bool) -> Result<Value, ChatError> {
    let o = resolve(id, object_type)?;
    let position = head(ctx).await?;
    let mut d = descriptor(ctx, &o, position);
    match o.kind {
        ObjectKind::Channel => {
            let view = channel_view(ctx, &o).await?;
            d["data"] = render::channel_doc(&view);
            d["date_created"] = json!(render::date(&view.channel.date_created));
            d["date_updated"] = json!(render::date(&view.channel.date_updated));
        }
        ObjectKind::Messages => {
            // The same check as reading the messages over REST.
            messages(
                ctx,
                &o,
                PageReq {
                    after: None,
                    before: None,
                    limit: 1,
                    desc: true,
                },
            )
            .await?;
        }
        _ => {
            let items = map_items(ctx, &o).await?;
            if include {
                let rendered: Vec<Value> = items.iter().map(|(k, v)| item(ctx, &o, k, v, position)).collect();
                d["items"] = Value::Array(rendered);
            }
        }
    }
    Ok(d)
}

/// `GET /v3/Maps|Lists/{id}/Items` with `Key=`/`Index=` (one item or none), or a page:
/// `From` (inclusive), `PageSize`, `Order=asc|desc`, or `PageToken`.
struct Items(&'static str);

#[async_trait::async_trait]
impl Endpoint for Items {
    async fn call(&self, ctx: &TunnelContext, req: &TunnelRequest, args: &[String]) -> TunnelResponse {
        let id = args.first().map_or("", String::as_str);
        match items(ctx, req, id, self.0).await {
            Ok(body) => TunnelResponse::json(200, body),
            Err(e) => TunnelResponse::error(&e, &req.path),
        }
    }
}

async fn items(ctx: &TunnelContext, req: &TunnelRequest, id: &str, object_type: &str) -> Result<Value, ChatError> {
    let o = resolve(id, object_type)?;
    let query = ItemQuery::from_request(req)?;
    let position = head(ctx).await?;
    let page = if o.kind == ObjectKind::Messages {
        list_page(ctx, &o, &query).await?
    } else {
        let all = map_items(ctx, &o).await?;
        page_of_map(all, &query)
    };
    let rendered: Vec<Value> = page.items.iter().map(|(k, v)| item(ctx, &o, k, v, position)).collect();
    Ok(json!({
        "items": rendered,
        "meta": {"previous_token": page.previous_token, "next_token": page.next_token},
    }))
}

/// One item: `key` (maps) or `index` (lists), the object's SID, url, revision and event id.
fn item(ctx: &TunnelContext, o: &SyncObject, key: &str, data: &Value, position: i64) -> Value {
    let url = format!("{}/Items/{key}", object_url(ctx, o));
    let now = render::date(&crate::time::now());
    let mut it = json!({
        "url": url,
        "revision": format!("{position:x}"),
        "last_event_id": position,
        "date_created": now,
        "date_updated": now,
        "date_expires": null,
        "data": data,
    });
    if o.kind == ObjectKind::Messages {
        it["index"] = json!(key.parse::<i64>().unwrap_or_default());
        it["list_sid"] = json!(o.sid());
    } else {
        it["key"] = json!(key);
        it["map_sid"] = json!(o.sid());
    }
    it
}

/// Checks that the socket's user may read `o`, as the domain decides for the same data over
/// REST (a subscription is a read that goes on).
///
/// # Errors
/// The domain's refusal (404 for what the user may not see, 403 / 50107 for another user's
/// channels).
pub async fn authorize(ctx: &TunnelContext, o: &SyncObject) -> Result<(), ChatError> {
    let service = ctx.caller.service(&ctx.token.service_sid);
    let one = PageReq {
        after: None,
        before: None,
        limit: 1,
        desc: false,
    };
    match o.kind {
        ObjectKind::Channel => ctx.chat.channel(service.channel(&o.owner)).await.map(drop),
        ObjectKind::Messages => messages(ctx, o, one).await.map(drop),
        ObjectKind::Roster => ctx
            .chat
            .list_members(service.channel(&o.owner), &[], one)
            .await
            .map(drop),
        ObjectKind::UserChannels => ctx.chat.list_user_channels(service, &o.owner, one).await.map(drop),
        ObjectKind::UserInfo => ctx.chat.user(service, &o.owner).await.map(drop),
    }
}

/// The service's change log position, read before any data.
async fn head(ctx: &TunnelContext) -> Result<i64, ChatError> {
    Ok(ctx.chat.last_change(&ctx.token.service_sid).await?.last_position)
}

async fn channel_view(ctx: &TunnelContext, o: &SyncObject) -> Result<ChannelView, ChatError> {
    let at = ctx.caller.service(&ctx.token.service_sid).channel(&o.owner);
    ctx.chat.channel_view(at).await
}

async fn messages(ctx: &TunnelContext, o: &SyncObject, page: PageReq) -> Result<Vec<Keyed<Message>>, ChatError> {
    let at = ctx.caller.service(&ctx.token.service_sid).channel(&o.owner);
    ctx.chat.list_messages(at, page).await
}

/// A page of a channel's messages, read from the database by index.
async fn list_page(ctx: &TunnelContext, o: &SyncObject, q: &ItemQuery) -> Result<Page, ChatError> {
    if let Some(index) = q.index {
        let rows = messages(
            ctx,
            o,
            PageReq {
                after: Some(index - 1),
                before: None,
                limit: 1,
                desc: false,
            },
        )
        .await?;
        let items = rows
            .into_iter()
            .filter(|r| r.item.index == index)
            .map(|r| (r.item.index.to_string(), render::message_item(&r.item)))
            .collect();
        return Ok(Page {
            items,
            previous_token: None,
            next_token: None,
        });
    }
    let from = q.from_index()?;
    let limit = q.size();
    let after = from.map(|f| match (q.desc, q.exclusive) {
        (false, false) => f - 1,
        (false, true) => f,
        (true, false) => f + 1,
        (true, true) => f,
    });
    let rows = messages(
        ctx,
        o,
        PageReq {
            after,
            before: None,
            limit,
            desc: q.desc,
        },
    )
    .await?;
    let more = rows.len() > limit as usize;
    let items: Vec<(String, Value)> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| (r.item.index.to_string(), render::message_item(&r.item)))
        .collect();
    // Is there anything before the first item, in the requested order?
    let before = match (after, items.first()) {
        (Some(_), Some((first, _))) => {
            let first: i64 = first.parse().unwrap_or_default();
            let back = PageReq {
                after: Some(first),
                before: None,
                limit: 1,
                desc: !q.desc,
            };
            !messages(ctx, o, back).await?.is_empty()
        }
        _ => false,
    };
    Ok(Page::new(items, q, before, more))
}

/// Every item of a map, sorted by key.
async fn map_items(ctx: &TunnelContext, o: &SyncObject) -> Result<Vec<(String, Value)>, ChatError> {
    let service = ctx.caller.service(&ctx.token.service_sid);
    let mut items = Vec::new();
    match o.kind {
        ObjectKind::Roster => {
            let at = service.channel(&o.owner);
            let mut after = None;
            loop {
                let mut rows = ctx.chat.list_members(at, &[], page_after(after)).await?;
                let more = trim(&mut rows, &mut after);
                // One read for the users of this page of members.
                let identities: Vec<String> = rows.iter().map(|r| r.item.identity.clone()).collect();
                let users: HashMap<String, String> = ctx
                    .chat
                    .users_by_identity(service, &identities)
                    .await?
                    .into_iter()
                    .map(|u| (u.identity, u.sid))
                    .collect();
                for m in rows.into_iter().map(|r| r.item) {
                    let user = users.get(&m.identity).map(String::as_str);
                    items.push((m.sid.clone(), render::member_item(&m, user)));
                }
                if !more {
                    break;
                }
            }
        }
        ObjectKind::UserChannels => {
            let mut after = None;
            loop {
                let (_, mut rows) = ctx
                    .chat
                    .list_user_channels(service, &o.owner, page_after(after))
                    .await?;
                let more = trim(&mut rows, &mut after);
                items.extend(
                    rows.iter()
                        .map(|r| (r.item.channel.sid.clone(), render::user_channel_row(&r.item))),
                );
                if !more {
                    break;
                }
            }
        }
        ObjectKind::UserInfo => {
            let view = ctx.chat.user_view(service, &o.owner).await?;
            items.extend(
                render::user_info_items(&view.user, view.reachability)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v)),
            );
        }
        ObjectKind::Channel | ObjectKind::Messages => return Err(ChatError::NotFound),
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(items)
}

/// The next [`MAP_READ`] rows after key `after`.
fn page_after(after: Option<i64>) -> PageReq {
    PageReq {
        after,
        before: None,
        limit: MAP_READ,
        desc: false,
    }
}

/// Drops the look-ahead row of a page read with [`page_after`]; returns whether more rows
/// follow, and sets `after` to the key to continue from.
fn trim<T>(rows: &mut Vec<Keyed<T>>, after: &mut Option<i64>) -> bool {
    let more = page_after(*after).trim(rows);
    *after = rows.last().map(|r| r.key);
    more
}

/// Rows read per query while collecting a map.
const MAP_READ: u32 = 500;
