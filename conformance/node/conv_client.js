#!/usr/bin/env node
// Drives Twilio's Conversations client SDK (@twilio/conversations 3.0.1, or 2.7.0 installed as
// "conversations-2"; both pinned in package.json, over the `ws` package) as two users against a
// Banter server: alice acts and bob observes, then the other way round. Only the SDK's public
// API is used; the one option that differs from an app talking to Twilio is the socket address.
//
// Usage: echo '{"package": "@twilio/conversations", "uri": "ws://…/v3/wsconnect", ...}' | node conv_client.js
//
// stdin: one JSON object
//   package              "@twilio/conversations" (3.0.1) or "conversations-2" (2.7.0)
//   uri                  the socket URL (passed as { Twilsock: { uri } })
//   bundle               true: load the SDK from its browser bundle (builds/twilio-conversations.js)
//   alice, bob           Access Tokens of the two users
//   unique_name          a unique name for the conversation alice creates
//   rest                 {url, account_sid, auth_token, service_sid}: the operator's REST API,
//                        used once to post a message that the clients must see live
// stdout: one JSON object with what each client saw. Errors go to stderr, non-zero exit.

"use strict";

const { CACHE_MS, sleep, expect, outcome, restMessage, main } = require("./scenario");

function record(client) {
  const log = [];
  const push = (event, data) => log.push({ event, ...data });
  client.on("conversationJoined", (c) => push("conversationJoined", { conversation: c.sid }));
  client.on("conversationLeft", (c) => push("conversationLeft", { conversation: c.sid }));
  client.on("conversationRemoved", (c) => push("conversationRemoved", { conversation: c.sid }));
  client.on("conversationUpdated", ({ conversation, updateReasons }) =>
    push("conversationUpdated", {
      conversation: conversation.sid, reasons: updateReasons, friendlyName: conversation.friendlyName,
      uniqueName: conversation.uniqueName, attributes: conversation.attributes,
    }));
  client.on("participantJoined", (p) =>
    push("participantJoined", { conversation: p.conversation.sid, identity: p.identity, sid: p.sid }));
  client.on("participantLeft", (p) => push("participantLeft", { conversation: p.conversation.sid, identity: p.identity }));
  client.on("participantUpdated", ({ participant, updateReasons }) =>
    push("participantUpdated", {
      conversation: participant.conversation.sid, identity: participant.identity, reasons: updateReasons,
      lastReadMessageIndex: participant.lastReadMessageIndex, attributes: participant.attributes,
    }));
  client.on("typingStarted", (p) => push("typingStarted", { conversation: p.conversation.sid, identity: p.identity }));
  client.on("messageAdded", (m) => push("messageAdded", message(m)));
  client.on("messageUpdated", ({ message: m, updateReasons }) => push("messageUpdated", { ...message(m), reasons: updateReasons }));
  client.on("messageRemoved", (m) => push("messageRemoved", message(m)));
  client.on("userUpdated", ({ user, updateReasons }) =>
    push("userUpdated", { identity: user.identity, friendlyName: user.friendlyName, reasons: updateReasons }));
  return log;
}

function message(m) {
  return { conversation: m.conversation.sid, sid: m.sid, index: m.index, body: m.body, author: m.author, attributes: m.attributes };
}

// A client of `Client`, once initialised (the SDK's documented start-up).
function connect(Client, token, options) {
  return new Promise((resolve, reject) => {
    const client = new Client(token, options);
    client.on("initialized", () => resolve(client));
    client.on("initFailed", ({ error }) => reject(error || new Error("initFailed")));
  });
}

