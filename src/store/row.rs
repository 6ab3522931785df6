//! One small abstraction over a result row of either driver, and every record's decoder,
//! written once for both backends.
//!
//! A decoder reads the columns of its record's list (`*_COLUMNS` below) in order through a
//! [`Cursor`]; a query selects exactly that list (see [`columns`]), so the list and the decoder
//! sit side by side and cannot drift. A value that cannot be read (a malformed timestamp, JSON
//! that does not parse, an unknown enum value) is an error naming the column, never a default.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::copy::CopyRow;
use super::schema::{Kind, Table};
use super::{
    Account, ApiKey, Binding, BoxError, Channel, ChannelWebhook, Credential, Invite, Keyed, Member, Message,
    OutboxItem, OutboxRow, Role, RoleType, Service, StoreError, User, UserChannel,
};
use crate::time::{self, Timestamp};

/// The cells of one result row, by position, whatever the driver.
pub trait Cells {
    /// A nullable integer.
    ///
    /// # Errors
    /// When the cell is not an integer.
    fn opt_int(&self, at: usize) -> Result<Option<i64>, StoreError>;
    /// A nullable text.
    ///
    /// # Errors
    /// When the cell is not text.
    fn opt_text(&self, at: usize) -> Result<Option<String>, StoreError>;
    /// A nullable boolean (`0`/`1` on SQLite, `boolean` on PostgreSQL).
    ///
    /// # Errors
    /// When the cell is not a boolean.
    fn opt_bool(&self, at: usize) -> Result<Option<bool>, StoreError>;
}

impl Cells for rusqlite::Row<'_> {
    fn opt_int(&self, at: usize) -> Result<Option<i64>, StoreError> {
        self.get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_text(&self, at: usize) -> Result<Option<String>, StoreError> {
        self.get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_bool(&self, at: usize) -> Result<Option<bool>, StoreError> {
        self.get(at).map_err(|e| StoreError::unreadable(at, e))
    }
}

impl Cells for tokio_postgres::Row {
    fn opt_int(&self, at: usize) -> Result<Option<i64>, StoreError> {
        self.try_get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_text(&self, at: usize) -> Result<Option<String>, StoreError> {
        self.try_get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_bool(&self, at: usize) -> Result<Option<bool>, StoreError> {
        self.try_get(at).map_err(|e| StoreError::unreadable(at, e))
    }
}

/// Reads the cells of a row one after the other, from a starting column.
pub struct Cursor<'r, R: Cells + ?Sized> {
    row: &'r R,
    at: usize,
}

impl<'r, R: Cells + ?Sized> Cursor<'r, R> {
    /// Starts reading `row` at column `at`.
    pub fn new(row: &'r R, at: usize) -> Self {
        Self { row, at }
    }

    fn next(&mut self) -> usize {
        self.at += 1;
        self.at - 1
    }

    fn required<T>(&mut self, value: impl FnOnce(&R, usize) -> Result<Option<T>, StoreError>) -> Result<T, StoreError> {
        let at = self.next();
        value(self.row, at)?.ok_or_else(|| StoreError::unreadable(at, "unexpected NULL"))
    }

    /// An integer.
    ///
    /// # Errors
    /// When the cell is NULL or not an integer.
    pub fn int(&mut self) -> Result<i64, StoreError> {
        self.required(|r, at| r.opt_int(at))
    }

    /// A nullable integer.
    ///
    /// # Errors
    /// When the cell is not an integer.
    pub fn opt_int(&mut self) -> Result<Option<i64>, StoreError> {
        let at = self.next();
        self.row.opt_int(at)
    }

    /// A text.
    ///
    /// # Errors
    /// When the cell is NULL or not text.
    pub fn text(&mut self) -> Result<String, StoreError> {
        self.required(|r, at| r.opt_text(at))
    }

    /// A nullable text.
    ///
    /// # Errors
    /// When the cell is not text.
    pub fn opt_text(&mut self) -> Result<Option<String>, StoreError> {
        let at = self.next();
        self.row.opt_text(at)
    }

    /// A boolean.
    ///
    /// # Errors
    /// When the cell is NULL or not a boolean.
    pub fn bool(&mut self) -> Result<bool, StoreError> {
        self.required(|r, at| r.opt_bool(at))
    }

    /// A nullable boolean.
    ///
    /// # Errors
    /// When the cell is not a boolean.
    pub fn opt_bool(&mut self) -> Result<Option<bool>, StoreError> {
        let at = self.next();
        self.row.opt_bool(at)
    }

    /// A timestamp stored as text in the wire format.
    ///
    /// # Errors
    /// When the cell is NULL, not text, or not a timestamp.
    pub fn ts(&mut self) -> Result<Timestamp, StoreError> {
        let at = self.at;
        let text = self.text()?;
        time::parse(&text).map_err(|_| StoreError::unreadable(at, format!("not a timestamp: {text:?}")))
    }

    /// A nullable timestamp.
    ///
    /// # Errors
    /// When the cell is not text, or text that is not a timestamp.
    pub fn opt_ts(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let at = self.at;
        match self.opt_text()? {
            None => Ok(None),
            Some(text) => time::parse(&text)
                .map(Some)
                .map_err(|_| StoreError::unreadable(at, format!("not a timestamp: {text:?}"))),
        }
    }

    /// A JSON document stored as text.
    ///
    /// # Errors
    /// When the cell is NULL, not text, or not a document of type `T`.
    pub fn json<T: DeserializeOwned>(&mut self) -> Result<T, StoreError> {
        let at = self.at;
        let text = self.text()?;
        serde_json::from_str(&text).map_err(|e| StoreError::unreadable(at, e))
    }
}

/// `list` with every column prefixed by `alias.` (for joins), or as it is for an empty alias.
#[must_use]
pub fn columns(list: &[&str], alias: &str) -> String {
    if alias.is_empty() {
        return list.join(", ");
    }
    list.iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an [`Account`] is read from.
pub const ACCOUNT_COLUMNS: &[&str] = &["sid", "auth_token", "friendly_name", "date_created"];

/// Decodes an [`Account`] (columns [`ACCOUNT_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn account(r: &(impl Cells + ?Sized), at: usize) -> Result<Account, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Account {
        sid: c.text()?,
        auth_token: c.text()?,
        friendly_name: c.text()?,
        date_created: c.ts()?,
    })
}

