//! Push credentials (account level). Secrets are stored and never returned.

use super::{Chat, ChatError, validate};
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
}
