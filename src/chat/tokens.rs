//! Twilio Access Tokens: verifying the JWTs that end-user SDKs present, and minting them for
//! development (`banter token`).
//!
//! A token is an HS256 (or HS384/HS512, as twilio-node allows) JWT signed with an API key's
//! secret: header `cty: twilio-fpa;v=1`; claims `iss` (the key, SK…), `sub` (its account, AC…),
//! `exp`, optional `nbf`, and `grants` with `identity` and a `chat` grant (`ip_messaging` in
//! older tokens) naming the service.
//!
//! Each refusal carries Twilio's own Access Token error code, titled as in Twilio's error
//! dictionary (twilio.com/docs/api/errors/201xx):
//! - 20101 "Invalid Access Token": not a JWT, or its parts do not decode.
//! - 20102 "Invalid Access Token header": `cty` is not `twilio-fpa;v=1`, or `alg` is not HS*.
//! - 20103 "Invalid Access Token issuer/subject": the key does not exist (or was deleted), or
//!   `sub` is not its account.
//! - 20104 "Access Token expired or expiration date invalid": `exp` past, missing, or "too far
//!   in the future" (a lifetime above 24 hours).
//! - 20105 "Access Token not yet valid": `nbf` in the future.
//! - 20106 "Invalid Access Token grants": no chat grant, no or unknown service, no identity.
//! - 20107 "Invalid Access Token signature".
//!
//! Verified tokens are remembered until they expire, keyed by a SHA-256 of the token text, so a
//! repeated verification costs a hash and a map read. Each entry records the auth epoch its key
//! was loaded at (see [`super::auth`]): once a revocation moves the epoch, the entry is ignored
//! and the key is looked up again, so a deleted key's tokens are refused as soon as its Basic
//! credential is.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Chat, ChatError};
use crate::sid;

/// The content type every Twilio Access Token declares in its header.
pub const TOKEN_CTY: &str = "twilio-fpa;v=1";

/// The longest lifetime a token may have (`exp` minus its start): 24 hours, Twilio's limit.
pub const MAX_TTL_SECS: i64 = 24 * 60 * 60;

/// How far the clocks of the minting server and this one may disagree: `exp` is honoured up to
/// 60 s after it passed, `nbf` up to 60 s before it arrives.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Tolerance on the lifetime: helpers read the clock once for `nbf` and again for `exp`, so a
/// 24-hour token may span 86 401 s.
const TTL_ROUNDING_SECS: i64 = 1;

/// Verified tokens remembered per process; past this, stale entries are dropped, and if none
/// are, the cache starts over.
const MAX_REMEMBERED_TOKENS: usize = 100_000;

/// Who a verified Access Token speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenIdentity {
    /// The account (`sub`).
    pub account_sid: String,
    /// The API key that signed the token (`iss`).
    pub key_sid: String,
    /// The chat service of the grant.
    pub service_sid: String,
    /// The end user (`grants.identity`).
    pub identity: String,
    /// The legacy `endpoint_id` of the grant, if any.
    pub endpoint_id: Option<String>,
    /// The push credential of the grant, if any.
    pub push_credential_sid: Option<String>,
    /// The deployment role of the grant, if any (not checked here).
    pub deployment_role_sid: Option<String>,
    /// When the token expires (`exp`, Unix seconds).
    pub expires_at: i64,
}

/// What a development token is minted for.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The account (`sub`).
    pub account_sid: String,
    /// The signing API key (`iss`); it must belong to the account.
    pub key_sid: String,
    /// The chat service; it must belong to the account.
    pub service_sid: String,
    /// The end user.
    pub identity: String,
    /// Lifetime in seconds, 1 to 86 400.
    pub ttl_secs: i64,
}

struct Remembered {
    identity: Arc<TokenIdentity>,
    epoch: i64,
}

/// SHA-256 of a token → what it verified to.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<[u8; 32], Remembered>>,
}

impl TokenCache {
    fn get(&self, digest: &[u8; 32], min_epoch: i64, now: i64) -> Option<Arc<TokenIdentity>> {
        let map = self.entries.read().ok()?;
        let e = map.get(digest)?;
        (e.epoch >= min_epoch && now <= e.identity.expires_at + CLOCK_SKEW_SECS).then(|| Arc::clone(&e.identity))
    }