/// What an [`ApiKey`] is read from.
pub const API_KEY_COLUMNS: &[&str] = &["sid", "account_sid", "secret", "friendly_name", "date_created"];

/// Decodes an [`ApiKey`] (columns [`API_KEY_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn api_key(r: &(impl Cells + ?Sized), at: usize) -> Result<ApiKey, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(ApiKey {
        sid: c.text()?,
        account_sid: c.text()?,
        secret: c.text()?,
        friendly_name: c.text()?,
        date_created: c.ts()?,
    })
}

/// What a [`Service`] is read from.
pub const SERVICE_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "friendly_name",
    "date_created",
    "date_updated",
    "revision",
    "settings",
];

/// Decodes a [`Service`] (columns [`SERVICE_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn service(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Service>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Service {
            sid: c.text()?,
            account_sid: c.text()?,
            friendly_name: c.text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
            revision: c.int()?,
            settings: c.json()?,
        },
    })
}

/// What a [`Role`] is read from.
pub const ROLE_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "friendly_name",
    "type",
    "permissions",
    "date_created",
    "date_updated",
];

/// Decodes a [`Role`] (columns [`ROLE_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read or the role type is unknown.
pub fn role(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Role>, StoreError> {
    let mut c = Cursor::new(r, at);
    let key = c.int()?;
    let (sid, account_sid, service_sid, friendly_name) = (c.text()?, c.text()?, c.text()?, c.text()?);
    let type_at = c.at;
    let role_type = c.text()?;
    let role_type = RoleType::parse(&role_type)
        .ok_or_else(|| StoreError::unreadable(type_at, format!("role type {role_type:?}")))?;
    Ok(Keyed {
        key,
        item: Role {
            sid,
            account_sid,
            service_sid,
            friendly_name,
            role_type,
            permissions: c.json()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a [`User`] is read from.
pub const USER_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "role_sid",
    "identity",
    "attributes",
    "friendly_name",
    "joined_channels_count",
    "date_created",
    "date_updated",
];

/// Decodes a [`User`] (columns [`USER_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn user(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<User>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: User {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            role_sid: c.opt_text()?,
            identity: c.text()?,
            attributes: c.opt_text()?,
            friendly_name: c.opt_text()?,
            joined_channels_count: c.int()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
        },
    })
}

