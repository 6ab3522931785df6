//! The change log (see [`crate::store::ChangeStore`]): per-service positions from
//! `change_heads`, one `changes` row per logged change.

use crate::shared_sql;
use crate::store::row::{CHANGE_COLUMNS, columns};

/// The changes of service `$1` after position `$2`, ascending, at most `$4`, that are
/// service-level or in one of the channels `$3` (bound per dialect), or all of them when `$5`.
fn after(channel_in: &str) -> String {
    format!(
        "select {} from changes where service_sid = $1 and position > $2 \
         and (channel_sid is null or $5 or {channel_in}) order by position limit $4",
        columns(CHANGE_COLUMNS, "")
    )
}

shared_sql! {
    /// Takes `$2` positions of service `$1` and returns the one before the first (no row when the
    /// service has no head yet). On PostgreSQL the head row stays locked until commit, which
    /// keeps the service's positions in commit order.
    pub ADVANCE = "update change_heads set last_position = last_position + $2 where service_sid = $1 \
        returning last_position - $2";
    /// [`ADVANCE`] for a service that may have no head yet: creates it.
    pub ADVANCE_OR_CREATE = "insert into change_heads (service_sid, last_position) values ($1, $2) \
        on conflict (service_sid) do update set last_position = change_heads.last_position + $2 \
        returning last_position - $2";
    /// PostgreSQL: logs a run of changes of service `$1` in one round trip: advances (or
    /// creates) its head by `$2` and inserts one row per element of the arrays channel `$3`,
    /// kind `$4`, sid `$5` and detail `$7`, at the positions taken, in array order, created
    /// `$6`. The head row stays locked until commit (see `store::postgres::changes`).
    pub LOG_PG = "with head as (insert into change_heads (service_sid, last_position) values ($1, $2) \
        on conflict (service_sid) do update set last_position = change_heads.last_position + $2 \
        returning last_position - $2 as base) \
        insert into changes (service_sid, position, channel_sid, kind, sid, date_created, detail) \
        select $1, head.base + u.n, u.c, u.k, u.i, $6, u.d from head, \
        unnest($3::text[], $4::text[], $5::text[], $7::text[]) with ordinality as u(c, k, i, d, n)";
    /// Logs one change: service, position, channel, kind, sid, created, detail.
    pub INSERT = "insert into changes (service_sid, position, channel_sid, kind, sid, date_created, detail) \
        values ($1, $2, $3, $4, $5, $6, $7)";
    /// [`after`] with the channels `$3` as a JSON array (SQLite).
    pub AFTER_SQLITE = after("channel_sid in (select value from json_each($3))");
    /// [`after`] with the channels `$3` as a text array (PostgreSQL).
    pub AFTER_PG = after("channel_sid = any($3::text[])");
    /// The last and the pruned-through position of service `$1`.
    pub HEAD = "select last_position, pruned_through from change_heads where service_sid = $1";
    /// The services whose log may hold changes.
    pub PRUNABLE = "select service_sid from change_heads where last_position > pruned_through order by service_sid";
    /// The greatest position among the `$3` oldest changes of service `$1` that were written
    /// before `$2` (null when none): the oldest changes are read, not the whole log.
    pub PRUNE_CUT = "select max(position) from (select position, date_created from changes \
        where service_sid = $1 order by position limit $3) oldest where date_created < $2";
    /// Deletes the changes of service `$1` up to position `$2`.
    pub PRUNE = "delete from changes where service_sid = $1 and position <= $2";
    /// Records that the changes of service `$1` up to `$2` are gone.
    pub PRUNED = "update change_heads set pruned_through = $2 where service_sid = $1 and pruned_through < $2";
    /// After a copy: the changes were not carried over, so every position so far counts as
    /// pruned (readers resynchronise; new positions continue after the copied ones).
    pub SEAL = "update change_heads set pruned_through = last_position";
}
