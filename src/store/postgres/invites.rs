//! Invites on PostgreSQL, and the per-user view of channels (SQL in `store::queries::invites`).

use async_trait::async_trait;

use super::changes::log_one;
use super::{PgStore, execute, finish_page, map_rows, query_opt};
use crate::store::ChangeKind::{InviteAdded, InviteRemoved};
use crate::store::queries::{invites as q, members};
use crate::store::row::{self, Cursor};
use crate::store::{AddInvite, Invite, InviteStore, Keyed, NewChange, PageReq, StoreError, UserChannel};
use crate::time;

#[async_trait]
impl InviteStore for PgStore {
    async fn insert_invite(&self, inv: &Invite) -> Result<AddInvite, StoreError> {
        self.write(inv, |t, inv| {
            Box::pin(async move {
                // Lock the channel as add_member does, so an invite never outlives a concurrent
                // join of the same identity (joining deletes the identity's invites).
                query_opt(
                    t,
                    "select 1 from channels where sid = $1 for update",
                    &[&inv.channel_sid],
                )
                .await?;
                let member = query_opt(t, members::EXISTS.pg(), &[&inv.channel_sid, &inv.identity])
                    .await?
                    .is_some();
                if member {
                    return Ok(AddInvite::AlreadyMember);
                }
                let n = execute(
                    t,
                    q::INSERT_OR_SKIP_PG.pg(),
                    &[
                        &inv.sid,
                        &inv.account_sid,
                        &inv.service_sid,
                        &inv.channel_sid,
                        &inv.identity,
                        &inv.role_sid,
                        &inv.created_by,
                        &time::format(&inv.date_created),
                        &time::format(&inv.date_updated),
                    ],
                )
                .await?;
                if n == 0 {
                    return Ok(AddInvite::Duplicate);
                }
                log_one(
                    t,
                    &inv.service_sid,
                    NewChange::in_channel(&inv.channel_sid, InviteAdded, &inv.sid),
                )
                .await?;
                Ok(AddInvite::Added)
            })
        })
        .await
    }

    async fn invite(&self, channel_sid: &str, sid: &str) -> Result<Option<Invite>, StoreError> {
        let rows = self.read(q::BY_SID.pg(), &[&sid, &channel_sid]).await?;
        Ok(map_rows(&rows, |r| row::invite(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_invites(
        &self,
        channel_sid: &str,
        identities: &[String],
        page: PageReq,
    ) -> Result<Vec<Keyed<Invite>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST_PG.pick(&page);
        let rows = self
            .read(sql.pg(), &[&channel_sid, &bound, &limit, &identities])
            .await?;
        Ok(finish_page(map_rows(&rows, |r| row::invite(r, 0))?, reversed))
    }

    async fn delete_invite(&self, channel_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(channel_sid, sid), |t, (channel_sid, sid)| {
            Box::pin(async move {
                let Some(row) = query_opt(t, q::DELETE.pg(), &[sid, channel_sid]).await? else {
                    return Ok(false);
                };
                let mut cells = Cursor::new(&row, 0);
                let (service_sid, identity) = (cells.text()?, cells.text()?);
                let change = NewChange::in_channel(channel_sid, InviteRemoved, sid).with_detail(&identity);
                log_one(t, &service_sid, change).await?;
                Ok(true)
            })
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
        let (sql, bound, limit, reversed) = q::USER_CHANNELS_PG.pick(&page);
        let rows = self
            .read(sql.pg(), &[&service_sid, &bound, &limit, &identity, &channels])
            .await?;
        Ok(finish_page(map_rows(&rows, |r| row::user_channel(r, 0))?, reversed))
    }
}
