//! Conversation timers: `Timers.Inactive` / `Timers.Closed` are checked with Twilio's codes,
//! rendered as `timers`, fire once (also when a second node sweeps the same database), and are
//! restarted by messages, which make an inactive conversation active again.

use std::collections::BTreeMap;
use std::time::Duration;

use banter::chat::TimerLimits;
use serde_json::Value;

use crate::harness::receiver::Receiver;
use crate::harness::{TestApp, assert_twilio_error, created, json};

/// How long a test waits for a timer (polling): generous, the machine may be busy.
const DEADLINE: Duration = Duration::from_secs(60);

/// A server that accepts timers down to one second.
async fn short_timers() -> TestApp {
    TestApp::spawn_with(|cfg| cfg.timer_limits = TimerLimits::lowered_to(Duration::from_secs(1))).await
}

/// Polls the conversation at `path` until its state is `state`; returns it.
async fn wait_state(app: &TestApp, path: &str, state: &str) -> Value {
    let start = std::time::Instant::now();
    loop {
        let c = app.get_json(path).await;
        if c["state"] == state {
            return c;
        }
        assert!(start.elapsed() < DEADLINE, "{path} never became {state}: {c}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn timers_are_checked_with_twilios_codes_and_rendered() {
    // Arrange: Twilio's minima (one minute, ten minutes).
    let app = TestApp::spawn().await;
    // Act + Assert: refusals.
    for (form, code) in [
        (("Timers.Inactive", "PT30S"), 50375),
        (("Timers.Closed", "PT9M59S"), 50376),
        (("Timers.Inactive", "ten minutes"), 50379),
        (("Timers.Closed", "P1H"), 50380),
    ] {
        let r = app.post("/v1/Conversations", &[form]).send().await.unwrap();
        assert_twilio_error(r, 400, code).await;
    }
    // A conversation without timers renders `{}`; with them, the instants they fire at.
    let plain = created(app.post("/v1/Conversations", &[]).send().await.unwrap()).await;
    assert_eq!(plain["timers"], serde_json::json!({}));
    let before = chrono::Utc::now().timestamp();
    let c = created(
        app.post(
            "/v1/Conversations",
            &[("Timers.Inactive", "PT1M"), ("Timers.Closed", "P1D")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let at = |name: &str| {
        let text = c["timers"][name].as_str().unwrap_or_else(|| panic!("{name} in {c}"));
        chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp()
    };
    assert!((before + 59..=before + 62).contains(&at("date_inactive")), "{c}");
    assert!((before + 86_399..=before + 86_402).contains(&at("date_closed")), "{c}");
    // An update with a bad timer is refused; closing removes the timers.
    let path = format!("/v1/Conversations/{}", c["sid"].as_str().unwrap());
    let r = app.post(&path, &[("Timers.Closed", "PT1M")]).send().await.unwrap();
    assert_twilio_error(r, 400, 50376).await;
    let closed = json(app.post(&path, &[("State", "closed")]).send().await.unwrap()).await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["timers"], serde_json::json!({}));
}

#[tokio::test]
async fn timers_fire_once_while_two_nodes_sweep() {
    // Arrange: post-event webhooks of the service to a receiver, and a second node (a second
    // handle on the same database) that sweeps as fast as it can alongside the server.
    let app = short_timers().await;
    let rx = Receiver::start().await;
    let s = app.service().await;
    let sid = s["sid"].as_str().unwrap();
    let sp = format!("/v1/Services/{sid}");
    let hook = rx.url("/post");
    let r = app
        .post(&format!("/v2/Services/{sid}"), &[("PostWebhookUrl", hook.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let other = app.operator().await;
    let sweeping = tokio::spawn(async move {
        let mut fired = 0;
        for _ in 0..600 {
            fired += other.sweep_timers().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        fired
    });
    // Act: conversations that go inactive after 1 s and close after 2 s.
    let mut paths = Vec::new();
    for _ in 0..5 {
        let c = created(
            app.post(
                &format!("{sp}/Conversations"),
                &[("Timers.Inactive", "PT1S"), ("Timers.Closed", "PT2S")],
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(c["state"], "active");
        let sid = c["sid"].as_str().unwrap().to_owned();
        paths.push((sid.clone(), format!("{sp}/Conversations/{sid}")));
    }
    for (_, path) in &paths {
        let c = wait_state(&app, path, "closed").await;
        assert_eq!(c["timers"], serde_json::json!({}));
    }
    // Assert: every conversation's two changes (inactive, closed) were delivered once each.
    let hits = rx.wait_for("/post", 2 * paths.len()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hits = if rx.hits().len() > hits.len() { rx.hits() } else { hits };
    for (sid, _) in &paths {
        let mut per_event: BTreeMap<String, usize> = BTreeMap::new();
        for h in &hits {
            if h.param("ChannelSid") == Some(sid) || h.param("ConversationSid") == Some(sid) {
                *per_event
                    .entry(h.param("EventType").unwrap_or("").to_owned())
                    .or_default() += 1;
            }
        }
        assert!(!per_event.is_empty(), "no delivery for {sid}: {hits:?}");
        assert!(per_event.values().all(|n| *n == 2), "{sid}: {per_event:?}");
    }
    sweeping.abort();
}

#[tokio::test]
async fn timers_restart_with_messages_and_reactivate_an_inactive_conversation() {
    // Arrange
    let app = short_timers().await;
    let c = created(
        app.post("/v1/Conversations", &[("Timers.Inactive", "PT2S")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path = format!("/v1/Conversations/{}", c["sid"].as_str().unwrap());
    let first = c["timers"]["date_inactive"].as_str().unwrap().to_owned();
    // Act: a message a little later moves the inactive timer on.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = app
        .post(&format!("{path}/Messages"), &[("Body", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let moved = app.get_json(&path).await;
    assert!(
        moved["timers"]["date_inactive"].as_str().unwrap() > first.as_str(),
        "{moved}"
    );
    // The timer fires: inactive, and no inactive timer is left.
    let inactive = wait_state(&app, &path, "inactive").await;
    assert_eq!(inactive["timers"], serde_json::json!({}));
    // Assert: a message (through the store's path, and with webhooks through the domain's)
    // makes it active again, with its timer restarted; then it goes inactive again.
    for header in ["false", "true"] {
        let r = app
            .post(&format!("{path}/Messages"), &[("Body", "back")])
            .header("X-Twilio-Webhook-Enabled", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let active = app.get_json(&path).await;
        assert_eq!(active["state"], "active", "{active}");
        assert!(active["timers"]["date_inactive"].is_string(), "{active}");
        wait_state(&app, &path, "inactive").await;
    }
}

#[tokio::test]
async fn timers_default_to_the_accounts_configuration() {
    // Arrange
    let app = short_timers().await;
    let r = app
        .post("/v1/Configuration", &[("DefaultClosedTimer", "PT1M")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .post("/v1/Configuration", &[("DefaultInactiveTimer", "soon")])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50379).await;
    // Act
    let with_default = created(app.post("/v1/Conversations", &[]).send().await.unwrap()).await;
    let own = created(
        app.post("/v1/Conversations", &[("Timers.Inactive", "PT1H")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    // Assert: the default closed timer applies to both; the inactive one only where given.
    assert!(with_default["timers"]["date_closed"].is_string(), "{with_default}");
    assert!(with_default["timers"].get("date_inactive").is_none(), "{with_default}");
    assert!(own["timers"]["date_closed"].is_string(), "{own}");
    assert!(own["timers"]["date_inactive"].is_string(), "{own}");
}
