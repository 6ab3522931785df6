//! Decoders of the messaging records: channels, members, messages, invites, user channels,
//! channel webhooks, outbox items and logged changes.

use super::{Cells, Cursor};
use crate::store::{
    Change, ChangeKind, Channel, ChannelWebhook, ConversationTimers, Invite, Keyed, Media, Member, Message,
    MessageMedia, OutboxItem, OutboxRow, StoreError, UserChannel,
};

/// What a [`Media`] record is read from.
pub const MEDIA_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "channel_sid",
    "message_sid",
    "author",
    "filename",
    "content_type",
    "size",
    "category",
    "date_created",
    "date_updated",
    "date_upload_updated",
];

/// Decodes a [`Media`] record (columns [`MEDIA_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn media(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Media>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Media {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            channel_sid: c.opt_text()?,
            message_sid: c.opt_text()?,
            author: c.text()?,
            filename: c.opt_text()?,
            content_type: c.text()?,
            size: c.int()?,
            category: c.text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
            date_upload_updated: c.ts()?,
        },
    })
}

/// What a [`Channel`] is read from.
pub const CHANNEL_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "friendly_name",
    "unique_name",
    "attributes",
    "type",
    "created_by",
    "members_count",
    "messages_count",
    "last_message_sid",
    "date_created",
    "date_updated",
    "state",
    "messaging_service_sid",
    "timer_inactive_ms",
    "timer_closed_ms",
    "timer_inactive_at",
    "timer_closed_at",
];

/// Decodes a [`Channel`] (columns [`CHANNEL_COLUMNS`] from `at`). Stored NULL attributes read
/// as `{}`, as the API shows them.
///
/// # Errors
/// When a cell cannot be read.
pub fn channel(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Channel>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Channel {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            friendly_name: c.opt_text()?,
            unique_name: c.opt_text()?,
            attributes: c.opt_text()?.unwrap_or_else(|| "{}".to_owned()),
            channel_type: c.text()?,
            created_by: c.text()?,
            members_count: c.int()?,
            messages_count: c.int()?,
            last_message_sid: c.opt_text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
            state: c.opt_text()?.unwrap_or_else(|| "active".to_owned()),
            messaging_service_sid: c.opt_text()?,
            timers: ConversationTimers {
                inactive_ms: c.opt_int()?,
                closed_ms: c.opt_int()?,
                inactive_at: c.opt_int()?,
                closed_at: c.opt_int()?,
            },
        },
    })
}

/// What a [`Member`] is read from.
pub const MEMBER_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "channel_sid",
    "identity",
    "role_sid",
    "attributes",
    "last_consumed_message_index",
    "last_consumption_timestamp",
    "notification_level",
    "date_created",
    "date_updated",
    "messaging_binding",
];

/// Decodes a [`Member`] (columns [`MEMBER_COLUMNS`] from `at`). Stored NULL attributes read
/// as `{}`.
///
/// # Errors
/// When a cell cannot be read.
pub fn member(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Member>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Member {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            channel_sid: c.text()?,
            identity: c.text()?,
            role_sid: c.opt_text()?,
            attributes: c.opt_text()?.unwrap_or_else(|| "{}".to_owned()),
            last_consumed_message_index: c.opt_int()?,
            last_consumption_timestamp: c.opt_ts()?,
            notification_level: c.opt_text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
            messaging_binding: c.opt_text()?,
        },
    })
}

/// What a [`Message`] is read from (its index is its list key).
pub const MESSAGE_COLUMNS: &[&str] = &[
    "idx",
    "sid",
    "account_sid",
    "service_sid",
    "channel_sid",
    "from_identity",
    "body",
    "attributes",
    "media_sid",
    "was_edited",
    "last_updated_by",
    "date_created",
    "date_updated",
    "media_size",
    "media_content_type",
    "media_filename",
];

/// Decodes a [`Message`] (columns [`MESSAGE_COLUMNS`] from `at`). A stored NULL body reads as
/// the empty body.
///
/// # Errors
/// When a cell cannot be read.
pub fn message(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Message>, StoreError> {
    let mut c = Cursor::new(r, at);
    let index = c.int()?;
    let sid = c.text()?;
    let account_sid = c.text()?;
    let service_sid = c.text()?;
    let channel_sid = c.text()?;
    let from = c.text()?;
    let body = c.opt_text()?.unwrap_or_default();
    let attributes = c.opt_text()?;
    let media_sid = c.opt_text()?;
    let was_edited = c.bool()?;
    let last_updated_by = c.opt_text()?;
    let date_created = c.ts()?;
    let date_updated = c.ts()?;
    let (size, content_type, filename) = (c.opt_int()?, c.opt_text()?, c.opt_text()?);
    let media = media_sid.map(|sid| MessageMedia {
        sid,
        size: size.unwrap_or(0),
        content_type: content_type.unwrap_or_else(|| "application/octet-stream".to_owned()),
        filename,
    });
    Ok(Keyed {
        key: index,
        item: Message {
            index,
            sid,
            account_sid,
            service_sid,
            channel_sid,
            from,
            body,
            attributes,
            media,
            was_edited,
            last_updated_by,
            date_created,
            date_updated,
        },
    })
}

/// What an [`Invite`] is read from.
pub const INVITE_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "channel_sid",
    "identity",
    "role_sid",
    "created_by",
    "date_created",
    "date_updated",
];

