//! Push credentials on PostgreSQL (SQL in `store::queries::credentials`). Secrets are stored;
//! the HTTP layer never renders them.

use async_trait::async_trait;

use super::{PgStore, execute, finish_page, map_rows};
use crate::store::queries::credentials as q;
use crate::store::row;
use crate::store::{Credential, CredentialStore, Keyed, PageReq, StoreError};
use crate::time;

#[async_trait]
impl CredentialStore for PgStore {
    async fn insert_credential(&self, cr: &Credential) -> Result<(), StoreError> {
        self.write(cr, |t, cr| {
            Box::pin(async move {
                execute(
                    t,
                    q::INSERT.pg(),
                    &[
                        &cr.sid,
                        &cr.account_sid,
                        &cr.friendly_name,
                        &cr.credential_type,
                        &cr.sandbox,
                        &cr.certificate,
                        &cr.private_key,
                        &cr.api_key,
                        &cr.secret,
                        &time::format(&cr.date_created),
                        &time::format(&cr.date_updated),
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn credential(&self, account_sid: &str, sid: &str) -> Result<Option<Credential>, StoreError> {
        let rows = self.read(q::BY_SID.pg(), &[&sid, &account_sid]).await?;
        Ok(map_rows(&rows, |r| row::credential(r, 0))?.pop().map(|k| k.item))
    }

    async fn list_credentials(&self, account_sid: &str, page: PageReq) -> Result<Vec<Keyed<Credential>>, StoreError> {
        let (sql, bound, limit, reversed) = q::LIST.pick(&page);
        let rows = self.read(sql.pg(), &[&account_sid, &bound, &limit]).await?;
        Ok(finish_page(map_rows(&rows, |r| row::credential(r, 0))?, reversed))
    }

    async fn update_credential(&self, cr: &Credential) -> Result<bool, StoreError> {
        self.write(cr, |t, cr| {
            Box::pin(async move {
                let n = execute(
                    t,
                    q::UPDATE.pg(),
                    &[
                        &cr.friendly_name,
                        &cr.sandbox,
                        &cr.certificate,
                        &cr.private_key,
                        &cr.api_key,
                        &cr.secret,
                        &time::format(&cr.date_updated),
                        &cr.sid,
                        &cr.account_sid,
                    ],
                )
                .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_credential(&self, account_sid: &str, sid: &str) -> Result<bool, StoreError> {
        self.write(&(account_sid, sid), |t, (account_sid, sid)| {
            Box::pin(async move {
                let n = execute(t, q::DELETE.pg(), &[sid, account_sid]).await?;
                Ok(n > 0)
            })
        })
        .await
    }
}
