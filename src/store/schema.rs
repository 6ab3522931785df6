//! The schema as both backends and `banter copy` see it: every table's columns, in one place.
//!
//! The migrations (per backend, under `migrations/`) are the history; this is the shape they
//! produce, checked against each backend's migrated schema by tests. Record decoders
//! (`store::row`) read subsets of these columns.

/// How a column's values are typed on the wire between backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer (`integer` on SQLite, `bigint` on PostgreSQL).
    Int,
    /// Text (every timestamp is text in the wire format on both backends).
    Text,
    /// A boolean (`integer` 0/1 on SQLite, `boolean` on PostgreSQL).
    Bool,
}

/// A column of a copied table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's name, the same on both backends.
    pub name: &'static str,
    /// How its values are typed.
    pub kind: Kind,
}

/// How a table is read in keyset order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKey {
    /// By the `seq` column, which is the first column.
    Seq,
    /// By `(channel_sid, idx)` (messages: no `seq` is copied; SQLite numbers its rows anew).
    ChannelIdx,
}

/// A table that `banter copy` moves.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    /// The table's name, the same on both backends.
    pub name: &'static str,
    /// The keyset the table is read in.
    pub key: TableKey,
    /// Every column, in row order. For [`TableKey::Seq`] tables `seq` comes first and the
    /// natural unique key (`sid`, or `id` for the outbox) second.
    pub columns: &'static [Column],
}

pub(crate) const fn int_col(name: &'static str) -> Column {
    Column { name, kind: Kind::Int }
}

pub(crate) const fn text(name: &'static str) -> Column {
    Column { name, kind: Kind::Text }
}

pub(crate) const fn boolean(name: &'static str) -> Column {
    Column { name, kind: Kind::Bool }
}

/// Every copied table, parents before children, so foreign keys hold while copying.
/// `auth_epoch` (one row, merged by taking the maximum) and `schema_migrations` are not here.
pub const TABLES: &[Table] = &[
    Table {
        name: "accounts",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("auth_token"),
            text("friendly_name"),
            text("date_created"),
        ],
    },
    Table {
        name: "conversations_accounts",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("account_sid"),
            text("default_service_sid"),
            text("settings"),
        ],
    },
    Table {
        name: "conversation_addresses",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("type"),
            text("address"),
            text("friendly_name"),
            text("auto_creation"),
            text("address_country"),
            text("date_created"),
            text("date_updated"),
        ],
    },
    Table {
        name: "api_keys",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("secret"),
            text("friendly_name"),
            text("date_created"),
        ],
    },
    Table {
        name: "services",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("friendly_name"),
            text("date_created"),
            text("date_updated"),
            int_col("revision"),
            text("settings"),
        ],
    },
    Table {
        // Copied so positions continue after the copy; the copy then marks them all as
        // pruned, because `changes` (see [`UNCOPIED`]) stays behind.
        name: "change_heads",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("service_sid"),
            int_col("last_position"),
            int_col("pruned_through"),
        ],
    },
    Table {
        name: "roles",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("friendly_name"),
            text("type"),
            text("permissions"),
            text("date_created"),
            text("date_updated"),
        ],
    },
    Table {
        name: "users",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("role_sid"),
            text("identity"),
            text("attributes"),
            text("friendly_name"),
            int_col("joined_channels_count"),
            text("date_created"),
            text("date_updated"),
        ],
    },
    Table {
        name: "credentials",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("friendly_name"),
            text("type"),
            boolean("sandbox"),
            text("certificate"),
            text("private_key"),
            text("api_key"),
            text("secret"),
            text("date_created"),
            text("date_updated"),
        ],
    },
    Table {
        name: "channels",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("friendly_name"),
            text("unique_name"),
            text("attributes"),
            text("type"),
            text("created_by"),
            int_col("members_count"),
            int_col("messages_count"),
            int_col("next_index"),
            text("last_message_sid"),
            text("date_created"),
            text("date_updated"),
            text("state"),
            text("messaging_service_sid"),
            int_col("timer_inactive_ms"),
            int_col("timer_closed_ms"),
            int_col("timer_inactive_at"),
            int_col("timer_closed_at"),
            int_col("timer_due_at"),
        ],
    },
    Table {
        name: "members",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("channel_sid"),
            text("identity"),
            text("role_sid"),
            text("attributes"),
            int_col("last_consumed_message_index"),
            text("last_consumption_timestamp"),
            text("notification_level"),
            text("date_created"),
            text("date_updated"),
            text("messaging_binding"),
        ],
    },
    Table {
        name: "messages",
        key: TableKey::ChannelIdx,
        columns: &[
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("channel_sid"),
            int_col("idx"),
            text("from_identity"),
            text("body"),
            text("attributes"),
            text("media_sid"),
            boolean("was_edited"),
            text("last_updated_by"),
            text("date_created"),
            text("date_updated"),
            int_col("media_size"),
            text("media_content_type"),
            text("media_filename"),
        ],
    },
    Table {
        name: "media",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("channel_sid"),
            text("message_sid"),
            text("author"),
            text("filename"),
            text("content_type"),
            int_col("size"),
            text("category"),
            text("date_created"),
            text("date_updated"),
            text("date_upload_updated"),
        ],
    },
    Table {
        name: "invites",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("channel_sid"),
            text("identity"),
            text("role_sid"),
            text("created_by"),
            text("date_created"),
            text("date_updated"),
        ],
    },
    Table {
        name: "channel_webhooks",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("channel_sid"),
            text("type"),
            text("configuration"),
            text("date_created"),
            text("date_updated"),
        ],
    },
    Table {
        name: "bindings",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("sid"),
            text("account_sid"),
            text("service_sid"),
            text("identity"),
            text("endpoint"),
            text("credential_sid"),
            text("binding_type"),
            text("message_types"),
            text("date_created"),
            text("date_updated"),
        ],
    },
    Table {
        name: "outbox",
        key: TableKey::Seq,
        columns: &[
            int_col("seq"),
            text("id"),
            text("account_sid"),
            text("ordering_key"),
            text("url"),
            text("method"),
            text("event_type"),
            text("params"),
            int_col("attempts"),
            int_col("max_attempts"),
            text("status"),
            text("next_attempt_at"),
            text("locked_until"),
            text("last_error"),
            text("date_created"),
        ],
    },
];

