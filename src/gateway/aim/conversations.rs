//! Channels (A6–A10), typing (A22), and conversations' extras Programmable Chat has no data
//! for (A23–A26).

use serde_json::json;

use super::super::tunnel::TunnelResponse;
use super::input::{Body, Call, finish};
use super::render;
use crate::chat::{ChannelPatch, ChatError, NewChannel};
use crate::store::{Channel, UserChannel};

/// Public channels per page of A6 (the SDK pages until `next_token` is empty).
const PUBLIC_PAGE_SIZE: u32 = 50;

/// The caller's own user channel in `channel_sid`; `None` when they neither joined nor are
/// invited (`notParticipating`).
async fn mine(c: Call<'_>, channel_sid: &str) -> Result<Option<UserChannel>, ChatError> {
    match c.ctx.chat.user_channel(c.service(), c.me(), channel_sid).await {
        Ok((_, uc)) => Ok(Some(uc)),
        Err(ChatError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `status` ChannelDesc of `channel` with the caller's own status.
async fn desc(c: Call<'_>, status: u16, channel: &Channel) -> Result<TunnelResponse, ChatError> {
    let mine = mine(c, &channel.sid).await?;
    Ok(TunnelResponse::json(
        status,
        render::channel_desc(&c.links(), channel, mine.as_ref()),
    ))
}

/// `GET {S}/Conversations[?PageToken=]` (A6)
///
/// `200` with `{"conversations": [ChannelDesc…], "meta": {"previous_token", "next_token"}}`:
/// the service's public channels, [`PUBLIC_PAGE_SIZE`] a page, each with the caller's status.
pub(super) async fn list_public(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let page = c.page(PUBLIC_PAGE_SIZE)?;
    let types = ["public".to_owned()];
    let mut rows = c.ctx.chat.list_channels(c.service(), &types, page).await?;
    let (prev, next) = finish(&mut rows, &page);
    let links = c.links();
    // The caller's status in every channel of the page, in one read.
    let sids: Vec<String> = rows.iter().map(|r| r.item.sid.clone()).collect();
    let mine = c.ctx.chat.my_channels_among(c.service(), c.me(), &sids).await?;
    let items: Vec<_> = rows
        .iter()
        .map(|row| {
            let uc = mine.iter().find(|uc| uc.channel.sid == row.item.sid);
            render::channel_desc(&links, &row.item, uc)
        })
        .collect();
    let meta = json!({"previous_token": prev, "next_token": next});
    Ok(TunnelResponse::json(200, json!({"conversations": items, "meta": meta})))
}

/// `GET {S}/Conversations/{CH or unique name}` (A7)
///
/// `200` with the ChannelDesc; `404` for an unknown channel or a private one the caller may
/// not see.
pub(super) async fn fetch(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [key] = c.args else { return Err(ChatError::NotFound) };
    let channel = c.ctx.chat.channel(c.service().channel(key)).await?;
    desc(c, 200, &channel).await
}

/// `POST {S}/Conversations` (A8)
///
/// Body (chat) `{"type": "public"|"private", "unique_name"?, "friendly_name"?, "attributes"}`
/// or (conversations) the same with `access` for `type`. `201` with the ChannelDesc; the
/// creator does not join (the SDKs join with A11). `403` / 50107 without `createChannel`.
pub(super) async fn create(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let body = c.json()?;
    let input = NewChannel {
        friendly_name: body.string("friendly_name")?,
        unique_name: body.string("unique_name")?,
        attributes: body.string("attributes")?,
        channel_type: match body.string("type")? {
            Some(t) => Some(t),
            None => body.string("access")?,
        },
        ..NewChannel::default()
    };
    let channel = c.ctx.chat.create_channel(c.service(), input).await?;
    desc(c, 201, &channel).await
}

/// The names and attributes A9 may change; at least one.
fn channel_patch(body: &Body) -> Result<ChannelPatch, ChatError> {
    let patch = ChannelPatch {
        friendly_name: body.string("friendly_name")?,
        // `""` (and `null`) clears the unique name.
        unique_name: match body.string("unique_name")? {
            None if body.has("unique_name") => Some(String::new()),
            name => name,
        },
        attributes: body.string("attributes")?,
        ..ChannelPatch::default()
    };
    if patch.friendly_name.is_none() && patch.unique_name.is_none() && patch.attributes.is_none() {
        return Err(ChatError::missing("attributes"));
    }
    Ok(patch)
}

/// `POST {S}/Conversations/{CH}` (A9)
///
/// Body: `attributes`, `friendly_name` or `unique_name` (`""` clears it). `200` with the
/// ChannelDesc; `403` / 50107 without `editChannelAttributes` / `editChannelName`.
pub(super) async fn update(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [key] = c.args else { return Err(ChatError::NotFound) };
    let patch = channel_patch(&c.json()?)?;
    let channel = c.ctx.chat.update_channel(c.service().channel(key), patch).await?;
    desc(c, 200, &channel).await
}

/// `DELETE {S}/Conversations/{CH}` (A10)
///
/// `204`; `403` / 50107 without `destroyChannel`.
pub(super) async fn delete(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [key] = c.args else { return Err(ChatError::NotFound) };
    c.ctx.chat.delete_channel(c.service().channel(key)).await?;
    Ok(render::no_content())
}

/// `POST {S}/Typing` (A22)
///
/// Form body `ChannelSid=CH…`. `200` with `{"typing_timeout": <the service's
/// TypingIndicatorTimeout>}` once the caller is known to be a member of the channel (the
/// other members' sockets, on every node, get a `twilio.ipmsg.typing_indicator`); `404`
/// otherwise.
pub(super) async fn typing(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let Some(channel) = c.form_value("ChannelSid").filter(|s| !s.is_empty()) else {
        return Err(ChatError::missing("ChannelSid"));
    };
    let timeout = c.ctx.chat.typing(c.service().channel(&channel)).await?;
    Ok(TunnelResponse::json(200, json!({"typing_timeout": timeout})))
}

/// An empty list page under `key`.
fn empty_list(key: &str) -> TunnelResponse {
    let meta = json!({"previous_token": null, "next_token": null});
    TunnelResponse::json(200, json!({ key: [], "meta": meta }))
}

/// `GET {S}/Conversations/{CH}/Messages/{IM}/Receipts` (A23)
///
/// `200` with no delivery receipts (Programmable Chat has none); `404` for an unknown
/// message.
pub(super) async fn receipts(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, message] = c.args else {
        return Err(ChatError::NotFound);
    };
    c.ctx.chat.message(c.service().channel(channel), message).await?;
    Ok(empty_list("delivery_receipts"))
}

/// `GET {S}/Conversations/{CH}/Messages/{IM}/ChannelMetadata` (A24)
///
/// Always `404` with body code 50530, conversations' "no metadata" (it stops retrying on it).
pub(super) fn channel_metadata() -> TunnelResponse {
    let body = crate::http::error::twilio_body(404, 50530, "Channel metadata not found");
    TunnelResponse::json(404, body)
}

/// `GET {S}/Conversations/{CH}/MessageRecipients` (A25)
///
/// `200` with no recipients (Programmable Chat has no non-chat participants); `404` for a
/// channel the caller may not see.
pub(super) async fn recipients(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel] = c.args else {
        return Err(ChatError::NotFound);
    };
    c.ctx.chat.channel(c.service().channel(channel)).await?;
    Ok(empty_list("message_recipients"))
}

/// `GET /Client/v2/ContentTemplates` (A26)
///
/// `200` with no templates (Programmable Chat has none).
pub(super) fn content_templates() -> TunnelResponse {
    empty_list("templates")
}
