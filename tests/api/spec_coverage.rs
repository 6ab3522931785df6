//! Every path and method of the official spec is routed: a method the spec does not list gives
//! 405 (so the path is routed; the fallback would give 404) and every listed method does not.

use serde_json::Value;

use crate::harness::TestApp;

#[tokio::test]
async fn spec_coverage_every_operation_is_routed() {
    let spec_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/twilio_chat_v2.json");
    let Ok(text) = std::fs::read_to_string(spec_path) else {
        panic!("the official spec must be readable at {spec_path}");
    };
    let spec: Value = serde_json::from_str(&text).unwrap();
    let app = TestApp::spawn().await;
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        // Concrete values for every placeholder; unknown SIDs give a resource 404, not a route 404.
        let concrete = path
            .replace("{ServiceSid}", "ISffffffffffffffffffffffffffffffff")
            .replace("{ChannelSid}", "CHffffffffffffffffffffffffffffffff")
            .replace("{UserSid}", "USffffffffffffffffffffffffffffffff")
            .replace("{Sid}", "XXffffffffffffffffffffffffffffffff");
        for method in ["get", "post", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
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
            assert!(body.is_object(), "{method} {path}: {body}");
        }
        let r = app.http.put(format!("{}{concrete}", app.base)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 405, "{path} is not routed");
    }
    assert_eq!(operations, 54);
}
