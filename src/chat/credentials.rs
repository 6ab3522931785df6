//! Push credentials (account level). Secrets are stored and never returned.

use super::{Chat, ChatError, validate};
use crate::secrets::Secrets;
use crate::sid;
use crate::store::{Credential, Keyed, PageReq};
use crate::time;

/// Longest credential name (characters).
pub const MAX_CREDENTIAL_NAME: usize = 64;

/// CreateCredential input.
#[derive(Debug, Clone, Default)]
pub struct NewCredential {
    /// `Type`: `apn`, `gcm` or `fcm`.
    pub credential_type: String,
    /// The updatable fields.
    pub fields: CredentialPatch,
}

/// UpdateCredential input (and the optional part of create).
#[derive(Debug, Clone, Default)]
pub struct CredentialPatch {
    /// `FriendlyName`
    pub friendly_name: Option<String>,
    /// `Certificate` (APN)
    pub certificate: Option<String>,
    /// `PrivateKey` (APN)
    pub private_key: Option<String>,
    /// `Sandbox` (APN)
    pub sandbox: Option<bool>,
    /// `ApiKey` (GCM)
    pub api_key: Option<String>,
    /// `Secret` (FCM)
    pub secret: Option<String>,
}

fn apply(cr: &mut Credential, p: &CredentialPatch) -> Result<(), ChatError> {
    if let Some(n) = &p.friendly_name {
        cr.friendly_name = Some(validate::friendly_name(n, MAX_CREDENTIAL_NAME)?);
    }
    let keep = |slot: &mut Option<String>, param: &str, v: &Option<String>| -> Result<(), ChatError> {
        if let Some(v) = v {
            *slot = Some(validate::text(param, v, validate::MAX_SECRET)?);
        }
        Ok(())
    };
    keep(&mut cr.certificate, "Certificate", &p.certificate)?;
    keep(&mut cr.private_key, "PrivateKey", &p.private_key)?;
    keep(&mut cr.api_key, "ApiKey", &p.api_key)?;
    keep(&mut cr.secret, "Secret", &p.secret)?;
    if let Some(s) = p.sandbox {
        cr.sandbox = Some(s);
    }
    Ok(())
}

impl Chat {
    /// CreateCredential.
    ///
    /// # Errors
    /// 20001 for a missing or unknown `Type`.
    pub async fn create_credential(&self, account_sid: &str, input: NewCredential) -> Result<Credential, ChatError> {
        if !["apn", "gcm", "fcm"].contains(&input.credential_type.as_str()) {
            return Err(ChatError::invalid("Type", "must be one of apn, gcm, fcm"));
        }
        let now = time::now();
        let mut cr = Credential {
            sid: sid::generate(sid::CREDENTIAL),
            account_sid: account_sid.to_owned(),
            friendly_name: None,
            sandbox: (input.credential_type == "apn").then_some(false),
            credential_type: input.credential_type,
            certificate: None,
            private_key: None,
            api_key: None,
            secret: None,
            date_created: now,
            date_updated: now,
        };
        apply(&mut cr, &input.fields)?;
        self.seal_credential(&mut cr);
        self.store.insert_credential(&cr).await?;
        Ok(cr)
    }

    /// FetchCredential.
    ///
    /// # Errors
    /// [`ChatError::NotFound`] unless the account owns it.
    pub async fn credential(&self, account_sid: &str, sid: &str) -> Result<Credential, ChatError> {
        if !sid::is_sid(sid::CREDENTIAL, sid) {
            return Err(ChatError::NotFound);
        }
        self.store
            .credential(account_sid, sid)
            .await?
            .ok_or(ChatError::NotFound)
    }

    /// ListCredential.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list_credentials(
        &self,
        account_sid: &str,
        page: PageReq,
    ) -> Result<Vec<Keyed<Credential>>, ChatError> {
        Ok(self.store.list_credentials(account_sid, page).await?)
    }

    /// UpdateCredential.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 50003 for a long name.
    pub async fn update_credential(
        &self,
        account_sid: &str,
        sid: &str,
        patch: CredentialPatch,
    ) -> Result<Credential, ChatError> {
        let mut cr = self.credential(account_sid, sid).await?;
        apply(&mut cr, &patch)?;
        self.seal_credential(&mut cr);
        cr.date_updated = time::now();
        if self.store.update_credential(&cr).await? {
            Ok(cr)
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// DeleteCredential.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_credential(&self, account_sid: &str, sid: &str) -> Result<(), ChatError> {
        if sid::is_sid(sid::CREDENTIAL, sid) && self.store.delete_credential(account_sid, sid).await? {
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// Seals every credential field that is not sealed yet (what `apply` just set).
    fn seal_credential(&self, cr: &mut Credential) {
        let sid = cr.sid.clone();
        for (field, slot) in [
            ("certificate", &mut cr.certificate),
            ("private_key", &mut cr.private_key),
            ("api_key", &mut cr.api_key),
            ("secret", &mut cr.secret),
        ] {
            if let Some(v) = slot
                && !Secrets::is_sealed(v)
            {
                *v = self.seal_secret(field, &sid, v);
            }
        }
    }

    /// Seals the credential material an earlier version stored in plain text, and checks that
    /// sealed material opens with this key. Returns how many credentials it sealed.
    pub(super) async fn seal_stored_credentials(&self, account_sid: &str) -> Result<usize, ChatError> {
        let mut sealed = 0;
        let mut page = PageReq {
            after: None,
            before: None,
            limit: 100,
            desc: false,
        };
        loop {
            let rows = self.store.list_credentials(account_sid, page).await?;
            let more = rows.len() > page.limit as usize;
            for row in rows.iter().take(page.limit as usize) {
                let mut cr = row.item.clone();
                let fields = [&cr.certificate, &cr.private_key, &cr.api_key, &cr.secret];
                let mut plain = false;
                for (field, value) in ["certificate", "private_key", "api_key", "secret"]
                    .into_iter()
                    .zip(fields)
                {
                    if let Some(v) = value {
                        self.open_secret(field, &cr.sid, v)?;
                        plain |= !Secrets::is_sealed(v);
                    }
                }
                if plain {
                    self.seal_credential(&mut cr);
                    if self.store.update_credential(&cr).await? {
                        sealed += 1;
                    }
                }
            }
            match rows.get(page.limit as usize - 1) {
                Some(last) if more => page.after = Some(last.key),
                _ => return Ok(sealed),
            }
        }
    }
}
