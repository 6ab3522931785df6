//! What an end user's client SDK learns when it starts: the configuration it asks for first
//! (`Client/v1|v2/Configuration` in Twilio's chat API) and the endpoint its socket belongs to.
//!
//! An endpoint is one tab or device of a user: it outlives single sockets. The SDK keeps the
//! continuation token Banter issued for it and sends it again on every reconnect. The token is
//! sealed with the server key (so no client can forge or read it) and names the account,
//! service and identity it was issued to; a token that does not open, or names someone else,
//! is not an error: a new endpoint is issued and the reply says why.

use serde::{Deserialize, Serialize};

use super::{Actor, Caller, Chat, ChatError, TokenIdentity};
use crate::sid;

/// What the client configuration document says, from the user and their service's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfiguration {
    /// The token's identity ("me" for the SDK).
    pub identity: String,
    /// The user (created on first use with the service's default role).
    pub user_sid: String,
    /// The service of the token's grant.
    pub service_sid: String,
    /// The service's `ReachabilityEnabled`.
    pub reachability_enabled: bool,
    /// The service's `ConsumptionReportInterval`, in seconds.
    pub consumption_report_interval_secs: i64,
    /// How long the SDK may cache what it reads, in seconds.
    pub http_cache_interval_secs: i64,
    /// How many other users' info the SDK keeps subscribed.
    pub user_infos_to_subscribe: u32,
    /// Page size of the user's channel list.
    pub my_conversations_page_size: u32,
    /// Media a message may carry (Programmable Chat: one file of up to 150 MB).
    pub media_attachments_count_limit: u32,
    /// Size limit of one media file, in MB.
    pub media_attachment_size_limit_mb: u32,
}

/// How long the SDK caches reads: 5 s, the value the SDK itself falls back to.
const HTTP_CACHE_INTERVAL_SECS: i64 = 5;

/// Other users' info maps the SDK keeps subscribed (FIFO); Twilio's SDK default.
const USER_INFOS_TO_SUBSCRIBE: u32 = 100;

/// Channels per page of the user's channel list (the configuration's `my_conversations_page_size`,
/// and the page size of the list behind its `my_conversations` link).
pub const MY_CONVERSATIONS_PAGE_SIZE: u32 = 50;

/// Binds sealed continuation tokens to their use, so no other sealed value passes for one.
const CONTINUATION_CONTEXT: &str = "twilsock continuation token v1";

/// The endpoint a socket belongs to, and the continuation token to hand back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Stable across reconnects of one tab or device.
    pub endpoint_id: String,
    /// The sealed token naming this endpoint (send it in the `init` reply).
    pub continuation_token: String,
    /// Why a new endpoint was issued; `None` when the presented token was honoured.
    pub reissue_reason: Option<ReissueReason>,
}

/// Why a continuation token was not honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReissueReason {
    /// The client sent none (a first connection).
    NoContinuationToken,
    /// It does not open with this server's key, or is not a continuation token.
    InvalidContinuationToken,
    /// It was issued to another account, service or identity.
    DifferentIdentity,
}

impl ReissueReason {
    /// The reason's name in twilsock's `continuation_token_status.reissue_reason`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::NoContinuationToken => "NO_CONTINUATION_TOKEN",
            Self::InvalidContinuationToken => "INVALID_CONTINUATION_TOKEN",
            Self::DifferentIdentity => "DIFFERENT_IDENTITY",
        }
    }
}

/// What a continuation token holds.
#[derive(Debug, Serialize, Deserialize)]
struct Continuation {
    endpoint_id: String,
    account_sid: String,
    service_sid: String,
    identity: String,
    issued_at: i64,
}

impl Chat {
    /// The configuration document's contents for an end user; the user is created on first use.
    ///
    /// # Errors
    /// 403 / 20403 for the operator (only end users have a client configuration); 20106 style
    /// refusals when the grant's service is gone ([`ChatError::NotFound`]); store failures.
    pub async fn client_configuration(&self, caller: &Caller) -> Result<ClientConfiguration, ChatError> {
        let Actor::User(token) = &caller.actor else {
            return Err(ChatError::new(
                20403,
                "Forbidden: only an Access Token has a client configuration",
            ));
        };
        let scope = self.scope(caller.service(&token.service_sid)).await?;
        let user = self
            .store
            .user(&scope.service.sid, &token.identity)
            .await?
            .ok_or(ChatError::NotFound)?;
        let settings = &scope.service.settings;
        Ok(ClientConfiguration {
            identity: user.identity,
            user_sid: user.sid,
            service_sid: scope.service.sid.clone(),
            reachability_enabled: settings.reachability_enabled,
            consumption_report_interval_secs: settings.consumption_report_interval,
            http_cache_interval_secs: HTTP_CACHE_INTERVAL_SECS,
            user_infos_to_subscribe: USER_INFOS_TO_SUBSCRIBE,
            my_conversations_page_size: MY_CONVERSATIONS_PAGE_SIZE,
            media_attachments_count_limit: 1,
            media_attachment_size_limit_mb: u32::try_from(self.media_limit_mb).unwrap_or(u32::MAX),
        })
    }

