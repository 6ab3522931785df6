//! Messages of a channel (A16–A18).

use super::super::tunnel::TunnelResponse;
use super::input::Call;
use super::render;
use crate::chat::{ChatError, MessagePatch, NewMessage};

/// `POST {S}/Conversations/{CH}/Messages` (A16)
///
/// Body `{"body", "attributes"}`, or with media `{"media_sid": "ME…"}` (chat) or
/// `{"media_sids": ["ME…"]}` (conversations; Programmable Chat carries one media file).
/// Conversations' `subject` and content templates are ignored. `201` with the Message and its
/// `index`; `403` / 50400 for a non-member and 50107 without `sendMessage`.
pub(super) async fn send(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel] = c.args else {
        return Err(ChatError::NotFound);
    };
    let body = c.json()?;
    let mut media = body.strings("media_sids")?;
    if let Some(sid) = body.string("media_sid")? {
        media.push(sid);
    }
    if media.len() > 1 {
        return Err(ChatError::invalid("media_sids", "a message carries one media file"));
    }
    let input = NewMessage {
        body: body.string("body")?,
        attributes: body.string("attributes")?,
        media_sid: media.pop(),
        ..NewMessage::default()
    };
    let message = c.ctx.chat.send_message(c.service().channel(channel), input).await?;
    Ok(TunnelResponse::json(201, render::message(&c.links(), &message)))
}

/// `GET {S}/Conversations/{CH}/Messages/{IM}`
///
/// `200` with the Message (the `resource_url` a repeated A16 points at); `404` otherwise.
pub(super) async fn fetch(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, sid] = c.args else {
        return Err(ChatError::NotFound);
    };
    let message = c.ctx.chat.message(c.service().channel(channel), sid).await?;
    Ok(TunnelResponse::json(200, render::message(&c.links(), &message)))
}

/// `POST {S}/Conversations/{CH}/Messages/{IM}` (A17)
///
/// Body `{"body"}` and/or `{"attributes"}`. `200` with the Message; `403` / 50107 without the
/// edit permission the change needs.
pub(super) async fn update(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, sid] = c.args else {
        return Err(ChatError::NotFound);
    };
    let body = c.json()?;
    let patch = MessagePatch {
        body: body.string("body")?,
        attributes: body.string("attributes")?,
        ..MessagePatch::default()
    };
    if patch.body.is_none() && patch.attributes.is_none() {
        return Err(ChatError::missing("body"));
    }
    let at = c.service().channel(channel);
    let message = c.ctx.chat.update_message(at, sid, patch).await?;
    Ok(TunnelResponse::json(200, render::message(&c.links(), &message)))
}

/// `DELETE {S}/Conversations/{CH}/Messages/{IM}` (A18)
///
/// `204`; `403` / 50107 without `deleteOwnMessage` / `deleteAnyMessage`.
pub(super) async fn delete(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, sid] = c.args else {
        return Err(ChatError::NotFound);
    };
    c.ctx.chat.delete_message(c.service().channel(channel), sid).await?;
    Ok(render::no_content())
}
