//! A Conversations participant's `messaging_binding`: how a participant reached through SMS or
//! WhatsApp is addressed (`address`, and the `proxy_address` the conversation uses to reach it),
//! or a chat participant's `projected_address` in a group MMS. Banter stores and returns them;
//! it connects to no carrier, so nothing is delivered to those addresses.
//!
//! A participant without an identity is still a member row: its `identity` is a key derived
//! from its address and proxy address, in the `US…` pattern that no real identity may take
//! (see `super::users::identity`). The one-member-per-identity rule of the store then refuses a
//! second participant with the same address and proxy address, atomically, on every backend.

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::{ChatError, validate};

/// `messaging_binding`, as stored (JSON) and rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagingBinding {
    /// `sms`, `whatsapp`, … (from the address's `channel:` prefix; none is SMS).
    #[serde(rename = "type")]
    pub kind: String,
    /// The participant's own address (SMS and WhatsApp participants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The address the conversation reaches them from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_address: Option<String>,
    /// A chat participant's address in a group MMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projected_address: Option<String>,
}

/// The channel an address names: its `channel:` prefix, or `sms`.
fn channel_of(address: &str) -> &str {
    match address.split_once(':') {
        Some((channel, _)) if !channel.is_empty() && channel.chars().all(|c| c.is_ascii_alphabetic()) => channel,
        _ => "sms",
    }
}

impl MessagingBinding {
    /// The binding the `MessagingBinding.*` parameters describe; `None` when none is set.
    ///
    /// # Errors
    /// 20001 for an address without a proxy address (or the reverse), a projected address
    /// beside an address, addresses of different channels, or over-long values.
    pub fn new(
        address: Option<&str>,
        proxy_address: Option<&str>,
        projected_address: Option<&str>,
    ) -> Result<Option<Self>, ChatError> {
        let clean = |param: &str, v: Option<&str>| -> Result<Option<String>, ChatError> {
            match v.map(str::trim).filter(|v| !v.is_empty()) {
                Some(v) => Ok(Some(validate::text(param, v, validate::MAX_NAME)?)),
                None => Ok(None),
            }
        };
        let address = clean("MessagingBinding.Address", address)?;
        let proxy_address = clean("MessagingBinding.ProxyAddress", proxy_address)?;
        let projected_address = clean("MessagingBinding.ProjectedAddress", projected_address)?;
        match (&address, &proxy_address, &projected_address) {
            (None, None, None) => Ok(None),
            (Some(a), Some(p), None) => {
                if channel_of(a) != channel_of(p) {
                    return Err(ChatError::invalid(
                        "MessagingBinding.ProxyAddress",
                        "must be an address of the same channel as MessagingBinding.Address",
                    ));
                }
                Ok(Some(Self {
                    kind: channel_of(a).to_owned(),
                    address,
                    proxy_address,
                    projected_address: None,
                }))
            }
            (Some(_), None, _) => Err(ChatError::missing("MessagingBinding.ProxyAddress")),
            (None, Some(_), _) => Err(ChatError::missing("MessagingBinding.Address")),
            (Some(_), Some(_), Some(_)) => Err(ChatError::invalid(
                "MessagingBinding.ProjectedAddress",
                "is for chat participants (with an Identity), not with MessagingBinding.Address",
            )),
            (None, None, Some(p)) => Ok(Some(Self {
                kind: channel_of(p).to_owned(),
                address: None,
                proxy_address: None,
                projected_address,
            })),
        }
    }

    /// Whether this participant has no identity (it is reached at `address`).
    #[must_use]
    pub fn is_addressed(&self) -> bool {
        self.address.is_some()
    }

    /// The member-row key of an addressed participant: one per address and proxy address, in a
    /// pattern no identity may take.
    #[must_use]
    pub fn member_key(&self) -> String {
        let mut h = Sha1::new();
        h.update(self.address.as_deref().unwrap_or("").as_bytes());
        h.update(b"\n");
        h.update(self.proxy_address.as_deref().unwrap_or("").as_bytes());
        let digest = h.finalize();
        format!("US{}", hex::encode(&digest[..16]))
    }

    /// As stored.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// A stored binding; `None` when absent or unreadable.
    #[must_use]
    pub fn parse(stored: Option<&str>) -> Option<Self> {
        stored.and_then(|s| serde_json::from_str(s).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_are_checked_and_keyed() {
        let sms = MessagingBinding::new(Some("+15551230001"), Some("+15559990000"), None)
            .unwrap_or_default()
            .unwrap_or_default();
        assert_eq!(sms.kind, "sms");
        assert!(sms.is_addressed());
        assert!(crate::sid::is_sid("US", &sms.member_key()));
        let wa = MessagingBinding::new(Some("whatsapp:+1555"), Some("whatsapp:+1666"), None)
            .unwrap_or_default()
            .unwrap_or_default();
        assert_eq!(wa.kind, "whatsapp");
        assert_ne!(wa.member_key(), sms.member_key());
        assert!(MessagingBinding::new(Some("whatsapp:+1555"), Some("+1666"), None).is_err());
        assert!(MessagingBinding::new(Some("+1555"), None, None).is_err());
        assert!(MessagingBinding::new(None, Some("+1555"), None).is_err());
        assert!(MessagingBinding::new(Some("+1"), Some("+2"), Some("+3")).is_err());
        assert_eq!(MessagingBinding::new(None, None, Some(" ")).ok(), Some(None));
        let projected = MessagingBinding::new(None, None, Some("+15550000"))
            .unwrap_or_default()
            .unwrap_or_default();
        assert!(!projected.is_addressed());
        assert_eq!(projected.to_json(), r#"{"type":"sms","projected_address":"+15550000"}"#);
        assert_eq!(MessagingBinding::parse(Some(&sms.to_json())), Some(sms));
    }
}