/// Decodes an [`Invite`] (columns [`INVITE_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn invite(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Invite>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Invite {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            channel_sid: c.text()?,
            identity: c.text()?,
            role_sid: c.opt_text()?,
            created_by: c.opt_text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a [`UserChannel`] is read from before its channel's [`CHANNEL_COLUMNS`]: the list key,
/// then the membership (computed by the query, so no table prefix applies).
pub const USER_CHANNEL_COLUMNS: &[&str] = &[
    "key",
    "status",
    "member_sid",
    "last_consumed_message_index",
    "notification_level",
    "unread_messages_count",
];

/// Decodes a [`UserChannel`]: [`USER_CHANNEL_COLUMNS`] from `at`, then the channel.
///
/// # Errors
/// When a cell cannot be read.
pub fn user_channel(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<UserChannel>, StoreError> {
    let mut c = Cursor::new(r, at);
    let key = c.int()?;
    let (status, member_sid) = (c.text()?, c.opt_text()?);
    let (last_consumed_message_index, notification_level, unread_messages_count) =
        (c.opt_int()?, c.opt_text()?, c.opt_int()?);
    Ok(Keyed {
        key,
        item: UserChannel {
            status,
            member_sid,
            last_consumed_message_index,
            notification_level,
            unread_messages_count,
            channel: channel(r, at + USER_CHANNEL_COLUMNS.len())?.item,
        },
    })
}

/// What a [`ChannelWebhook`] is read from.
pub const WEBHOOK_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "channel_sid",
    "type",
    "configuration",
    "date_created",
    "date_updated",
];

/// Decodes a [`ChannelWebhook`] (columns [`WEBHOOK_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn webhook(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<ChannelWebhook>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: ChannelWebhook {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            channel_sid: c.text()?,
            webhook_type: c.text()?,
            configuration: c.json()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a claimed [`OutboxItem`] is read from.
pub const OUTBOX_COLUMNS: &[&str] = &[
    "id",
    "account_sid",
    "ordering_key",
    "url",
    "method",
    "event_type",
    "params",
    "max_attempts",
    "attempts",
    "date_created",
];

/// Decodes an [`OutboxItem`] (columns [`OUTBOX_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn outbox_item(r: &(impl Cells + ?Sized), at: usize) -> Result<OutboxItem, StoreError> {
    let mut c = Cursor::new(r, at);
    let (id, account_sid, ordering_key, url, method, event_type) =
        (c.text()?, c.text()?, c.text()?, c.text()?, c.text()?, c.text()?);
    let params = c.json()?;
    let max_attempts = c.int()?;
    let attempts = c.int()?;
    Ok(OutboxItem {
        row: OutboxRow {
            id,
            account_sid,
            ordering_key,
            url,
            method,
            event_type,
            params,
            max_attempts,
            date_created: c.ts()?,
        },
        attempts,
    })
}

/// Columns of [`change`].
pub const CHANGE_COLUMNS: &[&str] = &[
    "service_sid",
    "position",
    "channel_sid",
    "kind",
    "sid",
    "date_created",
    "detail",
];

/// Decodes a [`Change`] from [`CHANGE_COLUMNS`] starting at `at`.
///
/// # Errors
/// When a cell is unreadable or the kind is unknown.
pub fn change(r: &(impl Cells + ?Sized), at: usize) -> Result<Change, StoreError> {
    let mut c = Cursor::new(r, at);
    let (service_sid, position, channel_sid, kind) = (c.text()?, c.int()?, c.opt_text()?, c.text()?);
    let kind = ChangeKind::parse(&kind)
        .ok_or_else(|| StoreError::unreadable(at + 3, format!("unknown change kind {kind}")))?;
    Ok(Change {
        position,
        service_sid,
        channel_sid,
        kind,
        sid: c.text()?,
        date_created: c.ts()?,
        detail: c.opt_text()?,
    })
}
