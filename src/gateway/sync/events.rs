//! Which Sync events a chat change produces (CLIENT_PROTOCOL.md §5.7), and their payloads
//! (§5.5). The event id is the change's position in the service's log: positions increase in
//! commit order, so every object's events are in id order, and a change written through REST
//! or another node produces the same events as one written through a socket.

use serde_json::{Value, json};

use super::names::{ObjectKind, SyncObject};
use super::render;
use crate::chat::{ChannelView, Detail, Observed};
use crate::store::ChangeKind;

/// One event for one object.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncEvent {
    /// The object it changes.
    pub object: SyncObject,
    /// `map_item_added`, `document_updated`, …
    pub event_type: &'static str,
    /// The `event` object of the notification, with its `id`.
    pub event: Value,
}

/// The events `o` produces, in the order they apply.
#[must_use]
pub fn events_of(o: &Observed) -> Vec<SyncEvent> {
    let id = o.change.position;
    let at = render::date(&o.change.date_created);
    let kind = o.change.kind;
    let mut out = Vec::new();
    match &o.detail {
        Detail::Message { message, channel } => {
            let list = SyncObject::new(ObjectKind::Messages, &channel.channel.sid);
            let event_type = if kind == ChangeKind::MessageAdded {
                "list_item_added"
            } else {
                "list_item_updated"
            };
            out.push(SyncEvent {
                event: json!({
                    "id": id, "list_sid": list.sid(), "item_index": message.index,
                    "item_revision": format!("{id:x}"), "item_data": render::message_item(message),
                    "date_created": at,
                }),
                object: list,
                event_type,
            });
            if kind == ChangeKind::MessageAdded {
                out.push(document(id, &at, channel));
            }
        }
        Detail::Member {
            member,
            user_sid,
            channel,
        } => {
            let roster = SyncObject::new(ObjectKind::Roster, &channel.channel.sid);
            let event_type = map_event(kind == ChangeKind::MemberAdded);
            out.push(SyncEvent {
                event: json!({
                    "id": id, "map_sid": roster.sid(), "item_key": member.sid,
                    "item_revision": format!("{id:x}"),
                    "item_data": render::member_item(member, user_sid.as_deref()), "date_created": at,
                }),
                object: roster,
                event_type,
            });
            if let Some(user) = user_sid {
                let data = render::user_channel_item(
                    &channel.channel.sid,
                    &channel.channel.channel_type,
                    "joined",
                    member.last_consumed_message_index,
                    member.notification_level.as_deref(),
                );
                out.push(user_channel(id, &at, user, &channel.channel.sid, event_type, data));
            }
        }
        Detail::Invite {
            user_sid: Some(user),
            channel,
            ..
        } => {
            let c = &channel.channel;
            let data = render::user_channel_item(&c.sid, &c.channel_type, "invited", None, None);
            out.push(user_channel(id, &at, user, &c.sid, "map_item_added", data));
        }
        Detail::Channel(view) if kind == ChangeKind::ChannelUpdated => out.push(document(id, &at, view)),
        Detail::User(user) if kind == ChangeKind::UserUpdated => {
            let info = SyncObject::new(ObjectKind::UserInfo, &user.sid);
            for (key, data) in render::user_info_items(user) {
                if key == "reachability" {
                    continue;
                }
                out.push(SyncEvent {
                    event: json!({
                        "id": id, "map_sid": info.sid(), "item_key": key,
                        "item_revision": format!("{id:x}"), "item_data": data, "date_created": at,
                    }),
                    object: info.clone(),
                    event_type: "map_item_updated",
                });
            }
        }
        _ => {}
    }
    out
}

fn map_event(added: bool) -> &'static str {
    if added { "map_item_added" } else { "map_item_updated" }
}

/// `document_updated` of a channel's document, with its whole data.
fn document(id: i64, at: &str, view: &ChannelView) -> SyncEvent {
    let doc = SyncObject::new(ObjectKind::Channel, &view.channel.sid);
    SyncEvent {
        event: json!({
            "id": id, "document_sid": doc.sid(), "document_unique_name": doc.unique_name(),
            "document_revision": format!("{id:x}"), "document_data": render::channel_doc(view),
            "date_created": at,
        }),
        object: doc,
        event_type: "document_updated",
    }
}

/// An item event of user `user`'s channels map, keyed by `channel`.
fn user_channel(id: i64, at: &str, user: &str, channel: &str, event_type: &'static str, data: Value) -> SyncEvent {
    let map = SyncObject::new(ObjectKind::UserChannels, user);
    SyncEvent {
        event: json!({
            "id": id, "map_sid": map.sid(), "item_key": channel,
            "item_revision": format!("{id:x}"), "item_data": data, "date_created": at,
        }),
        object: map,
        event_type,
    }
}
