//! The data of chat's Sync objects, as the SDKs read it (CLIENT_PROTOCOL.md §5.3): the channel
//! document, message list items, roster items, user-channel items and user-info items.
//!
//! Keys are camelCase; `attributes` are JSON strings (the SDK parses them); dates are ISO-8601
//! with milliseconds.

use serde_json::{Value, json};

use super::names::{ObjectKind, SyncObject};
use crate::chat::ChannelView;
use crate::store::{Member, Message, Reachability, User, UserChannel};
use crate::time::Timestamp;

/// An ISO-8601 date with milliseconds, as Sync writes them.
#[must_use]
pub fn date(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The channel document (`CH….channel`): names, attributes, creator, type, last message and
/// the names of the channel's list and roster. Nothing user-specific: it is shared.
#[must_use]
pub fn channel_doc(view: &ChannelView) -> Value {
    let c = &view.channel;
    let mut doc = json!({
        "friendlyName": c.friendly_name,
        "uniqueName": c.unique_name,
        "attributes": c.attributes,
        "createdBy": c.created_by,
        "dateCreated": date(&c.date_created),
        "dateUpdated": date(&c.date_updated),
        "type": c.channel_type,
        "messages": SyncObject::new(ObjectKind::Messages, &c.sid).unique_name(),
        "roster": SyncObject::new(ObjectKind::Roster, &c.sid).unique_name(),
    });
    if let Some((index, at)) = &view.last_message {
        doc["lastMessage"] = json!({"index": index, "timestamp": date(at)});
    }
    doc
}

/// A message list item: `text` is the body, `timestamp` the creation date.
#[must_use]
pub fn message_item(m: &Message) -> Value {
    let mut item = json!({
        "sid": m.sid,
        "author": m.from,
        "text": m.body,
        "timestamp": date(&m.date_created),
        "dateUpdated": date(&m.date_updated),
        "lastUpdatedBy": m.last_updated_by,
        "attributes": m.attributes.as_deref().unwrap_or("{}"),
        "type": if m.media.is_some() { "media" } else { "text" },
    });
    if let Some(x) = &m.media {
        item["text"] = Value::Null;
        item["media"] = json!({"sid": x.sid, "filename": x.filename, "contentType": x.content_type, "size": x.size});
        item["medias"] = json!([{
            "sid": x.sid, "category": "media", "filename": x.filename, "contentType": x.content_type, "size": x.size,
        }]);
    }
    item
}

/// A roster item: the member, with the name of its user's info map (`user_sid`).
#[must_use]
pub fn member_item(m: &Member, user_sid: Option<&str>) -> Value {
    json!({
        "identity": m.identity,
        "type": "chat",
        "roleSid": m.role_sid,
        "attributes": m.attributes,
        "dateCreated": date(&m.date_created),
        "dateUpdated": date(&m.date_updated),
        "lastConsumedMessageIndex": m.last_consumed_message_index,
        "lastConsumptionTimestamp": m.last_consumption_timestamp.as_ref().map(date),
        "userInfo": user_sid.map(|u| SyncObject::new(ObjectKind::UserInfo, u).unique_name()),
    })
}

/// A user-channel item: where the user stands in channel `channel_sid`.
#[must_use]
pub fn user_channel_item(
    channel_sid: &str,
    channel_type: &str,
    status: &str,
    horizon: Option<i64>,
    notification_level: Option<&str>,
) -> Value {
    json!({
        "channel": SyncObject::new(ObjectKind::Channel, channel_sid).unique_name(),
        "messages": SyncObject::new(ObjectKind::Messages, channel_sid).unique_name(),
        "roster": SyncObject::new(ObjectKind::Roster, channel_sid).unique_name(),
        "status": status,
        "type": channel_type,
        "lastConsumedMessageIndex": horizon,
        "notificationLevel": notification_level.unwrap_or("default"),
    })
}

/// [`user_channel_item`] of a user channel row.
#[must_use]
pub fn user_channel_row(uc: &UserChannel) -> Value {
    user_channel_item(
        &uc.channel.sid,
        &uc.channel.channel_type,
        &uc.status,
        uc.last_consumed_message_index,
        uc.notification_level.as_deref(),
    )
}

/// The user-info items: `friendlyName`, `attributes` and `reachability` (both false when the
/// service does not track it).
#[must_use]
pub fn user_info_items(u: &User, reachability: Option<Reachability>) -> Vec<(&'static str, Value)> {
    vec![
        ("friendlyName", json!({"value": u.friendly_name})),
        ("attributes", json!({"value": u.attributes.as_deref().unwrap_or("{}")})),
        ("reachability", reachability_item(reachability.unwrap_or_default())),
    ]
}

/// The `reachability` item of a user's info.
#[must_use]
pub fn reachability_item(r: Reachability) -> Value {
    json!({"online": r.online, "notifiable": r.notifiable})
}
