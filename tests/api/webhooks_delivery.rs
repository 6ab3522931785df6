//! Delivery limits: how much of an answer is read, and who waits for whom.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::receiver::Receiver;
use crate::harness::sinks::{Behaviour, Sink, channel_with, closed_port, metric, send_hooked};
use crate::harness::{TestApp, assert_twilio_error};

#[tokio::test]
async fn webhooks_pre_event_answers_past_64_kib_are_cut_off_and_fail_the_action() {
    for behaviour in [Behaviour::Endless, Behaviour::HugeLength] {
        // Arrange
        let app = TestApp::spawn().await;
        let sink = Sink::start(behaviour).await;
        let ch = channel_with(&app, &[("PreWebhookUrl", sink.url("/pre").as_str())]).await;
        // Act
        let started = Instant::now();
        let r = send_hooked(&app, &ch, "hi").await;
        // Assert: answered promptly, as a hook without a usable answer, having read little.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{behaviour:?}: {:?}",
            started.elapsed()
        );
        assert_twilio_error(r, 502, 50076).await;
        assert!(
            sink.written() < 16 * 1024 * 1024,
            "{behaviour:?}: {} bytes",
            sink.written()
        );
        let c: Value = app.get_json(&ch).await;
        assert_eq!(c["messages_count"], 0, "nothing stored");
    }
}

#[tokio::test]
async fn webhooks_pre_event_answers_under_the_cap_still_modify() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let ch = channel_with(&app, &[("PreWebhookUrl", rx.url("/pre").as_str())]).await;
    let answer = serde_json::json!({"body": "rewritten", "padding": "x".repeat(60 * 1024)});
    rx.answer(200, &answer.to_string());
    let r = send_hooked(&app, &ch, "original").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["body"], "rewritten");
}

#[tokio::test]
async fn webhooks_post_event_with_an_endless_answer_counts_as_delivered() {
    let app = TestApp::spawn().await;
    let sink = Sink::start(Behaviour::Endless).await;
    let ch = channel_with(&app, &[("PostWebhookUrl", sink.url("/post").as_str())]).await;
    assert_eq!(send_hooked(&app, &ch, "hi").await.status(), StatusCode::CREATED);
    for _ in 0..60 {
        if metric(&app, "sent").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(metric(&app, "sent").await, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.connections(), 1, "delivered once, not retried");
    assert!(sink.written() < 16 * 1024 * 1024, "{} bytes", sink.written());
}

#[tokio::test]
async fn webhooks_dead_channel_webhooks_do_not_hold_back_the_service_post_event_webhook() {
    // Arrange: the service's post-event hook is live; the channel has one webhook on a closed
    // port and one on a listener that never answers.
    let app = TestApp::spawn().await;
    let live = Receiver::start().await;
    let silent = Sink::start(Behaviour::Silent).await;
    let ch = channel_with(
        &app,
        &[
            ("PostWebhookUrl", live.url("/post").as_str()),
            ("PostWebhookRetryCount", "1"),
        ],
    )
    .await;
    let closed = format!("http://127.0.0.1:{}/dead", closed_port());
    for url in [closed, silent.url("/silent")] {
        let r = app
            .post(
                &format!("{ch}/Webhooks"),
                &[
                    ("Type", "webhook"),
                    ("Configuration.Url", url.as_str()),
                    ("Configuration.Filters", "onMessageSent"),
                    ("Configuration.RetryCount", "3"),
                ],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    // Act
    let started = Instant::now();
    let bodies: Vec<String> = (0..6).map(|i| format!("m{i}")).collect();
    for body in &bodies {
        assert_eq!(send_hooked(&app, &ch, body).await.status(), StatusCode::CREATED);
    }
    // Assert: the live receiver got everything in order, well before one 5 s timeout of the
    // silent receiver, while the dead ones are still being retried.
    let hits = live.wait_for("/post", bodies.len()).await;
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let got: Vec<&str> = hits.iter().map(|h| h.param("Body").unwrap()).collect();
    assert_eq!(got, bodies);
    assert!(hits.iter().all(|h| h.param("RetryCount") == Some("0")));
    for _ in 0..60 {
        if metric(&app, "retried").await >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(metric(&app, "retried").await >= 1, "the closed port is being retried");
    assert_eq!(silent.connections(), 1, "the silent receiver holds its first event");
    assert_eq!(metric(&app, "failed").await, 0);
}
