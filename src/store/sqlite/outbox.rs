//! The outbox on SQLite: rows written inside the change's transaction, claimed with a lease.

use async_trait::async_trait;
use rusqlite::{Connection, Row, params};

use super::{SqliteStore, other, ts};
use crate::store::{OutboxItem, OutboxRow, OutboxStore, StoreError};
use crate::time::{self, Timestamp};

/// Writes `rows` (each with `extra` parameters appended) on the writer connection.
pub(super) fn insert_outbox_in(
    c: &Connection,
    rows: &[OutboxRow],
    extra: &[(String, String)],
) -> Result<(), StoreError> {
    for row in rows {
        let mut params_list = row.params.clone();
        params_list.extend_from_slice(extra);
        let params_json = serde_json::to_string(&params_list).map_err(StoreError::other)?;
        let created = time::format(&row.date_created);
        c.prepare_cached(
            "insert into outbox (id, account_sid, ordering_key, url, method, event_type, params, max_attempts, \
             next_attempt_at, locked_until, date_created) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)",
        )
        .and_then(|mut s| {
            s.execute(params![
                row.id,
                row.account_sid,
                row.ordering_key,
                row.url,
                row.method,
                row.event_type,
                params_json,
                row.max_attempts,
                created
            ])
        })
        .map_err(other)?;
    }
    Ok(())
}

fn item_row(r: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let params_json: String = r.get(6)?;
    Ok(OutboxItem {
        row: OutboxRow {
            id: r.get(0)?,
            account_sid: r.get(1)?,
            ordering_key: r.get(2)?,
            url: r.get(3)?,
            method: r.get(4)?,
            event_type: r.get(5)?,
            params: serde_json::from_str(&params_json).unwrap_or_default(),
            max_attempts: r.get(7)?,
            date_created: ts(&r.get::<_, String>(9)?),
        },
        attempts: r.get(8)?,
    })
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let (now, lease) = (time::format(&now), time::format(&lease_until));
        self.write(move |c| {
            let items: Vec<OutboxItem> = c
                .prepare_cached(
                    "select o.id, o.account_sid, o.ordering_key, o.url, o.method, o.event_type, o.params, \
                     o.max_attempts, o.attempts, o.date_created from outbox o \
                     where o.status = 'pending' and o.next_attempt_at <= ?1 and o.locked_until <= ?1 \
                     and not exists (select 1 from outbox p where p.status = 'pending' \
                                     and p.ordering_key = o.ordering_key and p.seq < o.seq) \
                     order by o.seq limit ?2",
                )
                .and_then(|mut s| s.query_map(params![now, limit], item_row)?.collect())
                .map_err(other)?;
            for item in &items {
                c.prepare_cached("update outbox set locked_until = ?1 where id = ?2")
                    .and_then(|mut s| s.execute(params![lease, item.row.id]))
                    .map_err(other)?;
            }
            Ok(items)
        })
        .await
    }

    async fn complete_outbox(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            c.prepare_cached("delete from outbox where id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn retry_outbox(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let (id, error, next) = (id.to_owned(), error.to_owned(), time::format(&next_attempt_at));
        self.write(move |c| {
            c.prepare_cached(
                "update outbox set attempts = ?1, next_attempt_at = ?2, locked_until = ?2, last_error = ?3 where id = ?4",
            )
            .and_then(|mut s| s.execute(params![attempts, next, error, id]))
            .map_err(other)?;
            Ok(())
        })
        .await
    }

    async fn fail_outbox(&self, id: &str, attempts: i64, error: &str) -> Result<(), StoreError> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.write(move |c| {
            c.prepare_cached("update outbox set status = 'failed', attempts = ?1, last_error = ?2 where id = ?3")
                .and_then(|mut s| s.execute(params![attempts, error, id]))
                .map_err(other)?;
            Ok(())
        })
        .await
    }
}