    fn put(&self, digest: [u8; 32], entry: Remembered, min_epoch: i64, now: i64) {
        let Ok(mut map) = self.entries.write() else {
            return;
        };
        if map.len() >= MAX_REMEMBERED_TOKENS {
            map.retain(|_, e| e.epoch >= min_epoch && now <= e.identity.expires_at + CLOCK_SKEW_SECS);
            if map.len() >= MAX_REMEMBERED_TOKENS {
                map.clear();
            }
        }
        map.insert(digest, entry);
    }

    /// How many tokens are remembered (tests).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |m| m.len())
    }

    /// Whether no token is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A refusal with Twilio's code; `title` is the dictionary's, `detail` says what was wrong.
fn refuse(code: u32, title: &str, detail: &str) -> ChatError {
    ChatError::new(code, format!("{title}: {detail}"))
}

fn malformed(detail: &str) -> ChatError {
    refuse(20101, "Invalid Access Token", detail)
}

fn bad_header(detail: &str) -> ChatError {
    refuse(20102, "Invalid Access Token header", detail)
}

fn bad_issuer(detail: &str) -> ChatError {
    refuse(20103, "Invalid Access Token issuer/subject", detail)
}

fn expired(detail: &str) -> ChatError {
    refuse(20104, "Access Token expired or expiration date invalid", detail)
}

fn bad_grants(detail: &str) -> ChatError {
    refuse(20106, "Invalid Access Token grants", detail)
}

/// Decodes one base64url segment into a JSON object.
fn json_segment(segment: &str, what: &str) -> Result<Map<String, Value>, ChatError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|_| malformed(&format!("the {what} is not base64url")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed(&format!("the {what} is not a JSON object"))),
    }
}

fn algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "HS256" => Some(Algorithm::HS256),
        "HS384" => Some(Algorithm::HS384),
        "HS512" => Some(Algorithm::HS512),
        _ => None,
    }
}

fn str_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// A time claim: absent is `Ok(None)`, anything but a whole number of seconds is an error.
fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, ()> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or(()),
    }
}

/// When the token's lifetime starts: `nbf`, else `iat`, else the time in a helper's
/// `jti` (`SK…-<unix time>`), else now.
fn lifetime_start(claims: &Map<String, Value>, nbf: Option<i64>, now: i64) -> i64 {
    nbf.or_else(|| time_claim(claims, "iat").ok().flatten())
        .or_else(|| {
            str_claim(claims, "jti")
                .and_then(|j| j.rsplit_once('-'))
                .and_then(|(_, t)| t.parse().ok())
        })
        .unwrap_or(now)
}

/// The current Unix time in seconds.
fn unix_now() -> i64 {
    crate::time::now().timestamp()
}

