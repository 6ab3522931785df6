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
        Detail::Removed { user_sid, channel } => removed(o, user_sid.as_deref(), channel.as_ref(), &mut out),
        Detail::Gone if kind == ChangeKind::ChannelRemoved => {
            let ch = o.change.sid.as_str();
            let doc = SyncObject::new(ObjectKind::Channel, ch);
            let list = SyncObject::new(ObjectKind::Messages, ch);
            let roster = SyncObject::new(ObjectKind::Roster, ch);
            out.push(SyncEvent {
                event: json!({"id": id, "document_sid": doc.sid()}),
                object: doc,
                event_type: "document_removed",
            });
            out.push(SyncEvent {
                event: json!({"id": id, "list_sid": list.sid()}),
                object: list,
                event_type: "list_removed",
            });
            out.push(SyncEvent {
                event: json!({"id": id, "map_sid": roster.sid()}),
                object: roster,
                event_type: "map_removed",
            });
        }
        Detail::User(user) if kind == ChangeKind::UserUpdated => {
            let info = SyncObject::new(ObjectKind::UserInfo, &user.sid);
            for (key, data) in render::user_info_items(user, None) {
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
        Detail::Reachability { user, reachability } => {
            let info = SyncObject::new(ObjectKind::UserInfo, &user.sid);
            out.push(SyncEvent {
                event: json!({
                    "id": id, "map_sid": info.sid(), "item_key": "reachability",
                    "item_revision": format!("{id:x}"), "item_data": render::reachability_item(*reachability),
                    "date_created": at,
                }),
                object: info,
                event_type: "map_item_updated",
            });
        }
        _ => {}
    }
    out
}

/// The events `o` produces for a subscriber whose own channels map is `mine` (a user's
/// channels map): [`events_of`], plus the removal of a deleted channel from that map (the
/// change no longer says who its members were; a removal of a channel the map does not hold
/// is ignored by the SDKs).
#[must_use]
pub fn events_for(o: &Observed, mine: Option<&SyncObject>) -> Vec<SyncEvent> {
    let mut out = events_of(o);
    if let (ChangeKind::ChannelRemoved, Some(map)) = (o.change.kind, mine) {
        let at = render::date(&o.change.date_created);
        out.push(user_channel(
            o.change.position,
            &at,
            &map.owner,
            &o.change.sid,
            "map_item_removed",
            json!({}),
        ));
    }
    out
}

/// The events of a removed message, member or invite.
fn removed(o: &Observed, user: Option<&str>, channel: Option<&ChannelView>, out: &mut Vec<SyncEvent>) {
    let c = &o.change;
    let (id, at) = (c.position, render::date(&c.date_created));
    let Some(ch) = c.channel_sid.as_deref() else {
        return;
    };
    match c.kind {
        ChangeKind::MessageRemoved => {
            let Some(index) = c.detail.as_deref().and_then(|d| d.parse::<i64>().ok()) else {
                return;
            };
            let list = SyncObject::new(ObjectKind::Messages, ch);
            out.push(SyncEvent {
                event: json!({"id": id, "list_sid": list.sid(), "item_index": index, "item_data": {},
                              "date_created": at}),
                object: list,
                event_type: "list_item_removed",
            });
            if let Some(view) = channel {
                out.push(document(id, &at, view));
            }
        }
        ChangeKind::MemberRemoved => {
            let roster = SyncObject::new(ObjectKind::Roster, ch);
            out.push(SyncEvent {
                event: json!({"id": id, "map_sid": roster.sid(), "item_key": c.sid, "item_data": {},
                              "date_created": at}),
                object: roster,
                event_type: "map_item_removed",
            });
            if let Some(user) = user {
                out.push(user_channel(id, &at, user, ch, "map_item_removed", json!({})));
            }
        }
        ChangeKind::InviteRemoved => {
            if let Some(user) = user {
                out.push(user_channel(id, &at, user, ch, "map_item_removed", json!({})));
            }
        }
        _ => {}
    }
}

fn map_event(added: bool) -> &'static str {
    if added { "map_item_added" } else { "map_item_updated" }
}

/// `document_updated` of a channel's document as it is now, at event id `position` (for a
/// client whose missed events are no longer in the log).
#[must_use]
pub fn document_now(position: i64, view: &ChannelView) -> SyncEvent {
    document(position, &render::date(&crate::time::now()), view)
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