    /// The endpoint of a socket whose Access Token verified to `token`, resumed from
    /// `continuation` when that names the same account, service and identity, new otherwise.
    #[must_use]
    pub fn resume_endpoint(&self, token: &TokenIdentity, continuation: Option<&str>) -> Endpoint {
        let presented = continuation.filter(|c| !c.is_empty());
        let resumed = presented.map(|c| self.open_continuation(c));
        let (endpoint_id, reissue_reason) = match resumed {
            None => (new_endpoint_id(), Some(ReissueReason::NoContinuationToken)),
            Some(None) => (new_endpoint_id(), Some(ReissueReason::InvalidContinuationToken)),
            Some(Some(c))
                if c.account_sid == token.account_sid
                    && c.service_sid == token.service_sid
                    && c.identity == token.identity =>
            {
                (c.endpoint_id, None)
            }
            Some(Some(_)) => (new_endpoint_id(), Some(ReissueReason::DifferentIdentity)),
        };
        let sealed = Continuation {
            endpoint_id: endpoint_id.clone(),
            account_sid: token.account_sid.clone(),
            service_sid: token.service_sid.clone(),
            identity: token.identity.clone(),
            issued_at: crate::time::now().timestamp(),
        };
        let plain = serde_json::to_string(&sealed).unwrap_or_default();
        Endpoint {
            endpoint_id,
            continuation_token: self.secrets.seal(CONTINUATION_CONTEXT, &plain),
            reissue_reason,
        }
    }

    /// A continuation token's contents, if it was sealed by this server's key for this use.
    fn open_continuation(&self, token: &str) -> Option<Continuation> {
        // `open` passes unsealed (legacy plain-text) values through: those are never ours.
        if !crate::secrets::Secrets::is_sealed(token) {
            return None;
        }
        let plain = self.secrets.open(CONTINUATION_CONTEXT, token).ok()?;
        serde_json::from_str(&plain).ok()
    }
}

/// A fresh endpoint id: `EP` and 32 hex digits.
fn new_endpoint_id() -> String {
    sid::generate("EP")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::StoreConfig;

    fn identity(name: &str) -> TokenIdentity {
        TokenIdentity {
            account_sid: "AC1".to_owned(),
            key_sid: "SK1".to_owned(),
            service_sid: "IS1".to_owned(),
            identity: name.to_owned(),
            endpoint_id: None,
            push_credential_sid: None,
            deployment_role_sid: None,
            expires_at: 0,
        }
    }

    #[tokio::test]
    async fn an_endpoint_is_resumed_only_for_the_same_identity() {
        let dir = tempfile::tempdir().expect("dir");
        let cfg = StoreConfig {
            data_dir: dir.path().to_owned(),
            ..StoreConfig::default()
        };
        let chat = cfg.chat().await.expect("chat");
        let alice = identity("alice");

        let first = chat.resume_endpoint(&alice, None);
        assert_eq!(first.reissue_reason, Some(ReissueReason::NoContinuationToken));
        assert!(first.endpoint_id.starts_with("EP"));

        let again = chat.resume_endpoint(&alice, Some(&first.continuation_token));
        assert_eq!(again.reissue_reason, None);
        assert_eq!(again.endpoint_id, first.endpoint_id);

        let bob = chat.resume_endpoint(&identity("bob"), Some(&first.continuation_token));
        assert_eq!(bob.reissue_reason, Some(ReissueReason::DifferentIdentity));
        assert_ne!(bob.endpoint_id, first.endpoint_id);

        let plain = r#"{"endpoint_id":"EPx","account_sid":"AC1","service_sid":"IS1","identity":"alice","issued_at":0}"#;
        for forged in [plain, "sealed:v1:AAAA", "garbage"] {
            let r = chat.resume_endpoint(&alice, Some(forged));
            assert_eq!(
                r.reissue_reason,
                Some(ReissueReason::InvalidContinuationToken),
                "{forged}"
            );
        }
    }
}
