//! The SSRF guard and the uniform "no usable answer" error of pre-event webhooks.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::receiver::Receiver;
use crate::harness::sinks::{Behaviour, Sink, channel_with, closed_port, metric, send_hooked};
use crate::harness::{TestApp, assert_twilio_error};

/// A server that refuses private webhook targets although it listens on 127.0.0.1.
async fn guarded() -> TestApp {
    TestApp::spawn_with(|c| c.webhooks_allow_private = Some(false)).await
}

/// Every way of writing "this machine" in a URL, with `port`.
fn spellings(port: u16) -> Vec<String> {
    [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f000001",
        "[::ffff:127.0.0.1]",
        "localhost",
        "user@127.0.0.1",
        "evil.com@127.0.0.1",
    ]
    .iter()
    .map(|host| format!("http://{host}:{port}"))
    .collect()
}

/// Sends a message through a pre-event hook at `url`; returns the error body (asserting 502).
async fn pre_event_failure(app: &TestApp, url: &str) -> Value {
    let ch = channel_with(app, &[("PreWebhookUrl", url)]).await;
    assert_twilio_error(send_hooked(app, &ch, "hi").await, 502, 50076).await
}

#[tokio::test]
async fn webhooks_to_this_machine_are_refused_in_every_spelling_when_private_targets_are_off() {
    // Arrange
    let app = guarded().await;
    let rx = Receiver::start().await;
    let port: u16 = rx.base.rsplit(':').next().unwrap().parse().unwrap();
    let mut bodies = Vec::new();
    for base in spellings(port) {
        // Act: a pre-event hook, then a post-event and a channel webhook on another service.
        bodies.push(pre_event_failure(&app, &format!("{base}/pre")).await);
        let post = format!("{base}/post");
        let ch = channel_with(&app, &[("PostWebhookUrl", post.as_str())]).await;
        let chan = format!("{base}/chan");
        let r = app
            .post(
                &format!("{ch}/Webhooks"),
                &[
                    ("Type", "webhook"),
                    ("Configuration.Url", chan.as_str()),
                    ("Configuration.Filters", "onMessageSent"),
                ],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{base}");
        assert_eq!(
            send_hooked(&app, &ch, "hi").await.status(),
            StatusCode::CREATED,
            "{base}"
        );
    }
    // Assert: all 16 post-event deliveries were tried and given up at once, none arrived, and
    // the pre-event answers are identical.
    let n = 2 * spellings(port).len() as u64;
    for _ in 0..100 {
        if metric(&app, "failed").await >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(metric(&app, "failed").await, n);
    assert_eq!(metric(&app, "retried").await, 0, "a refused target is not retried");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.hits().is_empty(), "the local receiver was reached: {:?}", rx.hits());
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:#?}");
}

#[tokio::test]
async fn webhooks_no_usable_answer_is_one_error_for_closed_open_refused_and_silent_targets() {
    // Arrange: a guarded server and one that allows private targets (the test default).
    let guarded = guarded().await;
    let open = TestApp::spawn().await;
    let http = Receiver::start().await;
    let not_http = Sink::start(Behaviour::NotHttp).await;
    let silent = Sink::start(Behaviour::Silent).await;
    let closed = format!("http://127.0.0.1:{}/hook", closed_port());
    // Act
    let mut bodies = vec![
        pre_event_failure(&guarded, &closed).await,
        pre_event_failure(&guarded, &http.url("/hook")).await,
        pre_event_failure(&guarded, &not_http.url("/hook")).await,
        pre_event_failure(&open, &closed).await,
        pre_event_failure(&open, &not_http.url("/hook")).await,
    ];
    let started = Instant::now();
    bodies.push(pre_event_failure(&open, &silent.url("/hook")).await);
    // Assert: the same status, code and message, whatever happened underneath.
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "the silent target timed out"
    );
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:#?}");
    let message = bodies[0]["message"].as_str().unwrap();
    for leak in ["127.0.0.1", "refused", "connect", "timed out", "error", "private"] {
        assert!(!message.to_lowercase().contains(leak), "{message}");
    }
    assert!(http.hits().is_empty(), "{:?}", http.hits());
    assert_eq!(
        not_http.connections(),
        1,
        "only the server allowing private targets connected"
    );
    assert_eq!(silent.connections(), 1);
}

#[tokio::test]
async fn webhooks_private_targets_are_allowed_when_the_setting_is_on() {
    // Arrange: the setting given explicitly on a loopback listener.
    let app = TestApp::spawn_with(|c| c.webhooks_allow_private = Some(true)).await;
    let rx = Receiver::start().await;
    let port: u16 = rx.base.rsplit(':').next().unwrap().parse().unwrap();
    // Act
    for base in spellings(port) {
        let url = format!("{base}/pre");
        let ch = channel_with(&app, &[("PreWebhookUrl", url.as_str())]).await;
        assert_eq!(
            send_hooked(&app, &ch, "hi").await.status(),
            StatusCode::CREATED,
            "{base}"
        );
    }
    // Assert
    assert_eq!(rx.hits().len(), spellings(port).len());
}