/// What a [`Credential`] is read from.
pub const CREDENTIAL_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "friendly_name",
    "type",
    "sandbox",
    "certificate",
    "private_key",
    "api_key",
    "secret",
    "date_created",
    "date_updated",
];

/// Decodes a [`Credential`] (columns [`CREDENTIAL_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn credential(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Credential>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Credential {
            sid: c.text()?,
            account_sid: c.text()?,
            friendly_name: c.opt_text()?,
            credential_type: c.text()?,
            sandbox: c.opt_bool()?,
            certificate: c.opt_text()?,
            private_key: c.opt_text()?,
            api_key: c.opt_text()?,
            secret: c.opt_text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
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
];

/// Decodes a [`Message`] (columns [`MESSAGE_COLUMNS`] from `at`). A stored NULL body reads as
/// the empty body.
///
/// # Errors
/// When a cell cannot be read.
pub fn message(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Message>, StoreError> {
    let mut c = Cursor::new(r, at);
    let index = c.int()?;
    Ok(Keyed {
        key: index,
        item: Message {
            index,
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            channel_sid: c.text()?,
            from: c.text()?,
            body: c.opt_text()?.unwrap_or_default(),
            attributes: c.opt_text()?,
            media_sid: c.opt_text()?,
            was_edited: c.bool()?,
            last_updated_by: c.opt_text()?,
            date_created: c.ts()?,
            date_updated: c.ts()?,
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

/// What a [`Binding`] is read from.
pub const BINDING_COLUMNS: &[&str] = &[
    "seq",
    "sid",
    "account_sid",
    "service_sid",
    "identity",
    "endpoint",
    "credential_sid",
    "binding_type",
    "message_types",
    "date_created",
    "date_updated",
];

/// Decodes a [`Binding`] (columns [`BINDING_COLUMNS`] from `at`).
///
/// # Errors
/// When a cell cannot be read.
pub fn binding(r: &(impl Cells + ?Sized), at: usize) -> Result<Keyed<Binding>, StoreError> {
    let mut c = Cursor::new(r, at);
    Ok(Keyed {
        key: c.int()?,
        item: Binding {
            sid: c.text()?,
            account_sid: c.text()?,
            service_sid: c.text()?,
            identity: c.text()?,
            endpoint: c.text()?,
            credential_sid: c.opt_text()?,
            binding_type: c.text()?,
            message_types: c.json()?,
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

/// Decodes a whole row of `table` as `banter copy` moves it: every column of
/// [`Table::columns`] from column 0, typed by its [`Kind`], SQL `NULL` as JSON `null`.
///
/// # Errors
/// When a cell is not of its column's kind.
pub fn copy_row(r: &(impl Cells + ?Sized), table: &Table) -> Result<CopyRow, StoreError> {
    let mut c = Cursor::new(r, 0);
    table
        .columns
        .iter()
        .map(|col| {
            Ok(match col.kind {
                Kind::Int => c.opt_int()?.map_or(Value::Null, Value::from),
                Kind::Text => c.opt_text()?.map_or(Value::Null, Value::String),
                Kind::Bool => c.opt_bool()?.map_or(Value::Null, Value::Bool),
            })
        })
        .collect()
}

impl StoreError {
    /// A stored value at column `at` of a row that cannot be read as its record expects.
    pub fn unreadable(at: usize, source: impl Into<BoxError>) -> Self {
        Self::Unreadable {
            column: at,
            source: source.into(),
        }
    }
}
