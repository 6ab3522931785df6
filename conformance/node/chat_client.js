#!/usr/bin/env node
// Drives Twilio's own client SDK, twilio-chat 6.0.0 (pinned in package.json, with the twilsock
// and twilio-sync versions its ranges resolve to, over the `ws` package), as two users against
// a Banter server: alice acts and bob observes, then the other way round. Only the SDK's
// public API is used; the one option that differs from an app talking to Twilio is the
// socket address.
//
// Usage: echo '{"uri": "ws://127.0.0.1:PORT/v3/wsconnect", ...}' | node chat_client.js
//
// stdin: one JSON object
//   uri                  the socket URL (passed as { Twilsock: { uri } })
//   bundle               true: load the SDK from its browser bundle (builds/twilio-chat.js)
//   alice, bob           Access Tokens of the two users (identities alice…, bob…)
//   unique_name          a unique name for the public channel alice creates
//   rest                 {url, account_sid, auth_token, service_sid}: the operator's REST API,
//                        used once to post a message that the clients must see live
// stdout: one JSON object with what each client saw (see `report`). Errors go to stderr with
// a non-zero exit.

"use strict";

const { CACHE_MS, sleep, expect, outcome, restMessage, main } = require("./scenario");

// The npm package (twilsock 0.12.2, twilio-sync 3.4.0: pages by position, event protocol 4)
// or its browser bundle (twilsock 0.12.1, twilio-sync 3.0.6: pages by token, protocol 3).
function chatClient(bundle) {
  if (!bundle) return require("twilio-chat").Client;
  // The bundle finds its WebSocket on `self`, as in a browser page.
  globalThis.self = globalThis;
  return require("twilio-chat/builds/twilio-chat.js").Twilio.Chat.Client;
}

// Everything a client emits, in order, as plain JSON.
function record(client) {
  const log = [];
  const push = (event, data) => log.push({ event, ...data });
  client.on("channelJoined", (c) => push("channelJoined", { channel: c.sid }));
  client.on("channelInvited", (c) => push("channelInvited", { channel: c.sid }));
  client.on("channelLeft", (c) => push("channelLeft", { channel: c.sid }));
  client.on("channelRemoved", (c) => push("channelRemoved", { channel: c.sid }));
  client.on("channelUpdated", ({ channel, updateReasons }) =>
    push("channelUpdated", {
      channel: channel.sid, reasons: updateReasons, friendlyName: channel.friendlyName,
      uniqueName: channel.uniqueName, attributes: channel.attributes,
    }));
  client.on("memberJoined", (m) => push("memberJoined", { channel: m.channel.sid, identity: m.identity, sid: m.sid }));
  client.on("memberLeft", (m) => push("memberLeft", { channel: m.channel.sid, identity: m.identity }));
  client.on("memberUpdated", ({ member, updateReasons }) =>
    push("memberUpdated", {
      channel: member.channel.sid, identity: member.identity, reasons: updateReasons,
      lastConsumedMessageIndex: member.lastConsumedMessageIndex,
    }));
  client.on("typingStarted", (m) => push("typingStarted", { channel: m.channel.sid, identity: m.identity }));
  client.on("typingEnded", (m) => push("typingEnded", { channel: m.channel.sid, identity: m.identity }));
  client.on("messageAdded", (m) => push("messageAdded", message(m)));
  client.on("messageUpdated", ({ message: m, updateReasons }) =>
    push("messageUpdated", { ...message(m), reasons: updateReasons }));
  client.on("messageRemoved", (m) => push("messageRemoved", message(m)));
  client.on("userUpdated", ({ user, updateReasons }) =>
    push("userUpdated", { identity: user.identity, friendlyName: user.friendlyName, reasons: updateReasons }));
  return log;
}

function message(m) {
  return {
    channel: m.channel.sid, sid: m.sid, index: m.index, body: m.body, author: m.author,
    attributes: m.attributes, type: m.type,
  };
}