async function run(opts) {
  // The npm package, or its browser bundle (which embeds its own twilsock and Sync clients).
  // (The bundle finds its WebSocket on `self`, as in a browser page.)
  if (opts.bundle) globalThis.self = globalThis;
  const { Client } = opts.bundle
    ? require(`${opts.package}/builds/twilio-conversations.js`).Twilio.Conversations
    : require(opts.package);
  const report = {};
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  const alice = await connect(Client, opts.alice, options);
  const bob = await connect(Client, opts.bob, options);
  const aliceLog = record(alice);
  const bobLog = record(bob);
  const aliceId = alice.user.identity;
  const bobId = bob.user.identity;
  report.identities = [aliceId, bobId];
  report.states = [alice.connectionState, bob.connectionState];

  // alice creates a conversation, joins it and adds bob.
  const conv = await alice.createConversation({
    uniqueName: opts.unique_name, friendlyName: "Project X", attributes: { topic: "q3" },
  });
  report.created = {
    sid: conv.sid, uniqueName: conv.uniqueName, friendlyName: conv.friendlyName, attributes: conv.attributes,
    createdBy: conv.createdBy,
  };
  await conv.join();
  await expect(aliceLog, (e) => e.event === "conversationJoined" && e.conversation === conv.sid, "alice joined");
  // The participants are loaded (and followed) before bob is added, so his arrival is an event.
  report.participants_at_start = (await conv.getParticipants()).map((p) => p.identity);
  await conv.add(bobId);
  report.bob_joined = await expect(bobLog, (e) => e.event === "conversationJoined" && e.conversation === conv.sid,
    "bob conversationJoined");
  report.participant_joined = await expect(aliceLog, (e) => e.event === "participantJoined" && e.identity === bobId,
    "alice sees bob");
  const bconv = await bob.getConversationByUniqueName(opts.unique_name);
  report.bob_found = { sid: bconv.sid, friendlyName: bconv.friendlyName, status: bconv.status };

  // Messages both ways, and one from REST.
  report.sent_index = await conv.sendMessage("hello bob", { k: 1 });
  report.bob_got = await expect(bobLog, (e) => e.event === "messageAdded" && e.body === "hello bob", "bob messageAdded");
  await bconv.sendMessage("hi alice");
  report.alice_got = await expect(aliceLog, (e) => e.event === "messageAdded" && e.body === "hi alice", "alice messageAdded");
  await restMessage(opts.rest, conv.sid, "from REST");
  report.rest_seen = await expect(bobLog, (e) => e.event === "messageAdded" && e.body === "from REST", "bob sees REST");

  // Updates: message body, conversation name and attributes, participant attributes.
  const mine = (await conv.getMessages(10)).items.find((m) => m.body === "hello bob");
  await mine.updateBody("hello bob (edited)");
  report.message_updated = await expect(bobLog, (e) => e.event === "messageUpdated" && e.body === "hello bob (edited)",
    "bob messageUpdated");
  await conv.updateFriendlyName("Project Y");
  report.renamed = await expect(bobLog, (e) => e.event === "conversationUpdated" && e.friendlyName === "Project Y",
    "bob conversationUpdated");
  await conv.updateAttributes({ topic: "q4" });
  report.conversation_attributes = await expect(bobLog,
    (e) => e.event === "conversationUpdated" && e.attributes && e.attributes.topic === "q4", "bob sees attributes");
  await conv.updateUniqueName(`${opts.unique_name}-2`);
  report.unique_renamed = await expect(bobLog,
    (e) => e.event === "conversationUpdated" && e.uniqueName === `${opts.unique_name}-2`, "bob sees the unique name");
  await mine.updateAttributes({ k: 2 });
  report.message_attributes = await expect(bobLog,
    (e) => e.event === "messageUpdated" && e.attributes && e.attributes.k === 2, "bob sees message attributes");
  const me = await bconv.getParticipantByIdentity(bobId);
  await me.updateAttributes({ mood: "fine" });
  report.participant_updated = await expect(aliceLog,
    (e) => e.event === "participantUpdated" && e.identity === bobId && e.attributes && e.attributes.mood === "fine",
    "alice participantUpdated");

  // History in both directions.
  for (let i = 0; i < 3; i += 1) await conv.sendMessage(`more ${i}`);
  await expect(bobLog, (e) => e.event === "messageAdded" && e.body === "more 2", "bob has every message");
  const newest = await bconv.getMessages(2);
  report.history = { newest: newest.items.map((m) => m.index), hasPrevPage: newest.hasPrevPage };
  report.history.older = (await newest.prevPage()).items.map((m) => m.index);
  const first = await bconv.getMessages(2, 0, "forward");
  report.history.first = first.items.map((m) => m.index);
  report.history.second = (await first.nextPage()).items.map((m) => m.index);

  // Read horizon.
  await bconv.updateLastReadMessageIndex(1);
  await sleep(CACHE_MS);
  report.unread_after_1 = await bconv.getUnreadMessagesCount();
  report.horizon_seen = await expect(aliceLog,
    (e) => e.event === "participantUpdated" && e.identity === bobId && e.lastReadMessageIndex === 1, "alice sees horizon");
  await bconv.setAllMessagesRead();
  await sleep(CACHE_MS);
  report.unread_after_all = await bconv.getUnreadMessagesCount();

  // User info.
  await bob.getUser(aliceId);
  await alice.user.updateFriendlyName("Alice A");
  report.user_updated = await expect(bobLog,
    (e) => e.event === "userUpdated" && e.identity === aliceId && e.friendlyName === "Alice A", "bob userUpdated");

  report.typing = await outcome(bconv.typing());
  report.typing_started = await expect(aliceLog, (e) => e.event === "typingStarted" && e.identity === bobId,
    "alice sees bob typing");

  // bob may not delete alice's conversation.
  report.bob_delete = await outcome(bconv.delete());

  // Removals: a message, bob removed, the conversation deleted.
  const last = (await conv.getMessages(1)).items[0];
  await last.remove();
  report.message_removed = await expect(bobLog, (e) => e.event === "messageRemoved" && e.index === last.index,
    "bob messageRemoved");
  await conv.removeParticipant(bobId);
  report.bob_left = await expect(bobLog, (e) => e.event === "conversationLeft" && e.conversation === conv.sid, "bob left");
  report.participant_left = await expect(aliceLog, (e) => e.event === "participantLeft" && e.identity === bobId,
    "alice participantLeft");
  await conv.delete();
  report.removed = await expect(aliceLog, (e) => e.event === "conversationRemoved" && e.conversation === conv.sid,
    "alice conversationRemoved");
  report.subscribed = (await alice.getSubscribedConversations()).items.map((c) => c.sid);

  await alice.shutdown();
  await bob.shutdown();
  return report;
}

main(run);
