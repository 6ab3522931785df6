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

  window.runScenario = async function (o) {
    return { chat: await chat(o), conversations: await conversations(o) };
  };
})();
