//! One HTTP client for every webhook: checks the target, signs, sends form or query parameters,
//! reads a bounded answer and classifies the result.

use std::sync::Arc;
use std::time::Duration;

use super::guard::{Guard, GuardedResolver, Refusal};
use super::signature::sign;

/// Twilio's webhook timeout.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Most bytes of an answer that are read. Twilio's modify answers are a few small JSON fields;
/// a receiver that sends more (a 256 MB answer once took the server from 27 MB to 581 MB) gets
/// its connection dropped at this point.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What one attempt produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer, with its body when it fit in [`MAX_ANSWER_BYTES`] and arrived whole
    /// (`None` otherwise: reading stopped there).
    Delivered(Option<String>),
    /// A non-2xx answer (redirects are not followed, so 3xx lands here too).
    Status(u16),
    /// No answer. The reason is for logs and metrics only.
    NoAnswer(NoAnswer),
}

/// Why an attempt got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAnswer {
    /// The guard refused the target before anything was sent; trying again cannot help.
    Refused(String),
    /// No answer within [`TIMEOUT`].
    Timeout,
    /// Connection, TLS or protocol failure (including a port that does not speak HTTP).
    Failed(String),
}

impl Attempt {
    /// Worth another try under Twilio's rule (timeout, 429, 503, 504), widened to every 5xx and
    /// connection failure so that a receiver that is briefly down still gets its events. A
    /// refused target is not retried: its address does not change by waiting.
    #[must_use]
    pub fn retriable(&self) -> bool {
        match self {
            Self::Delivered(_) | Self::NoAnswer(NoAnswer::Refused(_)) => false,
            Self::Status(s) => *s == 429 || *s >= 500,
            Self::NoAnswer(_) => true,
        }
    }
}

/// Sends webhook requests.
#[derive(Clone)]
pub struct HookClient {
    http: reqwest::Client,
    guard: Guard,
}

impl HookClient {
    /// Builds the client (rustls, 5 s timeout, no redirects). Unless `allow_private`, targets
    /// whose address is not public are refused (see [`super::guard`]), and HTTP(S) proxies
    /// from the environment are not used: a proxy would resolve names itself, past the guard.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new(allow_private: bool) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A redirect would be a second target the guard has not seen; Twilio does not
            // follow them either.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Banter/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.no_proxy().dns_resolver(Arc::new(GuardedResolver));
        }
        Ok(Self {
            http: builder.build()?,
            guard: Guard { allow_private },
        })
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
        let get = method.eq_ignore_ascii_case("GET");
        let (target, signature) = if get {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            let sep = if url.contains('?') { '&' } else { '?' };
            let full = format!("{url}{sep}{query}");
            let signature = sign(auth_token, &full, &[]);
            (full, signature)
        } else {
            (url.to_owned(), sign(auth_token, url, params))
        };
        // The URL reqwest is given is the one checked, so both see the same host.
        let target = match self.guard.check(&target) {
            Ok(t) => t,
            Err(refusal) => return Attempt::NoAnswer(NoAnswer::Refused(refusal.to_string())),
        };
        let request = if get {
            self.http.get(target)
        } else {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            self.http
                .post(target)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
        };
        let request = request.header("X-Twilio-Signature", signature);
        let request = match delivery_id {
            Some(id) => request.header("I-Twilio-Idempotency-Token", id),
            None => request,
        };
        match request.send().await {
            Ok(resp) if resp.status().is_success() => Attempt::Delivered(read_capped(resp).await),
            Ok(resp) => Attempt::Status(resp.status().as_u16()),
            Err(e) => Attempt::NoAnswer(classify(&e)),
        }
    }
}

/// Reads the body chunk by chunk up to [`MAX_ANSWER_BYTES`]; `None` past the cap (the response,
/// and with it the connection, is dropped there) or when the body breaks off.
async fn read_capped(mut resp: reqwest::Response) -> Option<String> {
    if resp.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
        return None;
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return None;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Some(String::from_utf8_lossy(&body).into_owned()),
            Err(_) => return None,
        }
    }
}

/// The reason for the logs: a refusal by the resolver, a timeout, or the error chain.
fn classify(e: &reqwest::Error) -> NoAnswer {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(refusal) = err.downcast_ref::<Refusal>() {
            return NoAnswer::Refused(refusal.to_string());
        }
        source = err.source();
    }
    if e.is_timeout() {
        return NoAnswer::Timeout;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    NoAnswer::Failed(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn attempt(allow_private: bool, url: &str) -> Attempt {
        let client = HookClient::new(allow_private).expect("client");
        client.send(url, "POST", &[], "token", None).await
    }

    #[tokio::test]
    async fn refused_targets_are_not_retried_and_say_why_in_the_logs_only() {
        for url in ["http://127.0.0.1:1/x", "http://localhost:1/x", "ftp://example.com/x"] {
            let a = attempt(false, url).await;
            assert!(matches!(a, Attempt::NoAnswer(NoAnswer::Refused(_))), "{url}: {a:?}");
            assert!(!a.retriable(), "{url}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_a_retriable_failure_when_private_targets_are_allowed() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let a = attempt(true, &format!("http://127.0.0.1:{port}/x")).await;
        assert!(matches!(a, Attempt::NoAnswer(NoAnswer::Failed(_))), "{a:?}");
        assert!(a.retriable());
    }
}