/// Tables that `banter copy` does not move, with their columns in order.
///
/// `changes` is the change log: positions are the history of the database that wrote them, and
/// a copy is a new database. The copy carries `change_heads` over (positions continue where the
/// source stopped, so no position is ever handed out twice) and marks every copied position as
/// pruned: a client resuming from an older position is told to resynchronise.
///
/// `presence` and `presence_nodes` describe the sockets open at the moment (reachability): a
/// copy has none.
pub const UNCOPIED: &[(&str, &[&str])] = &[
    ("changes", super::row::CHANGE_COLUMNS),
    (
        "presence",
        &["service_sid", "identity", "socket_id", "node_id", "closed_until"],
    ),
    ("presence_nodes", &["node_id", "expires_at"]),
];

/// Each record decoder's column list with the table it reads (see `store::row`).
pub const RECORD_COLUMNS: &[(&str, &[&str])] = &[
    ("accounts", super::row::ACCOUNT_COLUMNS),
    ("api_keys", super::row::API_KEY_COLUMNS),
    ("conversation_addresses", super::row::ADDRESS_COLUMNS),
    ("services", super::row::SERVICE_COLUMNS),
    ("roles", super::row::ROLE_COLUMNS),
    ("users", super::row::USER_COLUMNS),
    ("credentials", super::row::CREDENTIAL_COLUMNS),
    ("channels", super::row::CHANNEL_COLUMNS),
    ("members", super::row::MEMBER_COLUMNS),
    ("messages", super::row::MESSAGE_COLUMNS),
    ("media", super::row::MEDIA_COLUMNS),
    ("invites", super::row::INVITE_COLUMNS),
    ("channel_webhooks", super::row::WEBHOOK_COLUMNS),
    ("bindings", super::row::BINDING_COLUMNS),
    ("outbox", super::row::OUTBOX_COLUMNS),
    ("changes", super::row::CHANGE_COLUMNS),
];

/// The table called `name`.
#[must_use]
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_reads_columns_of_its_table() {
        for (name, columns) in RECORD_COLUMNS {
            let names: Vec<&str> = match table(name) {
                Some(table) => table.columns.iter().map(|c| c.name).collect(),
                None => UNCOPIED
                    .iter()
                    .find(|(t, _)| t == name)
                    .unwrap_or_else(|| panic!("no table {name}"))
                    .1
                    .to_vec(),
            };
            for column in *columns {
                assert!(names.contains(column), "{name} has no column {column}");
            }
        }
    }
}