impl Chat {
    /// Verifies a Twilio Access Token and says whom it speaks for.
    ///
    /// # Errors
    /// [`ChatError::Twilio`] with Twilio's code (20101–20107, see the module documentation)
    /// for any token that is not acceptable; store failures.
    pub async fn verify_token(&self, jwt: &str) -> Result<TokenIdentity, ChatError> {
        let now = unix_now();
        let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, jwt.as_bytes())
            .as_ref()
            .try_into()
            .map_err(|_| malformed("cannot hash the token"))?;
        if let Some(known) = self.tokens.get(&digest, self.auth.epoch_seen(), now) {
            // The service may have been deleted since; that answer is itself cached.
            self.service(&known.account_sid, &known.service_sid)
                .await
                .map_err(|e| service_error(e, &known.service_sid))?;
            return Ok((*known).clone());
        }
        let (identity, epoch) = self.verify_uncached(jwt, now).await?;
        let identity = Arc::new(identity);
        let remembered = Remembered {
            identity: Arc::clone(&identity),
            epoch,
        };
        self.tokens.put(digest, remembered, self.auth.epoch_seen(), now);
        Ok((*identity).clone())
    }

    /// Changes whenever a key or account is revoked (on any node): a client socket re-checks
    /// its token then, and closes if it no longer verifies.
    #[must_use]
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<i64> {
        self.auth.revocations()
    }

    /// The verified tokens this process remembers.
    #[must_use]
    pub fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }

    /// Verifies `jwt` from scratch; returns its identity and the auth epoch its key was read at.
    async fn verify_uncached(&self, jwt: &str, now: i64) -> Result<(TokenIdentity, i64), ChatError> {
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("a JWT has three dot-separated parts"));
        };
        let head = json_segment(header, "header")?;
        let claims = json_segment(payload, "payload")?;

        if str_claim(&head, "cty") != Some(TOKEN_CTY) {
            return Err(bad_header("cty must be twilio-fpa;v=1"));
        }
        let alg = str_claim(&head, "alg")
            .and_then(algorithm)
            .ok_or_else(|| bad_header("alg must be HS256, HS384 or HS512"))?;

        let iss = str_claim(&claims, "iss").unwrap_or_default();
        if !sid::is_sid(sid::API_KEY, iss) {
            return Err(bad_issuer("iss must be an API key SID"));
        }
        let key = self
            .signing_key(iss)
            .await?
            .ok_or_else(|| bad_issuer("no such API key"))?;
        let message = &jwt[..header.len() + 1 + payload.len()];
        let valid = jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            &DecodingKey::from_secret(key.secret.as_bytes()),
            alg,
        )
        .unwrap_or(false);
        if !valid {
            return Err(refuse(
                20107,
                "Invalid Access Token signature",
                "not signed with this API key's secret",
            ));
        }
        if str_claim(&claims, "sub") != Some(key.account_sid.as_str()) {
            return Err(bad_issuer("sub is not the account of the API key"));
        }

        let exp = time_claim(&claims, "exp")
            .ok()
            .flatten()
            .ok_or_else(|| expired("exp must be a Unix time"))?;
        let nbf = time_claim(&claims, "nbf").map_err(|()| malformed("nbf must be a Unix time"))?;
        if now > exp.saturating_add(CLOCK_SKEW_SECS) {
            return Err(expired("the token has expired"));
        }
        if nbf.is_some_and(|nbf| now.saturating_add(CLOCK_SKEW_SECS) < nbf) {
            return Err(refuse(20105, "Access Token not yet valid", "nbf is in the future"));
        }
        let start = lifetime_start(&claims, nbf, now);
        if exp.saturating_sub(start) > MAX_TTL_SECS + TTL_ROUNDING_SECS {
            return Err(expired("the lifetime exceeds 24 hours"));
        }

        let grants = claims
            .get("grants")
            .and_then(Value::as_object)
            .ok_or_else(|| bad_grants("no grants"))?;
        let chat = grants
            .get("chat")
            .or_else(|| grants.get("ip_messaging"))
            .and_then(Value::as_object)
            .ok_or_else(|| bad_grants("no chat grant"))?;
        let service_sid =
            str_claim(chat, "service_sid").ok_or_else(|| bad_grants("the chat grant has no service_sid"))?;
        self.service(&key.account_sid, service_sid)
            .await
            .map_err(|e| service_error(e, service_sid))?;
        let identity = str_claim(grants, "identity")
            .filter(|i| !i.is_empty())
            .ok_or_else(|| bad_grants("no identity"))?;

        let optional = |name: &str| str_claim(chat, name).map(str::to_owned);
        let identity = TokenIdentity {
            account_sid: key.account_sid,
            key_sid: iss.to_owned(),
            service_sid: service_sid.to_owned(),
            identity: identity.to_owned(),
            endpoint_id: optional("endpoint_id"),
            push_credential_sid: optional("push_credential_sid"),
            deployment_role_sid: optional("deployment_role_sid"),
            expires_at: exp,
        };
        Ok((identity, key.epoch))
    }

    /// Mints an Access Token with a chat grant, signed HS256 with `input.key_sid`'s secret, the
    /// way twilio-python's `AccessToken` does (`nbf` now, `exp` now + TTL).
    ///
    /// # Errors
    /// 20001 for a TTL outside 1..=86 400 or an empty identity; [`ChatError::NotFound`] when
    /// the key or the service is not the account's; store failures.
    pub async fn mint_token(&self, input: &NewToken) -> Result<String, ChatError> {
        if !(1..=MAX_TTL_SECS).contains(&input.ttl_secs) {
            return Err(ChatError::invalid("ttl", "must be 1 to 86400 seconds"));
        }
        if input.identity.is_empty() {
            return Err(ChatError::invalid("identity", "must not be empty"));
        }
        let key = self
            .api_key(&input.key_sid)
            .await?
            .filter(|k| k.account_sid == input.account_sid)
            .ok_or(ChatError::NotFound)?;
        self.service(&input.account_sid, &input.service_sid).await?;
        let now = unix_now();
        let claims = json!({
            "jti": format!("{}-{now}", key.sid),
            "iss": key.sid,
            "sub": input.account_sid,
            "nbf": now,
            "exp": now + input.ttl_secs,
            "grants": {
                "identity": input.identity,
                "chat": {"service_sid": input.service_sid},
            },
        });
        let header = jsonwebtoken::Header {
            cty: Some(TOKEN_CTY.to_owned()),
            ..jsonwebtoken::Header::new(Algorithm::HS256)
        };
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key.secret.as_bytes()))
            .map_err(|e| ChatError::invalid("token", &e.to_string()))
    }
}

