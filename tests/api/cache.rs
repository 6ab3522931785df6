//! The process's name → channel cache must never answer differently from the database, even
//! when requests are in flight while a channel is renamed or deleted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::TestApp;

const ROUNDS: usize = 20;
const POSTERS: usize = 16;

/// How a round takes the unique name away from the first channel.
#[derive(Clone, Copy)]
enum Release {
    Rename,
    Delete,
}

async fn create_channel(app: &TestApp, sp: &str, unique: &str) -> String {
    let r = app
        .post(&format!("{sp}/Channels"), &[("UniqueName", unique)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    c["sid"].as_str().unwrap().to_owned()
}

/// Posts to `/Channels/{name}/Messages` from many tasks until `stop` is set.
fn start_posters(app: &TestApp, sp: &str, name: &str, stop: &Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..POSTERS)
        .map(|_| {
            let stop = Arc::clone(stop);
            let url = format!("{}{sp}/Channels/{name}/Messages", app.base);
            let (http, sid, token) = (app.http.clone(), app.account_sid.clone(), app.auth_token.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let _ = http
                        .post(&url)
                        .basic_auth(&sid, Some(&token))
                        .form(&[("Body", "racing")])
                        .send()
                        .await;
                }
            })
        })
        .collect()
}

/// Runs the rounds; returns how many ended with the name answering for the wrong channel.
async fn wrong_rounds(release: Release) -> Vec<String> {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let sp = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    let mut wrong = Vec::new();
    for round in 0..ROUNDS {
        let name = format!("room-{round}");
        let first = create_channel(&app, &sp, &name).await;
        let stop = Arc::new(AtomicBool::new(false));
        let posters = start_posters(&app, &sp, &name, &stop);
        tokio::time::sleep(Duration::from_millis(30)).await;
        let r = match release {
            Release::Rename => {
                app.post(
                    &format!("{sp}/Channels/{first}"),
                    &[("UniqueName", format!("{name}-old").as_str())],
                )
                .send()
                .await
            }
            Release::Delete => app.delete(&format!("{sp}/Channels/{first}")).send().await,
        }
        .unwrap();
        assert!(r.status().is_success(), "release: {}", r.status());
        tokio::time::sleep(Duration::from_millis(30)).await;
        let second = create_channel(&app, &sp, &name).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        stop.store(true, Ordering::Relaxed);
        for p in posters {
            p.await.unwrap();
        }
        // The name now belongs to the second channel: fetch and post must both say so.
        let fetched: Value = app.get_json(&format!("{sp}/Channels/{name}")).await;
        assert_eq!(fetched["sid"], second.as_str(), "fetch by name");
        let r = app
            .post(&format!("{sp}/Channels/{name}/Messages"), &[("Body", "after")])
            .send()
            .await
            .unwrap();
        let status = r.status();
        let m: Value = r.json().await.unwrap();
        if status != StatusCode::CREATED || m["channel_sid"] != second.as_str() {
            wrong.push(format!("round {round}: {status} into {}", m["channel_sid"]));
        }
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posts_by_name_follow_a_rename_made_while_they_were_in_flight() {
    let wrong = wrong_rounds(Release::Rename).await;
    assert!(wrong.is_empty(), "posts by name reached the renamed channel: {wrong:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posts_by_name_follow_a_delete_made_while_they_were_in_flight() {
    let wrong = wrong_rounds(Release::Delete).await;
    assert!(wrong.is_empty(), "posts by name missed the new channel: {wrong:?}");
}

#[tokio::test]
async fn a_deleted_account_gets_401_not_404_while_its_credential_is_still_cached() {
    let app = TestApp::spawn().await;
    let s = app.service().await;
    let path = format!("/v2/Services/{}", s["sid"].as_str().unwrap());
    // The credential is cached; the service is not (only fetched after the delete).
    assert_eq!(app.get("/v2/Services").send().await.unwrap().status(), StatusCode::OK);
    // Deleted by another handle (as the CLI does): this server learns of it by polling, so its
    // credential cache still holds the account for a moment.
    app.operator().await.delete_account(&app.account_sid).await.unwrap();
    let r = app.get(&path).send().await.unwrap();
    crate::harness::assert_twilio_error(r, 401, 20003).await;
}
