//! The aim API's representations (`CLIENT_PROTOCOL.md` §4.4): UserConv, ChannelDesc,
//! Participant, Message, UserDesc, and the invite a command returns.
//!
//! Rules shared by all of them: `attributes` is always a JSON *string* (the SDKs JSON-parse
//! it); both read-horizon names are sent, so one payload serves twilio-chat 6
//! (`last_consumed_message_index`) and conversations 3 (`last_read_message_index`); every URL
//! is absolute under the socket's base URL; Sync object names come from [`SyncObject`].

use serde_json::{Value, json};

use super::super::sync::{ObjectKind, SyncObject};
use super::super::tunnel::TunnelResponse;
use crate::chat::UserView;
use crate::chat::messaging_binding::MessagingBinding;
use crate::store::{Channel, Invite, Member, Message, UserChannel};
use crate::time;

/// What a path segment keeps unencoded: RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (identities may hold `@`, spaces, `/`).
pub(super) fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// The unique name of Sync object `kind` of `owner`.
fn sync_name(kind: ObjectKind, owner: &str) -> String {
    SyncObject::new(kind, owner).unique_name()
}

/// A channel's Sync objects: its document, messages list and roster map.
fn channel_objects(channel_sid: &str) -> Value {
    json!({
        "conversation": sync_name(ObjectKind::Channel, channel_sid),
        "messages": sync_name(ObjectKind::Messages, channel_sid),
        "participants": sync_name(ObjectKind::Roster, channel_sid),
    })
}

/// `{links}/Conversations/{CH}`.
pub(super) fn conversation_url(links: &str, channel_sid: &str) -> String {
    format!("{links}/Conversations/{channel_sid}")
}

/// A 204 without a body: the answer to commands whose result the SDKs ignore (deletes).
pub(super) fn no_content() -> TunnelResponse {
    TunnelResponse {
        status: 204,
        headers: Vec::new(),
        body: None,
    }
}

/// **UserConv**: a channel as one of the user's channels (A2, A3, A4), with their status,
/// read horizon, unread count and notification level.
pub(super) fn user_conv(links: &str, user_sid: &str, uc: &UserChannel) -> Value {
    let c = &uc.channel;
    json!({
        "conversation_sid": c.sid,
        "channel_sid": c.sid,
        "participant_sid": uc.member_sid,
        "status": uc.status,
        "type": c.channel_type,
        "unique_name": c.unique_name,
        "friendly_name": c.friendly_name,
        "attributes": c.attributes,
        "created_by": c.created_by,
        "date_created": time::format(&c.date_created),
        "date_updated": time::format(&c.date_updated),
        "last_consumed_message_index": uc.last_consumed_message_index,
        "last_read_message_index": uc.last_consumed_message_index,
        "unread_messages_count": uc.unread_messages_count,
        "notification_level": uc.notification_level.as_deref().unwrap_or("default"),
        "messages_count": c.messages_count,
        "participants_count": c.members_count,
        "members_count": c.members_count,
        "sync_objects": channel_objects(&c.sid),
        "url": format!("{links}/Users/{user_sid}/Conversations/{}", c.sid),
        "links": {"conversation": conversation_url(links, &c.sid)},
    })
}

/// **ChannelDesc** (A6, A7, A8, A9): a channel, with the caller's own status in it (`mine`:
/// their user channel when they joined or are invited; `notParticipating` otherwise).
pub(super) fn channel_desc(links: &str, c: &Channel, mine: Option<&UserChannel>) -> Value {
    let url = conversation_url(links, &c.sid);
    let horizon = mine.and_then(|uc| uc.last_consumed_message_index);
    let level = mine
        .and_then(|uc| uc.notification_level.as_deref())
        .unwrap_or("default");
    json!({
        "sid": c.sid,
        "unique_name": c.unique_name,
        "friendly_name": c.friendly_name,
        "attributes": c.attributes,
        "created_by": c.created_by,
        "date_created": time::format(&c.date_created),
        "date_updated": time::format(&c.date_updated),
        "type": c.channel_type,
        "messages_count": c.messages_count,
        "participants_count": c.members_count,
        "members_count": c.members_count,
        "status": mine.map_or("notParticipating", |uc| uc.status.as_str()),
        "last_consumed_message_index": horizon,
        "last_read_message_index": horizon,
        "notification_level": level,
        "sync_objects": channel_objects(&c.sid),
        "links": {
            "messages": format!("{url}/Messages"),
            "participants": format!("{url}/Participants"),
            "invites": format!("{url}/Invites"),
        },
        "url": url,
    })
}

