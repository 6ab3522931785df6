//! Members (A11–A13) and invites (A14, A15) of a channel.

use super::super::tunnel::TunnelResponse;
use super::input::Call;
use super::render;
use crate::chat::{ChannelRef, ChatError, MemberPatch, NewMember};
use crate::sid;
use crate::store::{Invite, PageReq};

/// `POST {S}/Conversations/{CH}/Participants` (A11)
///
/// Body `{"identity", "attributes"?}`: the caller's own identity joins (`joinChannel`),
/// another is added (`addMember`). `201` with the Participant; `409` / 50404 for a member
/// already there; `400` for conversations' non-chat participants (`messaging_binding`), which
/// Programmable Chat does not have.
pub(super) async fn add(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel] = c.args else {
        return Err(ChatError::NotFound);
    };
    let body = c.json()?;
    if body.has("messaging_binding") {
        return Err(ChatError::invalid(
            "messaging_binding",
            "non-chat participants are not supported",
        ));
    }
    let input = NewMember {
        identity: body.string("identity")?.unwrap_or_default(),
        attributes: body.string("attributes")?,
        ..NewMember::default()
    };
    let member = c.ctx.chat.add_member(c.service().channel(channel), input).await?;
    Ok(TunnelResponse::json(201, render::participant(&c.links(), &member)))
}

/// `POST {S}/Conversations/{CH}/Participants/{MB or identity}` (A13)
///
/// Body `{"attributes": "<json>"}`. `200` with the Participant; `403` / 50107 without
/// `editOwnMemberAttributes` / `editAnyMemberAttributes`.
pub(super) async fn update(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, member] = c.args else {
        return Err(ChatError::NotFound);
    };
    let Some(attributes) = c.json()?.string("attributes")? else {
        return Err(ChatError::missing("attributes"));
    };
    let patch = MemberPatch {
        attributes: Some(attributes),
        ..MemberPatch::default()
    };
    let at = c.service().channel(channel);
    let member = c.ctx.chat.update_member(at, member, patch).await?;
    Ok(TunnelResponse::json(200, render::participant(&c.links(), &member)))
}

/// `DELETE {S}/Conversations/{CH}/Participants/{identity or MB}` (A12)
///
/// The caller leaves (`leaveChannel`) or removes another (`removeMember`). `204`.
pub(super) async fn remove(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, member] = c.args else {
        return Err(ChatError::NotFound);
    };
    c.ctx.chat.remove_member(c.service().channel(channel), member).await?;
    Ok(render::no_content())
}

/// `POST {S}/Conversations/{CH}/Invites` (A14)
///
/// Body `{"identity"}`. `201` with the invite; `404` for an unknown user; `409` / 50212 when
/// already invited; `403` / 50107 without `inviteMember`.
pub(super) async fn invite(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel] = c.args else {
        return Err(ChatError::NotFound);
    };
    let identity = c.json()?.string("identity")?.unwrap_or_default();
    let at = c.service().channel(channel);
    let invite = c.ctx.chat.create_invite(at, &identity, None).await?;
    Ok(TunnelResponse::json(201, render::invite(&c.links(), &invite)))
}

/// `GET {S}/Conversations/{CH}/Participants/{MB or identity}`
///
/// `200` with the Participant (the `resource_url` a repeated A11 points at); `404` otherwise.
pub(super) async fn fetch(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, member] = c.args else {
        return Err(ChatError::NotFound);
    };
    let member = c.ctx.chat.member(c.service().channel(channel), member).await?;
    Ok(TunnelResponse::json(200, render::participant(&c.links(), &member)))
}

/// The invite of the channel `at` that `key` names: an `IN` SID, or the invited identity.
async fn find_invite(c: Call<'_>, at: ChannelRef<'_>, key: &str) -> Result<Invite, ChatError> {
    if sid::is_sid(sid::INVITE, key) {
        return c.ctx.chat.invite(at, key).await;
    }
    let page = PageReq {
        after: None,
        before: None,
        limit: 1,
        desc: false,
    };
    let identities = [key.to_owned()];
    let invites = c.ctx.chat.list_invites(at, &identities, page).await?;
    invites.into_iter().next().map(|k| k.item).ok_or(ChatError::NotFound)
}

/// `GET {S}/Conversations/{CH}/Invites/{identity or IN}`
///
/// `200` with the invite (the `resource_url` a repeated A14 points at); `404` otherwise.
pub(super) async fn fetch_invite(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, key] = c.args else {
        return Err(ChatError::NotFound);
    };
    let invite = find_invite(c, c.service().channel(channel), key).await?;
    Ok(TunnelResponse::json(200, render::invite(&c.links(), &invite)))
}

/// `DELETE {S}/Conversations/{CH}/Invites/{identity or IN}` (A15)
///
/// Declines the caller's own invite (or, with `inviteMember`, withdraws another's). `204`;
/// `404` when that identity is not invited.
pub(super) async fn decline(c: Call<'_>) -> Result<TunnelResponse, ChatError> {
    let [channel, key] = c.args else {
        return Err(ChatError::NotFound);
    };
    let at = c.service().channel(channel);
    let invite = find_invite(c, at, key).await?;
    c.ctx.chat.delete_invite(at, &invite.sid).await?;
    Ok(render::no_content())
}
