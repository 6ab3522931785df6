use std::time::Duration;

use reqwest::StatusCode;

use crate::harness::receiver::Receiver;
use crate::harness::{TestApp, assert_twilio_error, json};

/// A service whose hooks point at `rx`, and a channel in it. Returns (service path, channel path).
async fn hooked(app: &TestApp, rx: &Receiver, extra: &[(&str, &str)]) -> (String, String) {
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let (pre, post) = (rx.url("/pre"), rx.url("/post"));
    let mut form = vec![("PreWebhookUrl", pre.as_str()), ("PostWebhookUrl", post.as_str())];
    form.extend_from_slice(extra);
    assert_eq!(app.post(&sp, &form).send().await.unwrap().status(), StatusCode::OK);
    let c = json(
        app.post(&format!("{sp}/Channels"), &[("UniqueName", "room")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    (sp.clone(), format!("{sp}/Channels/{}", c["sid"].as_str().unwrap()))
}

#[tokio::test]
async fn webhooks_fire_only_with_the_header_and_are_signed() {
    // Arrange
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (sp, ch) = hooked(&app, &rx, &[]).await;
    // Act: the operator sends one message without the header, one with it.
    app.post(&format!("{ch}/Messages"), &[("Body", "quiet")])
        .send()
        .await
        .unwrap();
    let m = json(
        app.post(&format!("{ch}/Messages"), &[("Body", "loud"), ("From", "ann")])
            .header("X-Twilio-Webhook-Enabled", "true")
            .send()
            .await
            .unwrap(),
    )
    .await;
    // Assert: one post-event, and no pre-event at all (REST never fires them).
    let post = rx.wait_for("/post", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rx.hits().len(),
        1,
        "only the post-event of the message sent with the header"
    );
    let hit = &post[0];
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.param("EventType"), Some("onMessageSent"));
    assert_eq!(hit.param("MessageSid"), m["sid"].as_str());
    assert_eq!(hit.param("Index"), Some("1"));
    assert_eq!(hit.param("Body"), Some("loud"));
    assert_eq!(hit.param("From"), Some("ann"));
    assert_eq!(hit.param("AccountSid"), Some(app.account_sid.as_str()));
    assert_eq!(hit.param("InstanceSid"), Some(&sp["/v2/Services/".len()..]));
    assert_eq!(hit.param("RetryCount"), Some("0"));
    assert_eq!(hit.param("Source"), Some("API"));
    assert_eq!(hit.param("ClientIdentity"), None);
    let signature = hit.headers.get("x-twilio-signature").unwrap().to_str().unwrap();
    assert_eq!(
        signature,
        banter::webhooks::signature::sign(&app.auth_token, &rx.url("/post"), &hit.params)
    );
    assert!(hit.headers.contains_key("i-twilio-idempotency-token"));
}

#[tokio::test]
async fn webhooks_client_actions_fire_pre_and_post_events_with_their_identity() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (_, ch) = hooked(&app, &rx, &[]).await;
    let alice = app.member(&ch, "alice").await;
    // No header: a client action always fires its webhooks; it cannot pose as someone else.
    let m = json(
        app.user_post(
            &alice,
            &format!("{ch}/Messages"),
            &[("Body", "hi"), ("From", "mallory")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(m["from"], alice.identity.as_str());
    let pre = rx.wait_for("/pre", 1).await;
    let post = rx.wait_for("/post", 1).await;
    for (hit, event) in [(&pre[0], "onMessageSend"), (&post[0], "onMessageSent")] {
        assert_eq!(hit.param("EventType"), Some(event));
        assert_eq!(hit.param("Source"), Some("SDK"));
        assert_eq!(hit.param("ClientIdentity"), Some(alice.identity.as_str()));
        assert_eq!(hit.param("From"), Some(alice.identity.as_str()));
    }
    assert_eq!(pre[0].param("MessageSid"), None);
    assert_eq!(post[0].param("MessageSid"), m["sid"].as_str());
}

#[tokio::test]
async fn webhooks_pre_event_can_veto_and_modify() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (_, ch) = hooked(&app, &rx, &[]).await;
    let bob = app.member(&ch, "bob").await;
    let send = |body: &'static str| app.user_post(&bob, &format!("{ch}/Messages"), &[("Body", body)]).send();
    // A 403 from the pre-event hook rejects the message: nothing is stored, nothing is posted.
    rx.answer(403, "");
    let r = send("forbidden").await.unwrap();
    assert_twilio_error(r, 403, 20403).await;
    let c = json(app.get(&ch).send().await.unwrap()).await;
    assert_eq!(c["messages_count"], 0);
    // A 200 with a new body modifies the message.
    rx.answer(200, r#"{"body": "rewritten", "attributes": "{\"moderated\":true}"}"#);
    let m = json(send("original").await.unwrap()).await;
    assert_eq!(m["body"], "rewritten");
    assert_eq!(m["attributes"], r#"{"moderated":true}"#);
    let post = rx.wait_for("/post", 1).await;
    assert_eq!(post.len(), 1);
    assert_eq!(post[0].param("Body"), Some("rewritten"));
}

#[tokio::test]
async fn webhooks_post_event_retries_until_delivered() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (_, ch) = hooked(
        &app,
        &rx,
        &[("PostWebhookRetryCount", "2"), ("WebhookFilters", "onMessageSent")],
    )
    .await;
    rx.answer(503, "");
    rx.answer(503, "");
    app.post(&format!("{ch}/Messages"), &[("Body", "again")])
        .header("X-Twilio-Webhook-Enabled", "true")
        .send()
        .await
        .unwrap();
    let hits = rx.wait_for("/post", 3).await;
    let tries: Vec<Option<&str>> = hits.iter().map(|h| h.param("RetryCount")).collect();
    assert_eq!(tries, [Some("0"), Some("1"), Some("2")]);
    let ids: Vec<_> = hits
        .iter()
        .map(|h| h.headers.get("i-twilio-idempotency-token").cloned())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one delivery id across retries");
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("banter_webhook_deliveries_total{result=\"retried\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("banter_webhook_deliveries_total{result=\"sent\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn webhooks_filters_select_events_and_get_method_uses_the_query() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (_, ch) = hooked(
        &app,
        &rx,
        &[("WebhookFilters", "onMemberAdded"), ("WebhookMethod", "GET")],
    )
    .await;
    app.post(&format!("{ch}/Messages"), &[("Body", "unwatched")])
        .header("X-Twilio-Webhook-Enabled", "true")
        .send()
        .await
        .unwrap();
    app.post(&format!("{ch}/Members"), &[("Identity", "mo")])
        .header("X-Twilio-Webhook-Enabled", "true")
        .send()
        .await
        .unwrap();
    let hits = rx.wait_for("/post", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits().len(), 1, "{:?}", rx.hits());
    let hit = &hits[0];
    assert_eq!(hit.method, "GET");
    assert_eq!(hit.param("EventType"), Some("onMemberAdded"));
    assert_eq!(hit.param("Identity"), Some("mo"));
    let full = format!("{}?{}", rx.url("/post"), hit.query.as_deref().unwrap());
    let signature = hit.headers.get("x-twilio-signature").unwrap().to_str().unwrap();
    assert_eq!(
        signature,
        banter::webhooks::signature::sign(&app.auth_token, &full, &[])
    );
}

#[tokio::test]
async fn webhooks_channel_trigger_fires_on_keyword() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let c = json(app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await;
    let ch = format!("{sp}/Channels/{}", c["sid"].as_str().unwrap());
    let url = rx.url("/trigger");
    let r = app
        .post(
            &format!("{ch}/Webhooks"),
            &[
                ("Type", "trigger"),
                ("Configuration.Url", url.as_str()),
                ("Configuration.Triggers", "help"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let w = json(r).await;
    for body in ["hello", "I need HELP please"] {
        app.post(&format!("{ch}/Messages"), &[("Body", body)])
            .header("X-Twilio-Webhook-Enabled", "true")
            .send()
            .await
            .unwrap();
    }
    let hits = rx.wait_for("/trigger", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits().len(), 1);
    assert_eq!(hits[0].param("Body"), Some("I need HELP please"));
    assert_eq!(hits[0].param("WebhookSid"), w["sid"].as_str());
    assert_eq!(hits[0].param("WebhookType"), Some("trigger"));
}

#[tokio::test]
async fn webhooks_rejected_change_writes_no_delivery() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (_, ch) = hooked(&app, &rx, &[]).await;
    let long = "x".repeat(40 * 1024);
    let r = app
        .post(&format!("{ch}/Messages"), &[("Body", long.as_str())])
        .header("X-Twilio-Webhook-Enabled", "true")
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50504).await;
    app.post(&format!("{ch}/Members"), &[("Identity", "dup")])
        .send()
        .await
        .unwrap();
    let r = app
        .post(&format!("{ch}/Members"), &[("Identity", "dup")])
        .header("X-Twilio-Webhook-Enabled", "true")
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 409, 50404).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.hits().iter().all(|h| h.path != "/post"), "{:?}", rx.hits());
}

#[tokio::test]
async fn webhooks_an_end_users_first_request_creates_the_user_as_their_own_action() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let (sp, _) = hooked(&app, &rx, &[]).await;
    let newbie = app.end_user(&sp["/v2/Services/".len()..], "newbie").await;
    let r = app.user_get(&newbie, &format!("{sp}/Channels")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let post = rx.wait_for("/post", 1).await;
    assert_eq!(post[0].param("EventType"), Some("onUserAdded"));
    assert_eq!(post[0].param("Identity"), Some("newbie"));
    assert_eq!(post[0].param("Source"), Some("SDK"));
    assert_eq!(post[0].param("ClientIdentity"), Some("newbie"));
    assert!(
        rx.hits().iter().all(|h| h.path != "/pre"),
        "onUserAdded has no pre-event"
    );
}

#[tokio::test]
async fn webhooks_channel_webhooks_fire_for_end_users_messages() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let c = json(app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await;
    let ch = format!("{sp}/Channels/{}", c["sid"].as_str().unwrap());
    let hook = rx.url("/chan");
    let form = [
        ("Type", "webhook"),
        ("Configuration.Url", hook.as_str()),
        ("Configuration.Filters", "onMessageSent"),
    ];
    assert_eq!(
        app.post(&format!("{ch}/Webhooks"), &form)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    let carol = app.member(&ch, "carol").await;
    let r = app
        .user_post(&carol, &format!("{ch}/Messages"), &[("Body", "to the hook")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let hits = rx.wait_for("/chan", 1).await;
    assert_eq!(hits[0].param("EventType"), Some("onMessageSent"));
    assert_eq!(hits[0].param("Body"), Some("to the hook"));
    assert_eq!(hits[0].param("ClientIdentity"), Some("carol"));
}
