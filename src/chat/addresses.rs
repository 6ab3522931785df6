//! Conversations address configurations: stored and returned as Twilio does. Banter connects
//! to no carrier, so nothing arrives at these addresses and no conversation is auto-created.

use super::{CONVERSATIONS_EVENTS, Chat, ChatError, validate};
use crate::sid;
use crate::store::{AddressConfig, AutoCreation, Keyed, PageReq, StoreError};
use crate::time;

/// The SID prefix of address configurations.
pub const ADDRESS: &str = "IG";

/// Twilio's address types.
const TYPES: &[&str] = &["sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat"];

/// CreateConfigurationAddress input.
#[derive(Debug, Clone, Default)]
pub struct NewAddress {
    /// `Type`
    pub address_type: String,
    /// `Address`
    pub address: String,
    /// `AddressCountry`
    pub address_country: Option<String>,
    /// `FriendlyName` and `AutoCreation.*`.
    pub fields: AddressPatch,
}

/// UpdateConfigurationAddress input: absent fields stay unchanged.
#[derive(Debug, Clone, Default)]
pub struct AddressPatch {
    /// `FriendlyName`
    pub friendly_name: Option<String>,
    /// `AutoCreation.Enabled`
    pub enabled: Option<bool>,
    /// `AutoCreation.Type` (`webhook`, `studio` or `default`).
    pub kind: Option<String>,
    /// `AutoCreation.ConversationServiceSid`
    pub conversation_service_sid: Option<String>,
    /// `AutoCreation.WebhookUrl`
    pub webhook_url: Option<String>,
    /// `AutoCreation.WebhookMethod`
    pub webhook_method: Option<String>,
    /// `AutoCreation.WebhookFilters`
    pub webhook_filters: Option<Vec<String>>,
    /// `AutoCreation.StudioFlowSid`
    pub studio_flow_sid: Option<String>,
    /// `AutoCreation.StudioRetryCount`
    pub studio_retry_count: Option<i64>,
}

/// Applies `p` to `a`, checking each value.
fn apply(a: &mut AddressConfig, p: AddressPatch) -> Result<(), ChatError> {
    if let Some(n) = p.friendly_name {
        a.friendly_name = Some(validate::friendly_name(&n, validate::MAX_FRIENDLY_NAME)?);
    }
    let c: &mut AutoCreation = &mut a.auto_creation;
    if let Some(e) = p.enabled {
        c.enabled = e;
    }
    if let Some(k) = p.kind {
        if !["webhook", "studio", "default"].contains(&k.as_str()) {
            return Err(ChatError::invalid(
                "AutoCreation.Type",
                "must be webhook, studio or default",
            ));
        }
        c.kind = Some(k);
    }
    if let Some(s) = p.conversation_service_sid {
        if !sid::is_sid(sid::SERVICE, &s) {
            return Err(ChatError::invalid(
                "AutoCreation.ConversationServiceSid",
                "must be a service SID",
            ));
        }
        c.conversation_service_sid = Some(s);
    }
    if let Some(url) = p.webhook_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ChatError::invalid(
                "AutoCreation.WebhookUrl",
                "must be an http or https URL",
            ));
        }
        c.webhook_url = Some(validate::text("AutoCreation.WebhookUrl", &url, validate::MAX_URL)?);
    }
    if let Some(m) = p.webhook_method {
        if !m.eq_ignore_ascii_case("get") && !m.eq_ignore_ascii_case("post") {
            return Err(ChatError::invalid("AutoCreation.WebhookMethod", "must be GET or POST"));
        }
        c.webhook_method = Some(m.to_ascii_uppercase());
    }
    if let Some(filters) = p.webhook_filters {
        if let Some(bad) = filters.iter().find(|f| !CONVERSATIONS_EVENTS.contains(&f.as_str())) {
            return Err(ChatError::invalid(
                "AutoCreation.WebhookFilters",
                &format!("unknown event {bad}"),
            ));
        }
        c.webhook_filters = filters;
    }
    if let Some(flow) = p.studio_flow_sid {
        if !sid::is_sid("FW", &flow) {
            return Err(ChatError::invalid(
                "AutoCreation.StudioFlowSid",
                "must be a Studio Flow SID (FW…)",
            ));
        }
        c.studio_flow_sid = Some(flow);
    }
    if let Some(n) = p.studio_retry_count {
        c.studio_retry_count = Some(n);
    }
    Ok(())
}

impl Chat {
    /// CreateConfigurationAddress.
    ///
    /// # Errors
    /// 20001 for a bad value; 409 when the account has configured the address already.
    pub async fn create_address(&self, account_sid: &str, input: NewAddress) -> Result<AddressConfig, ChatError> {
        if !TYPES.contains(&input.address_type.as_str()) {
            return Err(ChatError::invalid(
                "Type",
                &format!("must be one of {}", TYPES.join(", ")),
            ));
        }
        let now = time::now();
        let mut a = AddressConfig {
            sid: sid::generate(ADDRESS),
            account_sid: account_sid.to_owned(),
            address_type: input.address_type,
            address: validate::text("Address", &input.address, validate::MAX_NAME)?,
            friendly_name: None,
            auto_creation: AutoCreation::default(),
            address_country: input
                .address_country
                .map(|c| validate::text("AddressCountry", &c, validate::MAX_NAME))
                .transpose()?,
            date_created: now,
            date_updated: now,
        };
        apply(&mut a, input.fields)?;
        match self.store.insert_address(&a).await {
            Ok(()) => Ok(a),
            Err(StoreError::Conflict(_)) => Err(ChatError::InUse {
                code: 20001,
                message: "Invalid parameter Address: an address configuration exists for it already".to_owned(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// FetchConfigurationAddress by SID or address.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn address(&self, account_sid: &str, key: &str) -> Result<AddressConfig, ChatError> {
        self.store.address(account_sid, key).await?.ok_or(ChatError::NotFound)
    }

    /// ListConfigurationAddress: one page, of one `Type` when given.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list_addresses(
        &self,
        account_sid: &str,
        kind: Option<&str>,
        page: PageReq,
    ) -> Result<Vec<Keyed<AddressConfig>>, ChatError> {
        Ok(self.store.list_addresses(account_sid, kind, page).await?)
    }

    /// UpdateConfigurationAddress.
    ///
    /// # Errors
    /// [`ChatError::NotFound`]; 20001 for a bad value.
    pub async fn update_address(
        &self,
        account_sid: &str,
        key: &str,
        patch: AddressPatch,
    ) -> Result<AddressConfig, ChatError> {
        let mut a = self.address(account_sid, key).await?;
        apply(&mut a, patch)?;
        a.date_updated = time::now();
        if self.store.update_address(&a).await? {
            Ok(a)
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// DeleteConfigurationAddress.
    ///
    /// # Errors
    /// [`ChatError::NotFound`].
    pub async fn delete_address(&self, account_sid: &str, key: &str) -> Result<(), ChatError> {
        let a = self.address(account_sid, key).await?;
        if self.store.delete_address(account_sid, &a.sid).await? {
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }
}
