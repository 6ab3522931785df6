#!/usr/bin/env node
// Media through Twilio's client SDKs, unchanged: alice sends a media message with the SDK's
// public API (twilio-chat 6.0.0 `channel.sendMessage({contentType, media})`, or
// @twilio/conversations 3.0.1 `conversation.sendMessage({contentType, filename, media})`),
// which uploads to Banter's MCS and sends the media SID; bob receives the message live and
// asks for `getContentTemporaryUrl()`, which this script then downloads without credentials.
//
// stdin: one JSON object
//   sdk                  "chat" or "conversations"
//   uri                  the socket URL (passed as { Twilsock: { uri } })
//   alice, bob           Access Tokens of the two users
//   unique_name          a unique name for the channel / conversation alice creates
//   content_type, filename, media_base64   what alice sends
// stdout: one JSON object (see `report`; the bytes read back are given by length and SHA-256).

"use strict";

const { expect, main } = require("./scenario");

function connectConversations(token, options) {
  const { Client } = require("@twilio/conversations");
  return new Promise((resolve, reject) => {
    const client = new Client(token, options);
    client.on("initialized", () => resolve(client));
    client.on("initFailed", ({ error }) => reject(error || new Error("initFailed")));
  });
}

// What a received media message says of its media, and the bytes behind its temporary URL.
async function describe(m, media) {
  const url = await media.getContentTemporaryUrl();
  const resp = await fetch(url);
  const bytes = Buffer.from(await resp.arrayBuffer());
  return {
    sid: m.sid, type: m.type, author: m.author, index: m.index,
    media: { sid: media.sid, contentType: media.contentType, filename: media.filename, size: media.size },
    url, status: resp.status, content_type: resp.headers.get("content-type"), length: bytes.length,
    sha256: require("crypto").createHash("sha256").update(bytes).digest("hex"),
  };
}

async function chat(opts, media) {
  const { Client } = require("twilio-chat");
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  const alice = await Client.create(opts.alice, options);
  const bob = await Client.create(opts.bob, options);
  const ch = await alice.createChannel({ uniqueName: opts.unique_name, isPrivate: false });
  await ch.join();
  const bch = await bob.getChannelByUniqueName(opts.unique_name);
  await bch.join();
  const got = [];
  bob.on("messageAdded", (m) => got.push(m));
  await bch.getMessages(); // bob follows the messages before alice sends
  const index = await ch.sendMessage({ contentType: opts.content_type, media });
  const m = await expect(got, (x) => x.type === "media", "bob's media message");
  const report = { sent_index: index, received: await describe(m, m.media) };
  // The sender's own copy, as read back from the channel's messages.
  const page = await ch.getMessages(10);
  const mine = page.items.find((x) => x.sid === m.sid);
  report.sender = await describe(mine, mine.media);
  await alice.shutdown();
  await bob.shutdown();
  return report;
}

async function conversations(opts, media) {
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  const alice = await connectConversations(opts.alice, options);
  const bob = await connectConversations(opts.bob, options);
  const conv = await alice.createConversation({ uniqueName: opts.unique_name });
  await conv.join();
  const joined = [];
  bob.on("conversationJoined", (c) => joined.push(c));
  await conv.add(bob.user.identity);
  const bconv = await expect(joined, (c) => c.sid === conv.sid, "bob joins");
  const got = [];
  bconv.on("messageAdded", (m) => got.push(m));
  await bconv.getMessages(); // bob follows the messages before alice sends
  const index = await conv.sendMessage({ contentType: opts.content_type, filename: opts.filename, media });
  const m = await expect(got, (x) => x.type === "media", "bob's media message");
  const report = { sent_index: index, received: await describe(m, m.attachedMedia[0]) };
  report.attached_count = m.attachedMedia.length;
  await alice.shutdown();
  await bob.shutdown();
  return report;
}

main(async (opts) => {
  const media = Buffer.from(opts.media_base64, "base64");
  return opts.sdk === "chat" ? chat(opts, media) : conversations(opts, media);
});
