//! The user's own channels (A2–A5) and users (A19–A21).

use serde_json::json;

use super::super::tunnel::TunnelResponse;
use super::input::{Call, finish};
use super::render;
use crate::chat::client_config::MY_CONVERSATIONS_PAGE_SIZE;
use crate::chat::{ChatError, MemberPatch, UserPatch};

/// Users per page of A20: the page size the SDK asks the REST API for.
const USERS_PAGE_SIZE: u32 = 50;

/// `GET {S}/Users/{US}/Conversations[?PageToken=]` (A2)
///
/// `200` with `{"conversations": [UserConv…], "meta": {"next_token", "previous_token"}}`:
/// the channels the user joined or is invited to, [`MY_CONVERSATIONS_PAGE_SIZE`] a page. Only
/// the token's own user: another is refused as the domain says (403 / 50107).
pub(super) async fn my_conversations(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [user] = c.args else {
        return Err(ChatError::NotFound);
    };
    let page = c.page(MY_CONVERSATIONS_PAGE_SIZE)?;
    let (u, mut rows) = c.ctx.chat.list_user_channels(c.service(), user, page).await?;
    let (prev, next) = finish(&mut rows, &page);
    let links = c.links();
    let items: Vec<_> = rows
        .iter()
        .map(|r| render::user_conv(&links, &u.sid, &r.item))
        .collect();
    let meta = json!({"next_token": next, "previous_token": prev});
    Ok(TunnelResponse::json(200, json!({"conversations": items, "meta": meta})))
}

/// `GET {S}/Users/{US}/Conversations/{CH or unique name}` (A3)
///
/// `200` with the UserConv; `404` unless the user joined or is invited.
pub(super) async fn my_conversation(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [user, channel] = c.args else {
        return Err(ChatError::NotFound);
    };
    let (u, uc) = c.ctx.chat.user_channel(c.service(), user, channel).await?;
    Ok(TunnelResponse::json(200, render::user_conv(&c.links(), &u.sid, &uc)))
}

/// `POST {S}/Users/{US}/Conversations/{CH}` (A4, A5)
///
/// Body `{"last_consumed_message_index": n|null}` (chat), `{"last_read_message_index": n|null}`
/// (conversations; `null` clears the horizon) and/or `{"notification_level": "default"|"muted"}`.
/// `200` with the UserConv and its new `unread_messages_count`; `400` / 20001 when none is sent.
pub(super) async fn update_my_conversation(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [user, channel] = c.args else {
        return Err(ChatError::NotFound);
    };
    let body = c.json()?;
    let read = body.nullable_int("last_read_message_index")?;
    let patch = MemberPatch {
        last_consumed_message_index: body.nullable_int("last_consumed_message_index")?.or(read),
        notification_level: body.string("notification_level")?,
        ..MemberPatch::default()
    };
    if patch.last_consumed_message_index.is_none() && patch.notification_level.is_none() {
        return Err(ChatError::missing("last_consumed_message_index"));
    }
    let (u, uc) = c
        .ctx
        .chat
        .update_user_channel(c.service(), user, channel, patch)
        .await?;
    Ok(TunnelResponse::json(200, render::user_conv(&c.links(), &u.sid, &uc)))
}

/// `GET {S}/Users/{identity}` (A19)
///
/// `200` with the UserDesc; `404` for an unknown user.
pub(super) async fn fetch(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [identity] = c.args else {
        return Err(ChatError::NotFound);
    };
    let view = c.ctx.chat.user_view(c.service(), identity).await?;
    Ok(TunnelResponse::json(200, render::user_desc(&c.links(), &view)))
}

/// `GET {S}/Users?ConversationSid={CH}[&PageToken=]` (A20)
///
/// `200` with `{"users": [UserDesc…], "meta": {"prev_token", "next_token"}}`: the channel's
/// members as users, [`USERS_PAGE_SIZE`] a page; `400` without `ConversationSid`.
pub(super) async fn list(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let Some(channel) = c.req.param("ConversationSid").filter(|s| !s.is_empty()) else {
        return Err(ChatError::missing("ConversationSid"));
    };
    let page = c.page(USERS_PAGE_SIZE)?;
    let at = c.service().channel(channel);
    let mut rows = c.ctx.chat.list_members(at, &[], page).await?;
    let (prev, next) = finish(&mut rows, &page);
    let links = c.links();
    // One read for the page's users, shown in the members' order.
    let identities: Vec<String> = rows.iter().map(|r| r.item.identity.clone()).collect();
    let found = c.ctx.chat.user_views(c.service(), &identities).await?;
    let users: Vec<_> = identities
        .iter()
        .filter_map(|i| found.iter().find(|v| &v.user.identity == i))
        .map(|v| render::user_desc(&links, v))
        .collect();
    let meta = json!({"prev_token": prev, "next_token": next});
    Ok(TunnelResponse::json(200, json!({"users": users, "meta": meta})))
}

/// `POST {S}/Users/{identity}` (A21)
///
/// Body `{"friendly_name": "…"}` and/or `{"attributes": "<json>"}`. `200` with the UserDesc;
/// `403` / 50107 without `editOwnUserInfo` (or `editAnyUserInfo` for another user).
pub(super) async fn update(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [identity] = c.args else {
        return Err(ChatError::NotFound);
    };
    let body = c.json()?;
    let patch = UserPatch {
        friendly_name: body.string("friendly_name")?,
        attributes: body.string("attributes")?,
        role_sid: None,
    };
    if patch.friendly_name.is_none() && patch.attributes.is_none() {
        return Err(ChatError::missing("friendly_name"));
    }
    let user = c.ctx.chat.update_user(c.service(), identity, patch).await?;
    let view = c.ctx.chat.user_view(c.service(), &user.sid).await?;
    Ok(TunnelResponse::json(200, render::user_desc(&c.links(), &view)))
}
