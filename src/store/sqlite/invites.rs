//! Invites on SQLite, and the per-user view of channels (SQL in `store::queries::invites`).

use async_trait::async_trait;
use rusqlite::params;

use super::channels::json_list;
use super::members::is_member;
use super::{SqliteStore, finish_page, is_unique_violation, other, query_first, query_rows};
use crate::store::ChangeKind::{InviteAdded, InviteRemoved};
use crate::store::queries::invites as q;
use crate::store::row::{self, Cursor};
use crate::store::{AddInvite, Invite, InviteStore, Keyed, NewChange, PageReq, StoreError, UserChannel};
use crate::time;

#[async_trait]
impl InviteStore for SqliteStore {
    async fn insert_invite(&self, inv: &Invite) -> Result<AddInvite, StoreError> {
        let inv = inv.clone();
        self.write_logged(move |c, log| {
            if is_member(c, &inv.channel_sid, &inv.identity)? {
                return Ok(AddInvite::AlreadyMember);
            }
            let inserted = c.prepare_cached(q::INSERT.sqlite()).and_then(|mut s| {
                s.execute(params![
                    inv.sid,
                    inv.account_sid,
                    inv.service_sid,
                    inv.channel_sid,
                    inv.identity,
                    inv.role_sid,
                    inv.created_by,
                    time::format(&inv.date_created),
                    time::format(&inv.date_updated)
                ])
            });
            match inserted {
                Ok(_) => {
                    log.push(
                        &inv.service_sid,
                        NewChange::in_channel(&inv.channel_sid, InviteAdded, &inv.sid),
                    );
                    Ok(AddInvite::Added)
                }
                Err(e) if is_unique_violation(&e) => Ok(AddInvite::Duplicate),
                Err(e) => Err(other(e)),
            }
        })
        .await
    }

    async fn invite(&self, channel_sid: &str, sid: &str) -> Result<Option<Invite>, StoreError> {
        self.read(|c| query_first(c, q::BY_SID.sqlite(), [sid, channel_sid], |r| row::invite(r, 0)))
            .await
            .map(|found| found.map(|k| k.item))
    }

    async fn list_invites(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Invite>>, StoreError> {
        let identities = json_list(identities);
        let (sql, bound, limit, reversed) = q::LIST_SQLITE.pick(&page);
        self.read(|c| {
            let rows = query_rows(c, sql.sqlite(), params![channel_sid, bound, limit, identities], |r| {
                row::invite(r, 0)
            })?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }

    async fn delete_invite(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
        let (channel_sid, sid) = (channel_sid.to_owned(), sid.to_owned());
        self.write_logged(move |c, log| {
            let deleted = query_first(c, q::DELETE.sqlite(), [&sid, &channel_sid], |r| {
                let mut cells = Cursor::new(r, 0);
                Ok((cells.text()?, cells.text()?))
            })?;
            let Some((service_sid, identity)) = deleted else {
                return Ok(false);
            };
            log.push(
                &service_sid,
                NewChange::in_channel(&channel_sid, InviteRemoved, &sid).with_detail(&identity),
            );
            Ok(true)
        })
        .await
    }

    async fn list_user_channels(
        &self,
        service_sid: &str,
        identity: &str,
        channels: Option<&[String]>,
        page: PageReq,
    ) -> Result<Vec<Keyed<UserChannel>>, StoreError> {
        let (sql, bound, limit, reversed) = q::USER_CHANNELS_SQLITE.pick(&page);
        let channels = channels.map(super::channels::json_list);
        self.read(|c| {
            let rows = query_rows(
                c,
                sql.sqlite(),
                params![service_sid, bound, limit, identity, channels],
                |r| row::user_channel(r, 0),
            )?;
            Ok(finish_page(rows, reversed))
        })
        .await
    }
}
