//! One HTTP client for every webhook: signs, sends form or query parameters, classifies results.

use std::time::Duration;

use super::signature::sign;

/// Twilio's webhook timeout.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What one attempt produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer, with its body.
    Delivered(String),
    /// A non-2xx answer.
    Status(u16),
    /// No answer: connection failure or timeout.
    NoAnswer(String),
}

impl Attempt {
    /// Worth another try under Twilio's rule (timeout, 429, 503, 504), widened to every 5xx and
    /// connection failure so that a receiver that is briefly down still gets its events.
    #[must_use]
    pub fn retriable(&self) -> bool {
        match self {
            Self::Delivered(_) => false,
            Self::Status(s) => *s == 429 || *s >= 500,
            Self::NoAnswer(_) => true,
        }
    }
}

/// Sends webhook requests.
#[derive(Clone)]
pub struct HookClient {
    http: reqwest::Client,
}

impl HookClient {
    /// Builds the client (rustls, 5 s timeout, no redirects).
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Banter/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http })
    }

    /// Sends one signed request. `delivery_id` goes in `I-Twilio-Idempotency-Token` so receivers
    /// can deduplicate retries.
    pub async fn send(
        &self,
        url: &str,
        method: &str,
        params: &[(String, String)],
        auth_token: &str,
        delivery_id: Option<&str>,
    ) -> Attempt {
        let request = if method.eq_ignore_ascii_case("GET") {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            let sep = if url.contains('?') { '&' } else { '?' };
            let full = format!("{url}{sep}{query}");
            let signature = sign(auth_token, &full, &[]);
            self.http.get(full).header("X-Twilio-Signature", signature)
        } else {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            let signature = sign(auth_token, url, params);
            self.http
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Twilio-Signature", signature)
                .body(body)
        };
        let request = match delivery_id {
            Some(id) => request.header("I-Twilio-Idempotency-Token", id),
            None => request,
        };
        match request.send().await {
            Ok(resp) if resp.status().is_success() => Attempt::Delivered(resp.text().await.unwrap_or_default()),
            Ok(resp) => Attempt::Status(resp.status().as_u16()),
            Err(e) if e.is_timeout() => Attempt::NoAnswer("timeout".to_owned()),
            Err(e) => Attempt::NoAnswer(e.to_string()),
        }
    }
}