/// A grant's service that cannot be used: 20106, or the store's own failure.
fn service_error(e: ChatError, service_sid: &str) -> ChatError {
    match e {
        ChatError::NotFound | ChatError::Revoked => bad_grants(&format!("no service {service_sid} in this account")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::StoreConfig;

    async fn chat(dir: &std::path::Path) -> Chat {
        let cfg = StoreConfig {
            data_dir: dir.to_owned(),
            ..StoreConfig::default()
        };
        cfg.chat().await.expect("open store")
    }

    fn code(e: &ChatError) -> u32 {
        match e {
            ChatError::Twilio { code, .. } => *code,
            other => panic!("not a token error: {other:?}"),
        }
    }

    #[tokio::test]
    async fn cached_token_is_refused_once_its_key_is_deleted() {
        let dir = tempfile::tempdir().expect("dir");
        let chat = chat(dir.path()).await;
        let account = chat.create_account("a").await.expect("account");
        let key = chat.create_api_key(&account.sid, "k").await.expect("key");
        let service = chat.create_service(&account.sid, "s").await.expect("service");
        let jwt = chat
            .mint_token(&NewToken {
                account_sid: account.sid.clone(),
                key_sid: key.sid.clone(),
                service_sid: service.sid.clone(),
                identity: "alice".to_owned(),
                ttl_secs: 600,
            })
            .await
            .expect("mint");

        let first = chat.verify_token(&jwt).await.expect("verifies");
        assert_eq!(first.identity, "alice");
        assert_eq!(chat.token_cache().len(), 1);
        let again = chat.verify_token(&jwt).await.expect("verifies from the cache");
        assert_eq!(again, first);

        chat.delete_api_key(&account.sid, &key.sid).await.expect("delete");
        let err = chat.verify_token(&jwt).await.expect_err("refused");
        assert_eq!(code(&err), 20103, "{err}");
    }

    #[tokio::test]
    async fn cached_token_is_refused_once_its_service_is_deleted() {
        let dir = tempfile::tempdir().expect("dir");
        let chat = chat(dir.path()).await;
        let account = chat.create_account("a").await.expect("account");
        let key = chat.create_api_key(&account.sid, "k").await.expect("key");
        let service = chat.create_service(&account.sid, "s").await.expect("service");
        let input = NewToken {
            account_sid: account.sid.clone(),
            key_sid: key.sid.clone(),
            service_sid: service.sid.clone(),
            identity: "bob".to_owned(),
            ttl_secs: 600,
        };
        let jwt = chat.mint_token(&input).await.expect("mint");
        chat.verify_token(&jwt).await.expect("verifies");
        chat.delete_service(&account.sid, &service.sid).await.expect("delete");
        let err = chat.verify_token(&jwt).await.expect_err("refused");
        assert_eq!(code(&err), 20106, "{err}");
    }

    #[test]
    fn lifetime_starts_at_nbf_then_iat_then_jti() {
        let claims = |v: Value| v.as_object().cloned().expect("object");
        assert_eq!(lifetime_start(&claims(json!({"iat": 5})), Some(7), 0), 7);
        assert_eq!(lifetime_start(&claims(json!({"iat": 5})), None, 0), 5);
        assert_eq!(lifetime_start(&claims(json!({"jti": "SKab-12"})), None, 0), 12);
        assert_eq!(lifetime_start(&claims(json!({})), None, 9), 9);
    }
}
