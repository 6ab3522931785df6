//! Presence rows and reachability (see `store::presence`).

use crate::shared_sql;

shared_sql! {
    /// Keeps node `$1` alive until `$2` (unix ms).
    pub BEAT = "insert into presence_nodes (node_id, expires_at) values ($1, $2) \
        on conflict (node_id) do update set expires_at = excluded.expires_at";
    /// Counts socket `$3` of identity `$2` in service `$1` on node `$4` as open.
    pub OPEN = "insert into presence (service_sid, identity, socket_id, node_id) values ($1, $2, $3, $4) \
        on conflict (service_sid, identity, socket_id) do update set node_id = excluded.node_id, closed_until = null";
    /// Counts socket `$3` of identity `$2` in service `$1` as closed until `$4` (unix ms).
    pub CLOSE = "update presence set closed_until = $4 where service_sid = $1 and identity = $2 and socket_id = $3";
    /// How many rows identity `$2` of service `$1` has.
    pub COUNT = "select count(*) from presence where service_sid = $1 and identity = $2";
    /// The SID of the user `$2` of service `$1`.
    pub USER_SID = "select sid from users where service_sid = $1 and identity = $2";
    /// Deletes the rows of sockets closed before `$1`; returns their services and identities.
    pub SWEEP_CLOSED = "delete from presence where closed_until is not null and closed_until < $1 \
        returning service_sid, identity";
    /// The nodes whose row expired before `$1`.
    pub DEAD_NODES = "select node_id from presence_nodes where expires_at < $1";
    /// Deletes the rows of node `$1`; returns their services and identities.
    pub SWEEP_NODE = "delete from presence where node_id = $1 returning service_sid, identity";
    /// Deletes node `$1` if it is still expired at `$2`.
    pub FORGET_NODE = "delete from presence_nodes where node_id = $1 and expires_at < $2";
    /// Online and notifiable for the identities in the JSON array `$2` of service `$1`, in
    /// array order (SQLite).
    pub REACHABILITY_SQLITE = "select exists (select 1 from presence p where p.service_sid = $1 and p.identity = i.value), \
        exists (select 1 from bindings b where b.service_sid = $1 and b.identity = i.value) \
        from json_each($2) i order by i.key";
    /// Online and notifiable for the identities in the array `$2` of service `$1`, in array
    /// order (PostgreSQL).
    pub REACHABILITY_PG = "select exists (select 1 from presence p where p.service_sid = $1 and p.identity = i.identity), \
        exists (select 1 from bindings b where b.service_sid = $1 and b.identity = i.identity) \
        from unnest($2::text[]) with ordinality as i(identity, n) order by i.n";
    /// How many push bindings identity `$2` of service `$1` has.
    pub BINDINGS = "select count(*) from bindings where service_sid = $1 and identity = $2";
    /// Serialises the reachability flips of identity `$2` in service `$1` (PostgreSQL; a
    /// transaction-scoped advisory lock).
    pub LOCK_IDENTITY_PG = "select pg_advisory_xact_lock(hashtextextended($1::text || ' ' || $2::text, 7))";
    /// Lets one node sweep at a time (PostgreSQL; true when this transaction may sweep).
    pub LOCK_SWEEP_PG = "select pg_try_advisory_xact_lock(7007)";
}
