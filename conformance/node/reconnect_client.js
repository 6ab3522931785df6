#!/usr/bin/env node
// Two clients of one SDK (twilio-chat 6.0.0 or @twilio/conversations 3.0.1) in one channel
// while the test takes the network away: alice talks, bob listens, and the test cuts bob's
// connection (through its TCP proxy) or restarts the server. Everything bob's SDK reports
// (messageAdded, messageUpdated, messageRemoved) goes into the report, which the test compares
// with what was sent.
//
// The test drives it one step at a time: each stdin line is a JSON command, and each command is
// answered by one stdout line, {"ok": true, ...} or {"ok": false, "error": "..."}.
//   {"op": "setup", "sdk": "chat"|"conversations", "uri", "bob_uri", "alice", "bob",
//    "unique_name"}                   connects both (bob through bob_uri), puts them in one
//                                     channel; answers {channel, alice}
//   {"op": "send", "bodies": [...]}   alice sends each; answers {indices}
//   {"op": "edit", "index", "body"}   alice edits her message `index`
//   {"op": "remove", "index"}         alice removes message `index`
//   {"op": "mark"}                    remembers where the clients' state logs are
//   {"op": "wait_away", "who": [...]} waits until each named client has lost its connection
//                                     since the mark
//   {"op": "wait_back", "who": [...]} waits until each named client lost it since the mark and
//                                     is connected again
//   {"op": "wait_bob", "body"}        waits until bob's SDK reported messageAdded with `body`
//   {"op": "report"}                  waits 0.5 s more (anything delivered twice would show up by
//                                     then), shuts both down; answers {events, states}
// Errors in the script itself go to stderr with a non-zero exit.

"use strict";

const readline = require("readline");
const { sleep, expect, start } = require("./scenario");

const WAIT_MS = 25000; // the longest wait for a reconnect (the backoff is 1 s, 2 s, 4 s, 8 s …)

const lines = readline.createInterface({ input: process.stdin });
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

// Waits until pred() holds; throws after `ms`.
async function until(pred, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// The two SDKs behind one small interface: connect, and put alice and bob in one channel.
const SDKS = {
  chat: {
    connect: (token, options) => start(require("twilio-chat").Client, token, options),
    async channels(alice, bob, opts) {
      const ch = await alice.createChannel({ uniqueName: opts.unique_name, friendlyName: "Reconnect" });
      await ch.join();
      await ch.getMembers();
      const bch = await bob.getChannelByUniqueName(opts.unique_name);
      await bch.join();
      await bch.getMembers();
      return ch;
    },
  },
  conversations: {
    connect: (token, options) => start(require("@twilio/conversations").Client, token, options),
    async channels(alice, bob, opts) {
      const joined = [];
      bob.on("conversationJoined", (c) => joined.push(c.sid));
      const conv = await alice.createConversation({ uniqueName: opts.unique_name, friendlyName: "Reconnect" });
      await conv.join();
      await conv.getParticipants();
      await conv.add(bob.user.identity);
      await expect(joined, (sid) => sid === conv.sid, "bob conversationJoined");
      await bob.getConversationByUniqueName(opts.unique_name);
      return conv;
    },
  },
};

function record(client, events) {
  client.on("messageAdded", (m) => events.push({ event: "messageAdded", index: m.index, body: m.body, author: m.author }));
  client.on("messageUpdated", ({ message: m, updateReasons }) =>
    events.push({ event: "messageUpdated", index: m.index, body: m.body, author: m.author, reasons: updateReasons }));
  client.on("messageRemoved", (m) => events.push({ event: "messageRemoved", index: m.index }));
}

async function run() {
  let clients = null; // {alice, bob}
  let channel = null; // alice's channel or conversation
  const events = []; // what bob's SDK reported
  const states = { alice: [], bob: [] };
  const mark = { alice: 0, bob: 0 };
  const lostSinceMark = (who) =>
    clients[who].connectionState !== "connected" || states[who].slice(mark[who]).some((s) => s !== "connected");
  const message = async (index) => {
    const page = await channel.getMessages(50);
    const m = page.items.find((item) => item.index === index);
    if (!m) throw new Error(`alice has no message ${index}`);
    return m;
  };

  const ops = {
    async setup(opts) {
      const sdk = SDKS[opts.sdk];
      const options = (uri) => ({ Twilsock: { uri }, logLevel: "silent" });
      const alice = await sdk.connect(opts.alice, options(opts.uri));
      const bob = await sdk.connect(opts.bob, options(opts.bob_uri || opts.uri));
      clients = { alice, bob };
      for (const who of ["alice", "bob"]) clients[who].on("connectionStateChanged", (s) => states[who].push(s));
      channel = await sdk.channels(alice, bob, opts);
      record(bob, events);
      return { channel: channel.sid, alice: alice.user.identity };
    },
    async send({ bodies }) {
      const indices = [];
      for (const body of bodies) indices.push(await channel.sendMessage(body));
      return { indices };
    },
    async edit({ index, body }) {
      await (await message(index)).updateBody(body);
      return {};
    },
    async remove({ index }) {
      await (await message(index)).remove();
      return {};
    },
    async mark() {
      for (const who of ["alice", "bob"]) mark[who] = states[who].length;
      return {};
    },
    async wait_away({ who }) {
      for (const w of who) await until(() => lostSinceMark(w), `${w} to lose the connection`);
      return {};
    },
    async wait_back({ who }) {
      for (const w of who) {
        await until(() => lostSinceMark(w) && clients[w].connectionState === "connected", `${w} to reconnect`);
      }
      return {};
    },
    async wait_bob({ body }) {
      await until(() => events.some((e) => e.event === "messageAdded" && e.body === body), `bob to get "${body}"`);
      return {};
    },
    async report() {
      await sleep(500);
      const report = { events: [...events], states: { alice: [...states.alice], bob: [...states.bob] } };
      await clients.alice.shutdown();
      await clients.bob.shutdown();
      return report;
    },
  };

  for await (const line of lines) {
    const command = JSON.parse(line);
    try {
      say({ ok: true, ...(await ops[command.op](command)) });
    } catch (e) {
      say({ ok: false, error: `${command.op}: ${e && e.stack ? e.stack : e}`, events, states });
    }
  }
}

run().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
