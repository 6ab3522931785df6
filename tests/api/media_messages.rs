//! Media messages over REST: `MediaSid` on message create, the `media` object, Twilio's errors
//! for unknown and reused media, and deleting a message deleting its media.

use serde_json::Value;

use crate::harness::{TestApp, assert_twilio_error, created, ok_json};
use crate::media::{channel, sample, upload};

#[tokio::test]
async fn a_media_message_carries_the_media_description() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = channel(&app, &service).await;
    let m = upload(&app, &service, sample(1234), "image/jpeg", Some("x.jpg")).await;
    let sid = m["sid"].as_str().unwrap();
    let msg = created(
        app.post(&format!("{ch}/Messages"), &[("MediaSid", sid)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(msg["type"], "media");
    let want = serde_json::json!({"sid": sid, "size": 1234, "content_type": "image/jpeg", "filename": "x.jpg"});
    assert_eq!(msg["media"], want);
    let fetched = app.get_json(msg["url"].as_str().unwrap()).await;
    assert_eq!(fetched["media"], want);
    let list = app.get_json(&format!("{ch}/Messages")).await;
    assert_eq!(list["messages"][0]["media"], want);
    assert_eq!(list["messages"][0]["type"], "media");
    // The media record now names its message and channel.
    let record = app.get_json(&format!("/mcs/v1/Services/{service}/Media/{sid}")).await;
    assert_eq!(record["message_sid"], msg["sid"]);
    assert_eq!(record["channel_sid"], msg["channel_sid"]);
    // A text message stays text.
    let text = created(
        app.post(&format!("{ch}/Messages"), &[("Body", "hi")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(text["type"], "text");
    assert_eq!(text["media"], Value::Null);
}

#[tokio::test]
async fn unknown_foreign_and_reused_media_get_twilios_errors() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let other = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = channel(&app, &service).await;
    let send = |sid: String| {
        let path = format!("{ch}/Messages");
        let app = &app;
        async move { app.post(&path, &[("MediaSid", &sid)]).send().await.unwrap() }
    };
    assert_twilio_error(send(format!("ME{}", "0".repeat(32))).await, 400, 50507).await;
    assert_twilio_error(send("nonsense".to_owned()).await, 400, 20001).await;
    let two = app
        .post(
            &format!("{ch}/Messages"),
            &[
                ("MediaSid", format!("ME{}", "1".repeat(32)).as_str()),
                ("MediaSid", format!("ME{}", "2".repeat(32)).as_str()),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(two, 400, 20001).await;
    let foreign = upload(&app, &other, sample(10), "text/plain", None).await;
    assert_twilio_error(send(foreign["sid"].as_str().unwrap().to_owned()).await, 400, 50507).await;
    let m = upload(&app, &service, sample(10), "text/plain", None).await;
    let sid = m["sid"].as_str().unwrap().to_owned();
    created(send(sid.clone()).await).await;
    assert_twilio_error(send(sid.clone()).await, 400, 50508).await;
    // Two messages racing for one media: exactly one gets it.
    let fresh = upload(&app, &service, sample(10), "text/plain", None).await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (a, b) = tokio::join!(send(fresh.clone()), send(fresh.clone()));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 400]);
    let list = app.get_json(&format!("{ch}/Messages")).await;
    let carrying = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["media"]["sid"] == fresh.as_str())
        .count();
    assert_eq!(carrying, 1);
}

#[tokio::test]
async fn another_accounts_media_is_not_found() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = channel(&app, &service).await;
    let (other, token) = app.other_account().await;
    let theirs = created(
        app.http
            .post(format!("{}/v2/Services", app.base))
            .basic_auth(&other, Some(&token))
            .form(&[("FriendlyName", "theirs")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let r = app
        .http
        .post(format!(
            "{}/mcs/v1/Services/{}/Media",
            app.base,
            theirs["sid"].as_str().unwrap()
        ))
        .basic_auth(&other, Some(&token))
        .header("content-type", "text/plain")
        .body("theirs")
        .send()
        .await
        .unwrap();
    let m = created(r).await;
    let r = app
        .post(&format!("{ch}/Messages"), &[("MediaSid", m["sid"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 400, 50507).await;
}

#[tokio::test]
async fn deleting_a_media_message_deletes_its_media() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = channel(&app, &service).await;
    let m = upload(&app, &service, sample(4096), "image/gif", None).await;
    let sid = m["sid"].as_str().unwrap();
    let file = app.store.data_dir.join("media").join(&service).join(sid);
    assert!(file.exists());
    let msg = created(
        app.post(&format!("{ch}/Messages"), &[("MediaSid", sid)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let r = app.delete(msg["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let r = app
        .get(&format!("/mcs/v1/Services/{service}/Media/{sid}"))
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 404, 20404).await;
    assert!(!file.exists(), "the file is deleted with its message");
}

#[tokio::test]
async fn the_sweep_deletes_the_files_of_deleted_channels_and_keeps_the_others() {
    // Arrange: a media message in a channel that is then deleted (its records go by cascade),
    // and an unattached upload that stays.
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = channel(&app, &service).await;
    let sent = upload(&app, &service, sample(2048), "image/gif", None).await;
    let kept = upload(&app, &service, sample(1024), "image/gif", None).await;
    let path = |m: &serde_json::Value| {
        app.store
            .data_dir
            .join("media")
            .join(&service)
            .join(m["sid"].as_str().unwrap())
    };
    let sid = sent["sid"].as_str().unwrap();
    created(
        app.post(&format!("{ch}/Messages"), &[("MediaSid", sid)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(app.delete(&ch).send().await.unwrap().status().as_u16(), 204);
    assert!(path(&sent).exists(), "the channel's deletion leaves its media file");

    // Act: a sweep (another handle on the same data, as a second node would run it); a file
    // younger than the grace is left alone, then swept with none.
    let node = app
        .operator()
        .await
        .with_blobs(app.store.blobs().expect("media storage"));
    assert_eq!(
        node.sweep_media_files(std::time::Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    let swept = node.sweep_media_files(std::time::Duration::ZERO).await.unwrap();

    // Assert
    assert_eq!(swept, 1);
    assert!(!path(&sent).exists(), "the orphaned file is swept");
    assert!(path(&kept).exists(), "a file whose record exists stays");
    let r = app
        .get(&format!(
            "/mcs/v1/Services/{service}/Media/{}",
            kept["sid"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn end_users_need_send_media_message() {
    let app = TestApp::spawn().await;
    let service = app.service().await["sid"].as_str().unwrap().to_owned();
    let ch = channel(&app, &service).await;
    let alice = app.member(&ch, "alice").await;
    let m = upload(&app, &service, sample(10), "text/plain", None).await;
    let sid = m["sid"].as_str().unwrap();
    // The default channel user role holds sendMediaMessage.
    let msg = ok_json(
        app.user_post(&alice, &format!("{ch}/Messages"), &[("MediaSid", sid)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(msg["from"], "alice");
    assert_eq!(msg["media"]["sid"], sid);
    // Without it: 403.
    let role = created(
        app.post(
            &format!("/v2/Services/{service}/Roles"),
            &[
                ("FriendlyName", "textonly"),
                ("Type", "channel"),
                ("Permission", "sendMessage"),
            ],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let members = app.get_json(&format!("{ch}/Members")).await;
    let member = members["members"][0]["url"].as_str().unwrap().to_owned();
    ok_json(
        app.post(&member, &[("RoleSid", role["sid"].as_str().unwrap())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let other = upload(&app, &service, sample(10), "text/plain", None).await;
    let r = app
        .user_post(
            &alice,
            &format!("{ch}/Messages"),
            &[("MediaSid", other["sid"].as_str().unwrap())],
        )
        .send()
        .await
        .unwrap();
    assert_twilio_error(r, 403, 50107).await;
}
