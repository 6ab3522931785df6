//! End users: Access Tokens for a test app's services, and requests made with them
//! (`Authorization: Bearer`, Banter's REST extension for token holders).

use banter::chat::NewToken;
use reqwest::RequestBuilder;

use super::TestApp;

/// An end user of one service: their identity and Access Token.
#[derive(Clone)]
pub struct EndUser {
    pub identity: String,
    pub jwt: String,
}

impl TestApp {
    /// An end user `identity` of `service_sid`, with a one-hour token signed by a new API key.
    pub async fn end_user(&self, service_sid: &str, identity: &str) -> EndUser {
        let chat = self.operator().await;
        let key = chat.create_api_key(&self.account_sid, "test").await.expect("api key");
        let jwt = chat
            .mint_token(&NewToken {
                account_sid: self.account_sid.clone(),
                key_sid: key.sid,
                service_sid: service_sid.to_owned(),
                identity: identity.to_owned(),
                ttl_secs: 3600,
            })
            .await
            .expect("mint token");
        EndUser {
            identity: identity.to_owned(),
            jwt,
        }
    }

    /// `GET path` as `user`.
    pub fn user_get(&self, user: &EndUser, path: &str) -> RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&user.jwt)
    }

    /// `POST path` with `form` as `user`.
    pub fn user_post(&self, user: &EndUser, path: &str, form: &[(&str, &str)]) -> RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(&user.jwt).form(form)
    }

    /// `DELETE path` as `user`.
    pub fn user_delete(&self, user: &EndUser, path: &str) -> RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(&user.jwt)
    }
}

impl TestApp {
    /// An end user who is a member of the channel at `ch` (a `/v2/Services/IS…/Channels/CH…`
    /// path), added by the operator.
    pub async fn member(&self, ch: &str, identity: &str) -> EndUser {
        let service_sid = ch
            .trim_start_matches("/v2/Services/")
            .split('/')
            .next()
            .expect("service in path");
        let user = self.end_user(service_sid, identity).await;
        let r = self
            .post(&format!("{ch}/Members"), &[("Identity", identity)])
            .send()
            .await
            .expect("send");
        assert!(
            r.status() == reqwest::StatusCode::CREATED || r.status() == reqwest::StatusCode::CONFLICT,
            "adding {identity}: {}",
            r.status()
        );
        user
    }
}
