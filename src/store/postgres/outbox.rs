//! The outbox on PostgreSQL: rows written inside the change's transaction, claimed with a lease.
//! Several nodes claim at once: `for update skip locked` hands each due row to one claimer.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::{Fail, PgStore, execute, map_rows, query, to_json, ts};
use crate::store::{OutboxItem, OutboxRow, OutboxStore, StoreError};
use crate::time::{self, Timestamp};

/// Writes `rows` (each with `extra` parameters appended) inside the caller's transaction.
pub(super) async fn insert_outbox_in(
    t: &Transaction<'_>,
    rows: &[OutboxRow],
    extra: &[(String, String)],
) -> Result<(), Fail> {
    for row in rows {
        let mut params_list = row.params.clone();
        params_list.extend_from_slice(extra);
        let params_json = to_json(&params_list)?;
        let created = time::format(&row.date_created);
        execute(
            t,
            "insert into outbox (id, account_sid, ordering_key, url, method, event_type, params, max_attempts, \
             next_attempt_at, locked_until, date_created) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)",
            &[
                &row.id,
                &row.account_sid,
                &row.ordering_key,
                &row.url,
                &row.method,
                &row.event_type,
                &params_json,
                &row.max_attempts,
                &created,
            ],
        )
        .await?;
    }
    Ok(())
}

fn item_row(r: &Row) -> Result<(i64, OutboxItem), StoreError> {
    let params_json: &str = r.try_get(6)?;
    let item = OutboxItem {
        row: OutboxRow {
            id: r.try_get(0)?,
            account_sid: r.try_get(1)?,
            ordering_key: r.try_get(2)?,
            url: r.try_get(3)?,
            method: r.try_get(4)?,
            event_type: r.try_get(5)?,
            params: serde_json::from_str(params_json).unwrap_or_default(),
            max_attempts: r.try_get(7)?,
            date_created: ts(r.try_get(9)?),
        },
        attempts: r.try_get(8)?,
    };
    Ok((r.try_get(10)?, item))
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let (now, lease, limit) = (time::format(&now), time::format(&lease_until), i64::from(limit));
        self.write(&(now, lease, limit), |t, (now, lease, limit)| {
            Box::pin(async move {
                // Only the oldest pending row of an ordering key is eligible; a row another node
                // is claiming right now is skipped, and its successors stay ineligible because
                // the skipped row is still pending.
                let rows = query(
                    t,
                    "with due as ( \
                       select o.seq from outbox o \
                       where o.status = 'pending' and o.next_attempt_at <= $1 and o.locked_until <= $1 \
                       and not exists (select 1 from outbox p where p.status = 'pending' \
                                       and p.ordering_key = o.ordering_key and p.seq < o.seq) \
                       order by o.seq limit $3 \
                       for update of o skip locked) \
                     update outbox set locked_until = $2 from due where outbox.seq = due.seq \
                     returning outbox.id, outbox.account_sid, outbox.ordering_key, outbox.url, outbox.method, \
                       outbox.event_type, outbox.params, outbox.max_attempts, outbox.attempts, \
                       outbox.date_created, outbox.seq",
                    &[now, lease, limit],
                )
                .await?;
                let mut items = map_rows(&rows, item_row)?;
                items.sort_by_key(|(seq, _)| *seq);
                Ok(items.into_iter().map(|(_, item)| item).collect())
            })
        })
        .await
    }

    async fn complete_outbox(&self, id: &str) -> Result<(), StoreError> {
        self.write(id, |t, id| {
            Box::pin(async move {
                execute(t, "delete from outbox where id = $1", &[&id]).await?;
                Ok(())
            })
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
        let next = time::format(&next_attempt_at);
        self.write(&(id, attempts, next, error), |t, (id, attempts, next, error)| {
            Box::pin(async move {
                execute(
                    t,
                    "update outbox set attempts = $1, next_attempt_at = $2, locked_until = $2, last_error = $3 \
                     where id = $4",
                    &[attempts, next, error, id],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn fail_outbox(&self, id: &str, attempts: i64, error: &str) -> Result<(), StoreError> {
        self.write(&(id, attempts, error), |t, (id, attempts, error)| {
            Box::pin(async move {
                execute(
                    t,
                    "update outbox set status = 'failed', attempts = $1, last_error = $2 where id = $3",
                    &[attempts, error, id],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }
}
