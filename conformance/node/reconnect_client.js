#!/usr/bin/env node
// Two twilio-chat 6.0.0 clients across a server restart: alice talks, bob listens; the test
// restarts Banter mid-conversation and posts messages through REST while the clients are away.
// Everything bob's SDK reports (messageAdded, by index) is compared by the test with what was
// sent: each message exactly once, in order.
//
// Usage: node reconnect_client.js, with stdin:
//   line 1: {"uri", "alice", "bob", "unique_name"}
//   then:   "restarted" once the server is back (and the REST messages are written)
// stdout: JSON lines: {"phase": "ready", "channel": CH…} when the test may restart the server,
// then the report {"phase": "done", ...}. Errors go to stderr with a non-zero exit.

"use strict";

const readline = require("readline");
const { sleep, expect } = require("./scenario");

const { Client } = require("twilio-chat");

const lines = readline.createInterface({ input: process.stdin });
const queue = [];
const waiting = [];
lines.on("line", (l) => (waiting.length ? waiting.shift()(l) : queue.push(l)));
const nextLine = () => new Promise((resolve) => (queue.length ? resolve(queue.shift()) : waiting.push(resolve)));
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function run() {
  const opts = JSON.parse(await nextLine());
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  const alice = await Client.create(opts.alice, options);
  const bob = await Client.create(opts.bob, options);
  const states = { alice: [], bob: [] };
  alice.on("connectionStateChanged", (s) => states.alice.push(s));
  bob.on("connectionStateChanged", (s) => states.bob.push(s));

  const ch = await alice.createChannel({ uniqueName: opts.unique_name, friendlyName: "Restart" });
  await ch.join();
  await ch.getMembers();
  const bch = await bob.getChannelByUniqueName(opts.unique_name);
  await bch.join();
  await bch.getMembers();
  const received = [];
  bob.on("messageAdded", (m) => received.push({ index: m.index, body: m.body, author: m.author }));

  for (let i = 0; i < 3; i += 1) await ch.sendMessage(`before ${i}`);
  await expect(received, (m) => m.body === "before 2", "bob has the messages before the restart");
  say({ phase: "ready", channel: ch.sid });

  // The test restarts the server and writes through REST while we are away.
  await nextLine();
  const back = (client, name) => expect(states[name], (s) => s === "connected", `${name} reconnected`);
  await back(alice, "alice");
  await back(bob, "bob");
  for (let i = 0; i < 2; i += 1) await ch.sendMessage(`after ${i}`);
  await expect(received, (m) => m.body === "after 1", "bob has the messages after the restart");
  await sleep(500); // anything delivered twice would show up by now
  const report = { phase: "done", received, states: { alice: [...states.alice], bob: [...states.bob] } };
  await alice.shutdown();
  await bob.shutdown();
  return report;
}

run()
  .then((report) => {
    say(report);
    process.exit(0);
  })
  .catch((e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
