// Runs in the browser page of browser_client.js, after the SDKs' bundles loaded as <script>
// tags (globals Twilio.Chat and Twilio.Conversations): two users per SDK, through the SDKs'
// public API only. Resolves with what each user saw.

"use strict";

(function () {
  const TIMEOUT_MS = 10000;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function until(pred, what) {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const hit = pred();
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  async function chat(o) {
    const options = { Twilsock: { uri: o.uri }, logLevel: "silent" };
    const alice = await Twilio.Chat.Client.create(o.alice, options);
    const bob = await Twilio.Chat.Client.create(o.bob, options);
    const seen = { messages: [], typing: [] };
    const ch = await alice.createChannel({ uniqueName: o.unique_name, friendlyName: "Browser" });
    await ch.join();
    await ch.getMembers();
    ch.on("typingStarted", (m) => seen.typing.push(m.identity));
    const joined = [];
    ch.on("memberJoined", (m) => joined.push(m.identity));
    const bch = await bob.getChannelByUniqueName(o.unique_name);
    await bch.join();
    // alice's roster is live once she sees bob join (typing goes to members who follow it).
    await until(() => joined.includes(bob.user.identity), "alice sees bob join");
    bch.on("messageAdded", (m) => seen.messages.push({ index: m.index, body: m.body, author: m.author }));
    await bch.getMessages(); // bob follows the messages before alice sends
    await ch.sendMessage("hello from a browser");
    await ch.sendMessage("second");
    await until(() => seen.messages.length === 2, "bob's messages");
    await bch.typing();
    await until(() => seen.typing.length > 0, "alice sees bob typing");
    await bch.updateLastConsumedMessageIndex(0);
    await sleep(600);
    const unread = await bch.getUnconsumedMessagesCount();
    const report = { identities: [alice.user.identity, bob.user.identity], messages: seen.messages, typing: seen.typing,
      unread, channel: ch.sid };
    await alice.shutdown();
    await bob.shutdown();
    return report;
  }

  function conversationsClient(token, options) {
    return new Promise((resolve, reject) => {
      const client = new Twilio.Conversations.Client(token, options);
      client.on("initialized", () => resolve(client));
      client.on("initFailed", ({ error }) => reject(error || new Error("initFailed")));
    });
  }

  async function conversations(o) {
    const options = { Twilsock: { uri: o.uri }, logLevel: "silent" };
    const alice = await conversationsClient(o.alice, options);
    const bob = await conversationsClient(o.bob, options);
    const seen = { messages: [], typing: [] };
    const conv = await alice.createConversation({ uniqueName: `${o.unique_name}-conv`, friendlyName: "Browser" });
    await conv.join();
    await conv.getParticipants();
    conv.on("typingStarted", (p) => seen.typing.push(p.identity));
    const arrived = [];
    conv.on("participantJoined", (p) => arrived.push(p.identity));
    const joined = [];
    bob.on("conversationJoined", (c) => joined.push(c));
    await conv.add(bob.user.identity);
    const bconv = await until(() => joined.find((c) => c.sid === conv.sid), "bob joins");
    await until(() => arrived.includes(bob.user.identity), "alice sees bob join");
    bconv.on("messageAdded", (m) => seen.messages.push({ index: m.index, body: m.body, author: m.author }));
    await bconv.getMessages(); // bob follows the messages before alice sends
    await conv.sendMessage("hello from a browser");
    await until(() => seen.messages.length === 1, "bob's message");
    await bconv.typing();
    await until(() => seen.typing.length > 0, "alice sees bob typing");
    await bconv.setAllMessagesRead();
    await sleep(600);
    const unread = await bconv.getUnreadMessagesCount();
    const report = { identities: [alice.user.identity, bob.user.identity], messages: seen.messages, typing: seen.typing,
      unread, conversation: conv.sid };
    await alice.shutdown();
    await bob.shutdown();
    return report;
  }

  // A PNG drawn on a canvas (7×5), as an app would upload a picture.
  function picture() {
    const canvas = document.createElement("canvas");
    canvas.width = 7;
    canvas.height = 5;
    const g = canvas.getContext("2d");
    g.fillStyle = "#c03";
    g.fillRect(0, 0, 7, 5);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  // alice sends a picture (upload to MCS from the page: a cross-origin, preflighted XHR); bob
  // shows it with an <img> whose src is the message's temporary URL.
  async function media(o) {
    const options = { Twilsock: { uri: o.uri }, logLevel: "silent" };
    const alice = await Twilio.Chat.Client.create(o.alice, options);
    const bob = await Twilio.Chat.Client.create(o.bob, options);
    const ch = await alice.createChannel({ uniqueName: `${o.unique_name}-media` });
    await ch.join();
    const bch = await bob.getChannelByUniqueName(`${o.unique_name}-media`);
    await bch.join();
    const got = [];
    bch.on("messageAdded", (m) => got.push(m));
    await bch.getMessages();
    const blob = await picture();
    await ch.sendMessage({ contentType: "image/png", media: blob });
    const m = await until(() => got.find((x) => x.type === "media"), "bob's picture");
    const url = await m.media.getContentTemporaryUrl();
    const img = document.createElement("img");
    const loaded = new Promise((resolve, reject) => {
      img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
      img.onerror = () => reject(new Error(`the <img> did not load ${url}`));
    });
    img.src = url;
    document.body.appendChild(img);
    const report = { type: m.type, size: m.media.size, sent_size: blob.size, content_type: m.media.contentType,
      url, img: await loaded };
    await alice.shutdown();
    await bob.shutdown();
    return report;
  }

  window.runScenario = async function (o) {
    return { chat: await chat(o), conversations: await conversations(o), media: await media(o) };
  };
})();
