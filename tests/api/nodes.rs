//! Several processes on one database: events reach every node's bus, revocations every cache.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{Backend, TestApp, backend};

#[tokio::test]
async fn nodes_after_commit_events_reach_the_bus_of_every_node() {
    // Arrange: the test server is one node; a second handle on the database is another.
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let c: Value = app
        .post(&format!("{sp}/Channels"), &[])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other = app.operator().await;
    other.spawn_auth_watcher();
    let mut events = other.subscribe();
    tokio::time::sleep(Duration::from_millis(300)).await; // the listener connects
    // Act: a message through the server node, and one through the other node itself.
    let m: Value = app
        .post(
            &format!("{sp}/Channels/{}/Messages", c["sid"].as_str().unwrap()),
            &[("Body", "hi")],
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let input = banter::chat::NewMessage {
        body: Some("local".into()),
        ..Default::default()
    };
    let operator = banter::chat::Caller::operator(app.account_sid.clone(), false);
    let local = other
        .send_message(
            operator
                .service(s["sid"].as_str().unwrap())
                .channel(c["sid"].as_str().unwrap()),
            input,
        )
        .await
        .unwrap();
    // Assert
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Ok(e)) = tokio::time::timeout_at(deadline, events.recv()).await {
        assert_eq!(e.event_type, "onMessageSent");
        assert_eq!(e.channel_sid.as_deref(), c["sid"].as_str());
        seen.push(e.sid);
        if seen.len() == 2 || (backend() == Backend::Sqlite && seen.len() == 1) {
            break;
        }
    }
    assert!(
        seen.contains(&local.sid),
        "the node's own event is on its bus: {seen:?}"
    );
    if backend() == Backend::Postgres {
        assert!(
            seen.iter().any(|s| Some(s.as_str()) == m["sid"].as_str()),
            "another node's event arrived: {seen:?}"
        );
    }
}

#[tokio::test]
async fn nodes_deleted_account_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let (sid, token) = app.other_account().await;
    let url = format!("{}/v2/Services", app.base);
    let r = app.http.get(&url).basic_auth(&sid, Some(&token)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.operator().await.delete_account(&sid).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let r = app.http.get(&url).basic_auth(&sid, Some(&token)).send().await.unwrap();
        if r.status() == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "deleted account still accepted after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.get(&url).send().await.unwrap().status(),
        StatusCode::OK,
        "other accounts are unaffected"
    );
}

#[tokio::test]
async fn nodes_user_changes_reach_the_event_bus() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let service_sid = s["sid"].as_str().unwrap();
    let chat = app.operator().await;
    chat.spawn_auth_watcher();
    let mut events = chat.subscribe();
    let operator = banter::chat::Caller::operator(app.account_sid.clone(), false);
    tokio::time::sleep(Duration::from_millis(300)).await; // the listener connects (PostgreSQL)
    let user = chat
        .create_user(
            operator.service(service_sid),
            banter::chat::NewUser {
                identity: "alice".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let patch = banter::chat::UserPatch {
        friendly_name: Some("Alice".into()),
        ..Default::default()
    };
    chat.update_user(operator.service(service_sid), "alice", patch)
        .await
        .unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while seen.len() < 2 {
        let Ok(Ok(e)) = tokio::time::timeout_at(deadline, events.recv()).await else {
            break;
        };
        assert_eq!(e.service_sid, service_sid);
        assert_eq!(e.sid, user.sid);
        seen.push(e.event_type);
    }
    assert_eq!(seen, ["onUserAdded", "onUserUpdated"]);
}
