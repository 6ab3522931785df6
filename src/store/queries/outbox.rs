//! The outbox: deliveries written inside the change's transaction, claimed with a lease.

use crate::shared_sql;
use crate::store::row::{OUTBOX_COLUMNS, columns};

/// The rows of outbox `o` due at `$1`: pending, not leased, and the oldest pending row of their
/// ordering key.
const DUE: &str = "o.status = 'pending' and o.next_attempt_at <= $1 and o.locked_until <= $1 \
    and not exists (select 1 from outbox p where p.status = 'pending' \
                    and p.ordering_key = o.ordering_key and p.seq < o.seq)";

shared_sql! {
    /// Inserts a delivery: id, account, ordering key, URL, method, event, parameters (JSON), max
    /// attempts, and `$9` as next attempt, lease end and creation time.
    pub INSERT = "insert into outbox (id, account_sid, ordering_key, url, method, event_type, params, \
        max_attempts, next_attempt_at, locked_until, date_created) \
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)";
    /// Up to `$2` rows due at `$1`, oldest first (SQLite: the only writer claims them with
    /// [`LEASE`] in the same transaction).
    pub DUE_SQLITE = format!(
        "select {} from outbox o where {DUE} order by o.seq limit $2",
        columns(OUTBOX_COLUMNS, "o")
    );
    /// Leases delivery `$2` until `$1`.
    pub LEASE = "update outbox set locked_until = $1 where id = $2";
    /// Leases up to `$3` rows due at `$1` until `$2` and returns them followed by their `seq`
    /// (PostgreSQL: a row another node is claiming is skipped, and its successors stay ineligible
    /// because the skipped row is still pending).
    pub CLAIM_PG = format!(
        "with due as (select o.seq from outbox o where {DUE} order by o.seq limit $3 for update of o skip locked) \
         update outbox set locked_until = $2 from due where outbox.seq = due.seq returning {}, outbox.seq",
        columns(OUTBOX_COLUMNS, "outbox")
    );
    /// Deletes delivered row `$1`.
    pub COMPLETE = "delete from outbox where id = $1";
    /// Records failed attempt number `$1` of row `$4` with error `$3`; next attempt at `$2`.
    pub RETRY = "update outbox set attempts = $1, next_attempt_at = $2, locked_until = $2, last_error = $3 \
        where id = $4";
    /// Gives row `$3` up after `$1` attempts with error `$2`.
    pub FAIL = "update outbox set status = 'failed', attempts = $1, last_error = $2 where id = $3";
}
