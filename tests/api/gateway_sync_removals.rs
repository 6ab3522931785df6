//! Sync removals over the client socket: a deleted message, a removed member and a deleted
//! channel reach subscribers live, and a client that was away replays them.

use serde_json::{Value, json};

use crate::gateway::socket_of as socket;
use crate::gateway_sync::world;
use crate::harness::{TestApp, ok_json};

#[tokio::test]
async fn gateway_sync_removals_reach_subscribers_and_replays() {
    let app = TestApp::spawn().await;
    let w = world(&app, 3).await;
    let bob = app.member(&w.ch_path, "bob").await;
    let mut c = socket(&app, &w.alice).await;
    let hex = &w.ch[2..];
    let (doc, list, roster) = (format!("ET{hex}"), format!("ES{hex}"), format!("MP{hex}"));
    let mine = format!("MC{}", &w.alice_sid[2..]);
    let (_, descriptor) = c.get(&format!("/v3/Maps/{mine}"), json!({})).await;
    let start = descriptor["last_event_id"].as_i64().unwrap();
    let seen = c
        .subscribe(&[
            (&doc, "document", None),
            (&list, "list", None),
            (&roster, "map", None),
            (&mine, "map", None),
        ])
        .await;
    assert!(
        seen.iter().all(|e| e["event_type"] == "subscription_established"),
        "{seen:?}"
    );

    // A message deleted: its index leaves the list, the document's last message moves back.
    let page = ok_json(
        app.get(&format!("{}/Messages?Order=desc&PageSize=1", w.ch_path))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let newest = page["messages"][0]["sid"].as_str().unwrap().to_owned();
    let r = app
        .delete(&format!("{}/Messages/{newest}", w.ch_path))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (a, b) = (c.event().await, c.event().await);
    assert_eq!(a["event_type"], "list_item_removed", "{a}");
    assert_eq!(a["event"]["item_index"], 2);
    assert_eq!(b["event_type"], "document_updated", "{b}");
    assert_eq!(b["event"]["document_data"]["lastMessage"]["index"], 1);

    // Bob removed: his roster item goes (alice's own channels map is not his).
    let bob_member = ok_json(
        app.get(&format!("{}/Members/{}", w.ch_path, bob.identity))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let r = app.delete(&format!("{}/Members/bob", w.ch_path)).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let e = c.event().await;
    assert_eq!(e["event_type"], "map_item_removed", "{e}");
    assert_eq!(e["event"]["map_sid"], roster.as_str());
    assert_eq!(e["event"]["item_key"], bob_member["sid"]);

    // The channel deleted: its objects are removed and it leaves alice's channels map.
    let r = app.delete(&w.ch_path).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let mut types = Vec::new();
    for _ in 0..4 {
        let e = c.event().await;
        if e["event_type"] == "map_item_removed" {
            assert_eq!(e["event"]["map_sid"], mine.as_str(), "{e}");
            assert_eq!(e["event"]["item_key"], w.ch.as_str());
        }
        types.push(e["event_type"].as_str().unwrap().to_owned());
    }
    types.sort();
    assert_eq!(
        types,
        ["document_removed", "list_removed", "map_item_removed", "map_removed"]
    );

    // A client that was away replays the same removal from the database.
    let mut later = socket(&app, &w.alice).await;
    let seen = later.subscribe(&[(&mine, "map", Some(start))]).await;
    let removed: Vec<&Value> = seen.iter().filter(|e| e["event_type"] == "map_item_removed").collect();
    assert_eq!(removed.len(), 1, "{seen:?}");
    assert_eq!(removed[0]["event"]["item_key"], w.ch.as_str());
    assert_eq!(seen.last().unwrap()["event"]["replay_status"], "completed");
}
