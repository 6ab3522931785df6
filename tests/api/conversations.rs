//! The Conversations API's account-level state: the default Conversations service is created
//! once, however many requests (on however many nodes) need it at the same moment.

use serde_json::Value;

use crate::harness::TestApp;

#[tokio::test]
async fn conversations_default_service_is_created_once_under_concurrent_first_use() {
    // Arrange: a server node and a second node on the same database, for a fresh account.
    let app = TestApp::spawn().await;
    let other = app.operator().await;
    // Act: the first uses of the account's Conversations, all at once, through both nodes.
    let through_http = (0..6).map(|_| async {
        let r = app.get("/v1/Configuration").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let v: Value = r.json().await.unwrap();
        v["default_chat_service_sid"].as_str().unwrap().to_owned()
    });
    let through_domain = (0..6).map(|_| async {
        other
            .conversations_account(&app.account_sid)
            .await
            .unwrap()
            .default_service_sid
    });
    let (a, b) = tokio::join!(
        futures_util::future::join_all(through_http),
        futures_util::future::join_all(through_domain)
    );
    // Assert: one service, the same for everyone, and no other service was left behind.
    let sid = a[0].clone();
    assert!(a.iter().chain(b.iter()).all(|s| *s == sid), "{a:?} {b:?}");
    let services: Value = app.get_json("/v1/Services").await;
    let sids: Vec<&str> = services["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["friendly_name"] == "Default Conversations Service")
        .map(|s| s["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, [sid.as_str()]);
}

#[tokio::test]
async fn conversations_a_deleted_default_service_is_replaced() {
    let app = TestApp::spawn().await;
    let first: Value = app.get_json("/v1/Configuration").await;
    let sid = first["default_chat_service_sid"].as_str().unwrap();
    let r = app.delete(&format!("/v1/Services/{sid}")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let c: Value = app
        .post("/v1/Conversations", &[])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second: Value = app.get_json("/v1/Configuration").await;
    let replaced = second["default_chat_service_sid"].as_str().unwrap();
    assert_ne!(replaced, sid);
    assert_eq!(c["chat_service_sid"].as_str(), Some(replaced));
}
