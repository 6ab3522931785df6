#!/usr/bin/env node
// End-to-end latency through Twilio's own client SDK (twilio-chat 6.0.0, from
// conformance/node/node_modules): the time from a send to the other client's messageAdded.
//
//   (g) client → client: alice's sendMessage() → bob's messageAdded
//   (h) REST → client:   an operator POST Message → bob's messageAdded
//
// Messages are sent at a fixed rate (RATE per second, for SECONDS) without waiting for earlier
// ones, so the latency includes any queueing the server adds at that rate. Every body carries
// its send time (process.hrtime: the system's monotonic clock, the same in every process).
// Phase (h) posts from a process of its own over keep-alive connections, so that this one is
// only bob. Run by bench/latency.py, which starts the server.
//
// stdin: {"uri", "alice", "bob", "channel", "rest": {url, account_sid, auth_token, service_sid},
//         "rate", "seconds"}
// stdout: {"g": {...}, "h": {...}} with sent, received, achieved rate, p50, p99, max (ms).

"use strict";

const path = require("path");
const http = require("http");
const { spawn } = require("child_process");

const modules = path.join(__dirname, "..", "conformance", "node", "node_modules");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;

function readStdin() {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (c) => { text += c; });
    process.stdin.on("end", () => resolve(text));
  });
}

function summary(sent, latencies, elapsedMs) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
  const round = (v) => (v === null || v === undefined ? null : Math.round(v * 10) / 10);
  return {
    sent, received: sorted.length, rate: Math.round((sent / elapsedMs) * 1000),
    p50_ms: round(at(0.5)), p99_ms: round(at(0.99)), max_ms: round(sorted[sorted.length - 1]),
  };
}

// Sends rate × seconds bodies at a fixed rate with `send(body)`; returns the time it took.
async function pace(send, rate, seconds) {
  const count = rate * seconds;
  const start = now();
  const pending = [];
  for (let i = 0; i < count; i += 1) {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 1) await sleep(wait);
    pending.push(send(`lat:${now().toFixed(3)}:${i}`).catch((e) => process.stderr.write(`send failed: ${e}\n`)));
  }
  const elapsed = now() - start;
  await Promise.all(pending);
  return elapsed;
}

// Waits until `seen` holds `count` latencies (or 10 s passed).
async function drain(seen, count) {
  const deadline = now() + 10000;
  while (seen.length < count && now() < deadline) await sleep(20);
}

// The REST poster of phase (h), in its own process.
async function poster(opts) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(`${opts.rest.url}/v2/Services/${opts.rest.service_sid}/Channels/${opts.channel}/Messages`);
  const auth = Buffer.from(`${opts.rest.account_sid}:${opts.rest.auth_token}`).toString("base64");
  const post = (body) => new Promise((resolve, reject) => {
    const data = `Body=${encodeURIComponent(body)}`;
    const headers = {
      Authorization: `Basic ${auth}`, "Content-Type": "application/x-www-form-urlencoded",
      "Content-Length": Buffer.byteLength(data),
    };
    const req = http.request(url, { method: "POST", agent, headers }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(data);
  });
  await pace(post, opts.rate, opts.seconds);
  agent.destroy();
}

function runPoster(opts) {
  const child = spawn(process.execPath, [__filename, "--poster"], { stdio: ["pipe", "inherit", "inherit"] });
  child.stdin.end(JSON.stringify(opts));
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`poster exited ${code}`))));
  });
}

async function run(opts) {
  globalThis.WebSocket = require(path.join(modules, "ws"));
  const { Client } = require(path.join(modules, "twilio-chat"));
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  const alice = await Client.create(opts.alice, options);
  const bob = await Client.create(opts.bob, options);
  const ach = await alice.getChannelBySid(opts.channel);
  const bch = await bob.getChannelBySid(opts.channel);
  let seen = [];
  bch.on("messageAdded", (m) => {
    const parts = typeof m.body === "string" ? m.body.split(":") : [];
    if (parts[0] === "lat") seen.push(now() - Number(parts[1]));
  });
  await ach.sendMessage("warm-up");
  await sleep(500);
  const count = opts.rate * opts.seconds;

  const gElapsed = await pace((body) => ach.sendMessage(body), opts.rate, opts.seconds);
  await drain(seen, count);
  const g = summary(count, seen, gElapsed);

  seen = [];
  const start = now();
  await runPoster({ rest: opts.rest, channel: opts.channel, rate: opts.rate, seconds: opts.seconds });
  const hElapsed = Math.min(now() - start, opts.seconds * 1000);
  await drain(seen, count);
  const h = summary(count, seen, hElapsed);

  await alice.shutdown();
  await bob.shutdown();
  return { g, h };
}

const main = process.argv[2] === "--poster" ? poster : run;
readStdin()
  .then((text) => main(JSON.parse(text)))
  .then((r) => {
    if (r) process.stdout.write(JSON.stringify(r));
    process.exit(0);
  })
  .catch((e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
