use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestApp, assert_sid, assert_twilio_error, json};

/// A service and one channel; returns (service path, channel path).
async fn channel(app: &TestApp, unique: &str) -> (String, String) {
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let r = app
        .post(&format!("{sp}/Channels"), &[("UniqueName", unique)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let c = json(r).await;
    (sp.clone(), format!("{sp}/Channels/{}", c["sid"].as_str().unwrap()))
}

#[tokio::test]
async fn messages_get_gap_free_indexes_under_200_concurrent_senders() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, ch) = channel(&app, "busy").await;
    // Act
    let mut tasks = Vec::new();
    for i in 0..200 {
        let req = app.post(&format!("{ch}/Messages"), &[("Body", format!("m{i}").as_str())]);
        tasks.push(tokio::spawn(async move { req.send().await.unwrap() }));
    }
    let mut indexes = BTreeSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let m = json(r).await;
        assert!(indexes.insert(m["index"].as_i64().unwrap()), "duplicate index");
    }
    // Assert
    assert_eq!(indexes, (0..200).collect::<BTreeSet<i64>>());
    let c = json(app.get(&ch).send().await.unwrap()).await;
    assert_eq!(c["messages_count"], 200);
}

#[tokio::test]
async fn members_counters_stay_exact_under_concurrent_add_and_remove() {
    let app = TestApp::spawn().await;
    let (sp, ch1) = channel(&app, "one").await;
    let ch2 = format!(
        "{sp}/Channels/{}",
        json(app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await["sid"]
            .as_str()
            .unwrap()
    );
    let mut tasks = Vec::new();
    for i in 0..30 {
        for ch in [&ch1, &ch2] {
            let req = app.post(&format!("{ch}/Members"), &[("Identity", format!("u{i}").as_str())]);
            tasks.push(tokio::spawn(async move { req.send().await.unwrap().status() }));
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    let mut tasks = Vec::new();
    for i in (0..30).step_by(2) {
        let req = app.delete(&format!("{ch1}/Members/u{i}"));
        tasks.push(tokio::spawn(async move { req.send().await.unwrap().status() }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::NO_CONTENT);
    }
    let c1 = json(app.get(&ch1).send().await.unwrap()).await;
    let c2 = json(app.get(&ch2).send().await.unwrap()).await;
    assert_eq!(c1["members_count"], 15);
    assert_eq!(c2["members_count"], 30);
    let listed = json(app.get(&format!("{ch1}/Members?PageSize=100")).send().await.unwrap()).await;
    assert_eq!(listed["members"].as_array().unwrap().len(), 15);
    for i in 0..30 {
        let u = json(app.get(&format!("{sp}/Users/u{i}")).send().await.unwrap()).await;
        assert_eq!(u["joined_channels_count"], if i % 2 == 0 { 1 } else { 2 }, "u{i}");
    }
    // Deleting a channel corrects every member's count.
    assert_eq!(app.delete(&ch2).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let u = json(app.get(&format!("{sp}/Users/u1")).send().await.unwrap()).await;
    assert_eq!(u["joined_channels_count"], 1);
}

#[tokio::test]
async fn members_add_creates_the_user_and_enforces_limits() {
    let app = TestApp::spawn().await;
    let (sp, ch) = channel(&app, "limited").await;
    let s = json(app.get(&sp).send().await.unwrap()).await;
    let m = json(
        app.post(&format!("{ch}/Members"), &[("Identity", "zoe")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_sid(&m["sid"], "MB");
    assert_eq!(m["role_sid"], s["default_channel_role_sid"]);
    assert_eq!(m["attributes"], "{}");
    let u = json(app.get(&format!("{sp}/Users/zoe")).send().await.unwrap()).await;
    assert_eq!(u["role_sid"], s["default_service_role_sid"]);
    assert_eq!(u["joined_channels_count"], 1);
    assert_twilio_error(
        app.post(&format!("{ch}/Members"), &[("Identity", "zoe")])
            .send()
            .await
            .unwrap(),
        409,
        50404,
    )
    .await;
    app.post(&sp, &[("Limits.ChannelMembers", "2"), ("Limits.UserChannels", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.post(&format!("{ch}/Members"), &[("Identity", "yan")])
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    assert_twilio_error(
        app.post(&format!("{ch}/Members"), &[("Identity", "xia")])
            .send()
            .await
            .unwrap(),
        403,
        50403,
    )
    .await;
    let other = json(app.post(&format!("{sp}/Channels"), &[]).send().await.unwrap()).await;
    let r = app
        .post(
            &format!("{sp}/Channels/{}/Members", other["sid"].as_str().unwrap()),
            &[("Identity", "zoe")],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 403, 50208).await;
    let c = json(app.get(&ch).send().await.unwrap()).await;
    assert_eq!(c["members_count"], 2);
}

#[tokio::test]
async fn messages_edit_delete_and_page_in_both_orders() {
    let app = TestApp::spawn().await;
    let (_, ch) = channel(&app, "pages").await;
    let mut sids = Vec::new();
    for i in 0..7 {
        let m = json(
            app.post(
                &format!("{ch}/Messages"),
                &[("Body", format!("b{i}").as_str()), ("From", "ann")],
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(m["from"], "ann");
        assert_eq!(m["to"], m["channel_sid"]);
        sids.push(m["sid"].as_str().unwrap().to_owned());
    }
    let edited = json(
        app.post(&format!("{ch}/Messages/{}", sids[1]), &[("Body", "edited")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(edited["was_edited"], true);
    assert_eq!(edited["body"], "edited");
    assert_eq!(
        app.delete(&format!("{ch}/Messages/{}", sids[3]))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    for (order, expected) in [("asc", vec![0, 1, 2, 4, 5, 6]), ("desc", vec![6, 5, 4, 2, 1, 0])] {
        let mut seen = Vec::new();
        let mut url = Some(format!("{ch}/Messages?Order={order}&PageSize=2"));
        while let Some(u) = url {
            let page = json(app.get(&u).send().await.unwrap()).await;
            seen.extend(
                page["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["index"].as_i64().unwrap()),
            );
            url = page["meta"]["next_page_url"].as_str().map(str::to_owned);
        }
        assert_eq!(seen, expected, "{order}");
    }
    let c = json(app.get(&ch).send().await.unwrap()).await;
    assert_eq!(c["messages_count"], 6);
    assert!(c["links"]["last_message"].as_str().unwrap().ends_with(&sids[6]));
    let long = "x".repeat(32 * 1024 + 1);
    assert_twilio_error(
        app.post(&format!("{ch}/Messages"), &[("Body", long.as_str())])
            .send()
            .await
            .unwrap(),
        400,
        50504,
    )
    .await;
    let c = json(app.get(&ch).send().await.unwrap()).await;
    assert_eq!(c["messages_count"], 6);
    let m = json(app.post(&format!("{ch}/Messages"), &[]).send().await.unwrap()).await;
    assert_eq!(m["index"], 7);
    assert_eq!(m["from"], "system");
    assert_eq!(m["body"], "");
}

#[tokio::test]
async fn user_channels_report_unread_counts_and_leave() {
    let app = TestApp::spawn().await;
    let (sp, ch) = channel(&app, "reading").await;
    app.post(&format!("{ch}/Members"), &[("Identity", "rita")])
        .send()
        .await
        .unwrap();
    for _ in 0..5 {
        app.post(&format!("{ch}/Messages"), &[("Body", "x")])
            .send()
            .await
            .unwrap();
    }
    let uc_url = format!("{sp}/Users/rita/Channels/reading");
    let uc = json(app.get(&uc_url).send().await.unwrap()).await;
    assert_eq!(uc["status"], "joined");
    assert_eq!(uc["unread_messages_count"], Value::Null);
    let uc = json(
        app.post(
            &uc_url,
            &[("LastConsumedMessageIndex", "1"), ("NotificationLevel", "muted")],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(uc["unread_messages_count"], 3);
    assert_eq!(uc["notification_level"], "muted");
    assert_eq!(uc["last_consumed_message_index"], 1);
    let list = json(app.get(&format!("{sp}/Users/rita/Channels")).send().await.unwrap()).await;
    assert_eq!(list["channels"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.delete(&uc_url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let c = json(app.get(&ch).send().await.unwrap()).await;
    assert_eq!(c["members_count"], 0);
    assert_twilio_error(app.get(&uc_url).send().await.unwrap(), 404, 20404).await;
}

#[tokio::test]
async fn invites_require_a_user_and_are_consumed_by_joining() {
    let app = TestApp::spawn().await;
    let (sp, ch) = channel(&app, "party").await;
    assert_twilio_error(
        app.post(&format!("{ch}/Invites"), &[("Identity", "ghost")])
            .send()
            .await
            .unwrap(),
        404,
        20404,
    )
    .await;
    app.post(&format!("{sp}/Users"), &[("Identity", "ivy")])
        .send()
        .await
        .unwrap();
    let inv = json(
        app.post(&format!("{ch}/Invites"), &[("Identity", "ivy")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_sid(&inv["sid"], "IN");
    assert_twilio_error(
        app.post(&format!("{ch}/Invites"), &[("Identity", "ivy")])
            .send()
            .await
            .unwrap(),
        409,
        50212,
    )
    .await;
    let uc = json(app.get(&format!("{sp}/Users/ivy/Channels")).send().await.unwrap()).await;
    assert_eq!(uc["channels"][0]["status"], "invited");
    app.post(&format!("{ch}/Members"), &[("Identity", "ivy")])
        .send()
        .await
        .unwrap();
    let invites = json(app.get(&format!("{ch}/Invites")).send().await.unwrap()).await;
    assert_eq!(invites["invites"].as_array().unwrap().len(), 0);
    assert_twilio_error(
        app.post(&format!("{ch}/Invites"), &[("Identity", "ivy")])
            .send()
            .await
            .unwrap(),
        409,
        50404,
    )
    .await;
}

#[tokio::test]
async fn channel_webhooks_validate_and_cap_at_five() {
    let app = TestApp::spawn().await;
    let (_, ch) = channel(&app, "hooks").await;
    let hooks = format!("{ch}/Webhooks");
    let w = json(
        app.post(
            &hooks,
            &[
                ("Type", "webhook"),
                ("Configuration.Url", "https://example.com/h"),
                ("Configuration.Filters", "onMessageSent"),
                ("Configuration.RetryCount", "2"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_sid(&w["sid"], "WH");
    assert_eq!(w["configuration"]["url"], "https://example.com/h");
    assert_eq!(w["configuration"]["method"], "POST");
    assert_eq!(w["configuration"]["retry_count"], 2);
    let r = app
        .post(
            &hooks,
            &[
                ("Type", "webhook"),
                ("Configuration.Url", "https://e.com"),
                ("Configuration.RetryCount", "5"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50065).await;
    assert_twilio_error(
        app.post(&hooks, &[("Type", "webhook")]).send().await.unwrap(),
        400,
        20001,
    )
    .await;
    for _ in 0..4 {
        let r = app
            .post(
                &hooks,
                &[
                    ("Type", "trigger"),
                    ("Configuration.Url", "https://e.com"),
                    ("Configuration.Triggers", "kw"),
                ],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = app
        .post(
            &hooks,
            &[
                ("Type", "studio"),
                ("Configuration.FlowSid", "FWffffffffffffffffffffffffffffffff"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 403, 50321).await;
    let list = json(app.get(&hooks).send().await.unwrap()).await;
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 5);
    assert_eq!(list["meta"]["page_size"], 5);
}

#[tokio::test]
async fn bindings_list_filter_and_delete() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sid = s["sid"].as_str().unwrap();
    let op = app.operator().await;
    let mk = |identity: &str, t: &str| banter::chat::NewBinding {
        identity: identity.into(),
        endpoint: format!("ep-{identity}"),
        binding_type: t.into(),
        credential_sid: None,
        message_types: vec![],
    };
    let operator = banter::chat::Caller::operator(app.account_sid.clone(), false);
    let a = op.create_binding(operator.service(sid), mk("al", "apn")).await.unwrap();
    op.create_binding(operator.service(sid), mk("bo", "fcm")).await.unwrap();
    app.post(&format!("/v2/Services/{sid}/Users"), &[("Identity", "al")])
        .send()
        .await
        .unwrap();
    let all = json(app.get(&format!("/v2/Services/{sid}/Bindings")).send().await.unwrap()).await;
    assert_eq!(all["bindings"].as_array().unwrap().len(), 2);
    let apn = json(
        app.get(&format!("/v2/Services/{sid}/Bindings?BindingType=apn"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(apn["bindings"][0]["identity"], "al");
    assert_eq!(apn["bindings"].as_array().unwrap().len(), 1);
    let mine = json(
        app.get(&format!("/v2/Services/{sid}/Users/al/Bindings"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mine["bindings"].as_array().unwrap().len(), 1);
    assert_sid(&mine["bindings"][0]["user_sid"], "US");
    let url = format!("/v2/Services/{sid}/Bindings/{}", a.sid);
    assert_eq!(app.delete(&url).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_twilio_error(app.get(&url).send().await.unwrap(), 404, 20404).await;
}

#[tokio::test]
async fn channels_unique_name_is_unique_and_addressable() {
    let app = TestApp::spawn().await;
    let (sp, ch) = channel(&app, "lobby").await;
    let by_name = json(app.get(&format!("{sp}/Channels/lobby")).send().await.unwrap()).await;
    assert!(ch.ends_with(by_name["sid"].as_str().unwrap()));
    assert_twilio_error(
        app.post(&format!("{sp}/Channels"), &[("UniqueName", "lobby")])
            .send()
            .await
            .unwrap(),
        409,
        50307,
    )
    .await;
    let private = json(
        app.post(&format!("{sp}/Channels"), &[("Type", "private")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let public = json(app.get(&format!("{sp}/Channels")).send().await.unwrap()).await;
    assert_eq!(public["channels"].as_array().unwrap().len(), 1);
    let both = json(
        app.get(&format!("{sp}/Channels?Type=public&Type=private"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(both["channels"].as_array().unwrap().len(), 2);
    assert!(
        both["meta"]["url"]
            .as_str()
            .unwrap()
            .contains("Type=public&Type=private")
    );
    let only = json(app.get(&format!("{sp}/Channels?Type=private")).send().await.unwrap()).await;
    assert_eq!(only["channels"][0]["sid"], private["sid"]);
    assert_twilio_error(
        app.post(&format!("{sp}/Channels/lobby"), &[("Attributes", "{bad")])
            .send()
            .await
            .unwrap(),
        400,
        50304,
    )
    .await;
}
