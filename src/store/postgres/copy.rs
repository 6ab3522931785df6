//! [`TableCopy`] on PostgreSQL: keyset reads, and multi-row `insert … on conflict do nothing`
//! batches, each in one transaction.

use async_trait::async_trait;
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{PgStore, pg_error};
use crate::store::StoreError;
use crate::store::copy::{Cell, CopyKey, CopyRow, Kind, Table, TableCopy, TableKey, cell};

/// A parameter that may be held across an `await`.
type Param = Box<dyn ToSql + Sync + Send>;

/// Reads one row in the table's column order.
fn read_row(r: &Row, table: &Table) -> Result<CopyRow, StoreError> {
    let mut out = Vec::with_capacity(table.columns.len());
    for (i, col) in table.columns.iter().enumerate() {
        let v = match col.kind {
            Kind::Int => r.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::from),
            Kind::Text => r.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::String),
            Kind::Bool => r.try_get::<_, Option<bool>>(i)?.map_or(Value::Null, Value::Bool),
        };
        out.push(v);
    }
    Ok(out)
}

fn key_mismatch(table: &Table) -> StoreError {
    StoreError::other(format!("{}: resume key of the wrong kind", table.name))
}

/// The parameter for one value of `column`, typed as the column is in PostgreSQL.
fn param(table: &Table, kind: Kind, c: Cell) -> Result<Param, StoreError> {
    Ok(match (kind, c) {
        (Kind::Int, Cell::Null) => Box::new(None::<i64>),
        (Kind::Text, Cell::Null) => Box::new(None::<String>),
        (Kind::Bool, Cell::Null) => Box::new(None::<bool>),
        (Kind::Int, Cell::Int(n)) => Box::new(n),
        (Kind::Text, Cell::Text(s)) => Box::new(s),
        (Kind::Bool, Cell::Bool(b)) => Box::new(b),
        _ => return Err(StoreError::other(format!("{}: value of the wrong type", table.name))),
    })
}

impl PgStore {
    async fn select(
        &self,
        table: &Table,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<CopyRow>, StoreError> {
        let rows = self.read(sql, params).await?;
        rows.iter().map(|r| read_row(r, table)).collect()
    }
}

#[async_trait]
impl TableCopy for PgStore {
    async fn count(&self, table: &'static Table) -> Result<u64, StoreError> {
        let rows = self.read(&format!("select count(*) from {}", table.name), &[]).await?;
        let n: i64 = rows.first().map_or(Ok(0), |r| r.try_get(0))?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn export(
        &self,
        table: &'static Table,
        after: Option<CopyKey>,
        limit: u32,
    ) -> Result<Vec<CopyRow>, StoreError> {
        let cols = table.column_list(0);
        let name = table.name;
        let limit = i64::from(limit);
        match (table.key, after) {
            (TableKey::Seq, after) => {
                let bound = match after {
                    None => i64::MIN,
                    Some(CopyKey::Seq(n)) => n,
                    Some(CopyKey::ChannelIdx { .. }) => return Err(key_mismatch(table)),
                };
                let sql = format!("select {cols} from {name} where seq > $1 order by seq limit $2");
                self.select(table, &sql, &[&bound, &limit]).await
            }
            (TableKey::ChannelIdx, None) => {
                let sql = format!("select {cols} from {name} order by channel_sid, idx limit $1");
                self.select(table, &sql, &[&limit]).await
            }
            (TableKey::ChannelIdx, Some(CopyKey::ChannelIdx { channel_sid, idx })) => {
                let sql = format!(
                    "select {cols} from {name} where (channel_sid, idx) > ($1, $2) \
                     order by channel_sid, idx limit $3"
                );
                self.select(table, &sql, &[&channel_sid, &idx, &limit]).await
            }
            (TableKey::ChannelIdx, Some(CopyKey::Seq(_))) => Err(key_mismatch(table)),
        }
    }

    async fn last_row(&self, table: &'static Table) -> Result<Option<CopyRow>, StoreError> {
        let order = match table.key {
            TableKey::Seq => "seq desc",
            TableKey::ChannelIdx => "channel_sid desc, idx desc",
        };
        let sql = format!(
            "select {} from {} order by {order} limit 1",
            table.column_list(0),
            table.name
        );
        Ok(self.select(table, &sql, &[]).await?.pop())
    }

    async fn import(&self, table: &'static Table, rows: Vec<CopyRow>, keep_seq: bool) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let seq_table = table.key == TableKey::Seq;
        let skip = usize::from(seq_table && !keep_seq);
        let columns = &table.columns[skip..];
        let mut params: Vec<Param> = Vec::with_capacity(rows.len() * columns.len());
        let mut tuples = Vec::with_capacity(rows.len());
        for row in &rows {
            table.check_width(row)?;
            let start = params.len();
            for (col, v) in columns.iter().zip(&row[skip..]) {
                params.push(param(table, col.kind, cell(table, col, v)?)?);
            }
            let marks: Vec<String> = (start + 1..=params.len()).map(|i| format!("${i}")).collect();
            tuples.push(format!("({})", marks.join(", ")));
        }
        let overriding = if seq_table && keep_seq {
            " overriding system value"
        } else {
            ""
        };
        let sql = format!(
            "insert into {} ({}){overriding} values {} on conflict do nothing",
            table.name,
            table.column_list(skip),
            tuples.join(", ")
        );
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let mut client = self.client().await?;
        let t = client.transaction().await.map_err(pg_error)?;
        let inserted = t.execute(sql.as_str(), &refs).await.map_err(pg_error)?;
        if seq_table && keep_seq {
            // Rows that kept their keys did not advance the identity: move it past them so
            // rows created later (by the server) get larger keys.
            let setval = format!(
                "select setval(pg_get_serial_sequence('{0}', 'seq'), m) from (select max(seq) as m from {0}) x \
                 where m is not null",
                table.name
            );
            t.execute(setval.as_str(), &[]).await.map_err(pg_error)?;
        }
        t.commit().await.map_err(pg_error)?;
        Ok(inserted)
    }

    async fn epoch(&self) -> Result<i64, StoreError> {
        let rows = self.read("select coalesce(max(epoch), 0) from auth_epoch", &[]).await?;
        Ok(rows.first().map_or(Ok(0), |r| r.try_get(0))?)
    }

    async fn raise_epoch(&self, epoch: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "update auth_epoch set epoch = greatest(epoch, $1) where id = 1",
                &[&epoch],
            )
            .await
            .map_err(pg_error)?;
        Ok(())
    }
}
