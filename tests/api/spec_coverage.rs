//! Every path and method of the official specs is routed: a method a spec does not list gives
//! 405 (so the path is routed; the fallback would give 404) and every listed method does not.
//! Chat v2, Conversations v1 and Chat v3 (its channel update) are checked.

use serde_json::Value;

use crate::harness::TestApp;

/// Operations that answer 501 (routed, not served yet): each must leave this list once served.
const UNSERVED: &[&str] = &[];

/// Calls every operation of the spec `file` with made-up SIDs; returns how many it has and
/// the ones answered 501.
async fn check(app: &TestApp, file: &str) -> (usize, Vec<String>) {
    let spec_path = format!("{}/../shared/spec/{file}", env!("CARGO_MANIFEST_DIR"));
    let Ok(text) = std::fs::read_to_string(&spec_path) else {
        panic!("the official spec must be readable at {spec_path}");
    };
    let spec: Value = serde_json::from_str(&text).unwrap();
    let mut operations = 0;
    let mut unserved = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        // Concrete values for every placeholder; unknown SIDs give a resource 404, not a route 404.
        let concrete = path
            .replace("{ServiceSid}", "ISffffffffffffffffffffffffffffffff")
            .replace("{ChatServiceSid}", "ISffffffffffffffffffffffffffffffff")
            .replace("{ChannelSid}", "CHffffffffffffffffffffffffffffffff")
            .replace("{ConversationSid}", "CHffffffffffffffffffffffffffffffff")
            .replace("{MessageSid}", "IMffffffffffffffffffffffffffffffff")
            .replace("{UserSid}", "USffffffffffffffffffffffffffffffff")
            .replace("{Sid}", "XXffffffffffffffffffffffffffffffff");
        let mut listed = 0;
        for method in ["get", "post", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            listed += 1;
            let url = format!("{}{concrete}", app.base);
            let req = match method {
                "get" => app.http.get(&url),
                "post" => app.http.post(&url).form(&[("FriendlyName", "x")]),
                _ => app.http.delete(&url),
            };
            let r = req
                .basic_auth(&app.account_sid, Some(&app.auth_token))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is not routed");
            assert_ne!(status, 500, "{method} {path}: {body}");
            assert!(body.is_object(), "{method} {path}: {body}");
            if status == 501 {
                unserved.push(format!("{method} {path}"));
            }
        }
        if listed == 0 {
            // Listed for its parameters only (Chat v3's channel list): nothing to route.
            continue;
        }
        let r = app.http.put(format!("{}{concrete}", app.base)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 405, "{path} is not routed");
    }
    (operations, unserved)
}

#[tokio::test]
async fn spec_coverage_every_operation_is_routed() {
    let app = TestApp::spawn().await;
    let (operations, unserved) = check(&app, "twilio_chat_v2.json").await;
    assert_eq!(operations, 54);
    assert!(unserved.is_empty(), "{unserved:?}");
}

#[tokio::test]
async fn spec_coverage_every_conversations_and_chat_v3_operation_is_routed() {
    let app = TestApp::spawn().await;
    let (operations, mut unserved) = check(&app, "twilio_conversations_v1.json").await;
    assert_eq!(operations, 103);
    let (v3, more) = check(&app, "twilio_chat_v3.json").await;
    assert_eq!(v3, 1);
    unserved.extend(more);
    let mut expected: Vec<String> = UNSERVED.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    unserved.sort();
    assert_eq!(unserved, expected, "the operations answered 501");
}