async function run(opts) {
  const Client = chatClient(opts.bundle);
  const report = {};
  const options = { Twilsock: { uri: opts.uri }, logLevel: process.env.SDK_LOG || "silent" };
  const alice = await Client.create(opts.alice, options);
  const bob = await Client.create(opts.bob, options);
  const aliceLog = record(alice);
  const bobLog = record(bob);
  report.identities = [alice.user.identity, bob.user.identity];
  report.states = [alice.connectionState, bob.connectionState];
  const bobId = bob.user.identity;
  const aliceId = alice.user.identity;

  // alice creates a public channel and joins it.
  const ch = await alice.createChannel({
    uniqueName: opts.unique_name, friendlyName: "General", isPrivate: false, attributes: { topic: "q3" },
  });
  report.created = {
    sid: ch.sid, uniqueName: ch.uniqueName, friendlyName: ch.friendlyName, attributes: ch.attributes,
    type: ch.type, createdBy: ch.createdBy,
  };
  await ch.join();
  await expect(aliceLog, (e) => e.event === "channelJoined" && e.channel === ch.sid, "alice channelJoined");
  report.alice_status = ch.status;
  // The roster is loaded (and followed) before anyone else joins: a member who joined before
  // it loaded is simply there, without a memberJoined.
  report.members_at_start = (await ch.getMembers()).map((m) => m.identity);

  // bob finds it among the public channels and by its unique name, and joins.
  const publics = await bob.getPublicChannelDescriptors();
  report.public = publics.items.map((d) => ({
    sid: d.sid, uniqueName: d.uniqueName, friendlyName: d.friendlyName, membersCount: d.membersCount,
    isPrivate: d.isPrivate,
  }));
  const bch = await bob.getChannelByUniqueName(opts.unique_name);
  report.bob_before_join = bch.status;
  await bch.join();
  await expect(bobLog, (e) => e.event === "channelJoined" && e.channel === ch.sid, "bob channelJoined");
  report.member_joined = await expect(aliceLog, (e) => e.event === "memberJoined" && e.identity === bobId,
    "alice sees bob join");

  // Messages both ways, with attributes; each side sees the other's live.
  report.sent_index = await ch.sendMessage("hello bob", { k: 1 });
  report.bob_got = await expect(bobLog, (e) => e.event === "messageAdded" && e.body === "hello bob", "bob messageAdded");
  await bch.sendMessage("hi alice");
  report.alice_got = await expect(aliceLog, (e) => e.event === "messageAdded" && e.body === "hi alice",
    "alice messageAdded");

  // bob types: alice sees it start, and end after the service's typing timeout.
  await bch.typing();
  report.typing_started = await expect(aliceLog, (e) => e.event === "typingStarted" && e.identity === bobId,
    "alice sees bob typing");
  report.typing_ended = await expect(aliceLog, (e) => e.event === "typingEnded" && e.identity === bobId,
    "bob's typing ends");
  report.bob_saw_own_typing = bobLog.some((e) => e.event === "typingStarted");

  // A message posted by the operator through REST reaches both clients.
  const rest = await restMessage(opts.rest, ch.sid, "from REST");
  report.rest_message = { sid: rest.sid, index: rest.index };
  report.rest_seen = [
    await expect(aliceLog, (e) => e.event === "messageAdded" && e.body === "from REST", "alice sees REST message"),
    await expect(bobLog, (e) => e.event === "messageAdded" && e.body === "from REST", "bob sees REST message"),
  ];

  // alice edits her message; the channel's name, attributes and unique name change.
  const mine = (await ch.getMessages(10)).items.find((m) => m.body === "hello bob");
  await mine.updateBody("hello bob (edited)");
  report.message_updated = await expect(bobLog,
    (e) => e.event === "messageUpdated" && e.body === "hello bob (edited)", "bob messageUpdated");
  await mine.updateAttributes({ k: 2 });
  report.message_attributes = await expect(bobLog,
    (e) => e.event === "messageUpdated" && e.attributes && e.attributes.k === 2, "bob messageUpdated attributes");
  await ch.updateFriendlyName("General chat");
  report.renamed = await expect(bobLog,
    (e) => e.event === "channelUpdated" && e.friendlyName === "General chat", "bob channelUpdated name");
  await ch.updateAttributes({ topic: "q4" });
  report.channel_attributes = await expect(bobLog,
    (e) => e.event === "channelUpdated" && e.attributes && e.attributes.topic === "q4", "bob channelUpdated attributes");
  await ch.updateUniqueName(`${opts.unique_name}-2`);
  report.unique_renamed = await expect(bobLog,
    (e) => e.event === "channelUpdated" && e.uniqueName === `${opts.unique_name}-2`, "bob channelUpdated unique name");

  // History, both directions.
  for (let i = 0; i < 3; i += 1) await ch.sendMessage(`more ${i}`);
  await expect(bobLog, (e) => e.event === "messageAdded" && e.body === "more 2", "bob has every message");
  const newest = await bch.getMessages(2);
  report.history = { newest: newest.items.map((m) => m.index), hasPrevPage: newest.hasPrevPage };
  const older = await newest.prevPage();
  report.history.older = older.items.map((m) => m.index);
  const first = await bch.getMessages(2, 0, "forward");
  report.history.first = first.items.map((m) => m.index);
  report.history.firstHasNext = first.hasNextPage;
  const second = await first.nextPage();
  report.history.second = second.items.map((m) => m.index);

  // Read horizon and unread counts.
  await bch.updateLastConsumedMessageIndex(1);
  await sleep(CACHE_MS);
  report.unread_after_1 = await bch.getUnconsumedMessagesCount();
  report.horizon_seen = await expect(aliceLog,
    (e) => e.event === "memberUpdated" && e.identity === bobId && e.lastConsumedMessageIndex === 1,
    "alice sees bob's horizon");
  await bch.setAllMessagesConsumed();
  await sleep(CACHE_MS);
  report.unread_after_all = await bch.getUnconsumedMessagesCount();

  // User info: alice renames herself; bob reads and follows her.
  const aliceForBob = await bob.getUser(aliceId);
  await alice.user.updateFriendlyName("Alice A");
  report.user_updated = await expect(bobLog,
    (e) => e.event === "userUpdated" && e.identity === aliceId && e.friendlyName === "Alice A", "bob userUpdated");
  report.user_for_bob = { identity: aliceForBob.identity, friendlyName: aliceForBob.friendlyName };
  report.own_user = { identity: alice.user.identity, friendlyName: alice.user.friendlyName };

  // What bob may not do is refused with Twilio's error.
  report.bob_destroy = await outcome(bch.delete());

  // A private channel: alice invites bob, bob joins; alice removes him.
  const priv = await alice.createChannel({ friendlyName: "Secret", isPrivate: true });
  await priv.join();
  await priv.getMembers();
  await priv.invite(bobId);
  report.invited = await expect(bobLog, (e) => e.event === "channelInvited" && e.channel === priv.sid, "bob invited");
  const bpriv = await bob.getChannelBySid(priv.sid);
  await bpriv.join();
  await expect(aliceLog, (e) => e.event === "memberJoined" && e.channel === priv.sid && e.identity === bobId,
    "alice sees bob join the private channel");
  await priv.removeMember(bobId);
  report.kicked = await expect(bobLog, (e) => e.event === "channelLeft" && e.channel === priv.sid, "bob removed");
  // Invited again, bob declines; then alice adds him to a third channel directly.
  const beforeDecline = bobLog.length;
  const after = (pred) => (e) => bobLog.indexOf(e) >= beforeDecline && pred(e);
  await priv.invite(bobId);
  await expect(bobLog, after((e) => e.event === "channelInvited" && e.channel === priv.sid), "bob invited again");
  await (await bob.getChannelBySid(priv.sid)).decline();
  report.declined = await expect(bobLog, after((e) => e.event === "channelLeft" && e.channel === priv.sid),
    "bob's invite is gone");
  const third = await alice.createChannel({ friendlyName: "Added", isPrivate: true });
  await third.join();
  await third.add(bobId);
  report.added = await expect(bobLog, (e) => e.event === "channelJoined" && e.channel === third.sid, "bob added");
  report.typing = await outcome(third.typing());

  // Removals: a message, a member leaving, a channel.
  const last = (await ch.getMessages(1)).items[0];
  await last.remove();
  report.message_removed = await expect(bobLog,
    (e) => e.event === "messageRemoved" && e.index === last.index, "bob messageRemoved");
  await bch.leave();
  report.member_left = await expect(aliceLog, (e) => e.event === "memberLeft" && e.identity === bobId,
    "alice sees bob leave");
  await priv.delete();
  report.channel_removed = await expect(aliceLog,
    (e) => e.event === "channelRemoved" && e.channel === priv.sid, "alice channelRemoved");

  report.subscribed = (await alice.getSubscribedChannels()).items.map((c) => c.sid);
  await alice.shutdown();
  await bob.shutdown();
  return report;
}

main(run);