/// **Participant** (A11, A13): conversations' `ParticipantResponse`.
pub(super) fn participant(links: &str, m: &Member) -> Value {
    let conversation = conversation_url(links, &m.channel_sid);
    let binding = MessagingBinding::parse(m.messaging_binding.as_deref());
    let addressed = binding.as_ref().is_some_and(MessagingBinding::is_addressed);
    json!({
        "account_sid": m.account_sid,
        "chat_service_sid": m.service_sid,
        "conversation_sid": m.channel_sid,
        "sid": m.sid,
        "identity": if addressed { None } else { Some(&m.identity) },
        "role_sid": m.role_sid,
        "attributes": m.attributes,
        "last_consumed_message_index": m.last_consumed_message_index,
        "last_read_message_index": m.last_consumed_message_index,
        "date_created": time::format(&m.date_created),
        "date_updated": time::format(&m.date_updated),
        "messaging_binding": binding,
        "url": format!("{conversation}/Participants/{}", m.sid),
        "links": {"conversation": conversation},
    })
}

/// **Message** (A16, A17): conversations' `MessageResponse`; the SDKs read only `index`.
/// `participant_sid` is `null`: a message records its author's identity, not their membership.
pub(super) fn message(links: &str, m: &Message) -> Value {
    let conversation = conversation_url(links, &m.channel_sid);
    let url = format!("{conversation}/Messages/{}", m.sid);
    json!({
        "account_sid": m.account_sid,
        "chat_service_sid": m.service_sid,
        "conversation_sid": m.channel_sid,
        "sid": m.sid,
        "index": m.index,
        "author": m.from,
        "from": m.from,
        "participant_sid": null,
        "body": m.body,
        "subject": null,
        "attributes": m.attributes.as_deref().unwrap_or("{}"),
        "date_created": time::format(&m.date_created),
        "date_updated": time::format(&m.date_updated),
        "media": m.media.as_ref().map(|x| json!([{
            "sid": x.sid, "size": x.size, "content_type": x.content_type, "filename": x.filename, "category": "media",
        }])),
        "links": {"conversation": conversation, "messages_receipts": format!("{url}/Receipts")},
        "url": url,
    })
}

/// An invite (A14; the SDK ignores it).
pub(super) fn invite(links: &str, i: &Invite) -> Value {
    let conversation = conversation_url(links, &i.channel_sid);
    json!({
        "sid": i.sid,
        "conversation_sid": i.channel_sid,
        "identity": i.identity,
        "role_sid": i.role_sid,
        "created_by": i.created_by,
        "date_created": time::format(&i.date_created),
        "date_updated": time::format(&i.date_updated),
        "url": format!("{conversation}/Invites/{}", segment(&i.identity)),
        "links": {"conversation": conversation},
    })
}

/// **UserDesc** (A19, A20, A21). `is_online` and `is_notifiable` are the user's reachability
/// when the service tracks it (`false` and `null` otherwise).
pub(super) fn user_desc(links: &str, v: &UserView) -> Value {
    let u = &v.user;
    let info = sync_name(ObjectKind::UserInfo, &u.sid);
    json!({
        "sid": u.sid,
        "identity": u.identity,
        "friendly_name": u.friendly_name,
        "attributes": u.attributes.as_deref().unwrap_or("{}"),
        "is_online": v.reachability.is_some_and(|r| r.online),
        "is_notifiable": v.reachability.map(|r| r.notifiable),
        "sync_objects": {"user_info_map": info},
        "sync_unique_name": info,
        "url": format!("{links}/Users/{}", segment(&u.identity)),
    })
}
