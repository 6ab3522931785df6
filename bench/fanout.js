#!/usr/bin/env node
// Many client sockets at once, with a minimal twilsock client (init, one Sync subscription,
// acks): what Banter does with a crowd. Run by bench/fanout.py, which starts the server.
//
//   fan-out: CLIENTS sockets follow one channel's messages; the operator posts MESSAGES
//            messages through REST, one every 200 ms; each is timed from its POST to its arrival
//            at every socket (p50/p99 over all deliveries).
//   storm:   every socket is dropped and reconnects at once (init with its continuation token,
//            re-subscribe from its last event id); time until all are established again.
//   idle:    IDLE more sockets connect and stay; the server's RSS per socket.
//
// stdin: {"uri", "tokens": [...], "list_sid", "rest": {...}, "channel", "messages", "idle_tokens"}
// stdout: {"fanout": {...}, "storm": {...}, "idle": {...}}

"use strict";

const path = require("path");
const http = require("http");
const fs = require("fs");

const WebSocket = require(path.join(__dirname, "..", "conformance", "node", "node_modules", "ws"));

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function frame(header, payload = "") {
  const body = Buffer.from(payload);
  const h = JSON.stringify({ ...header, payload_size: body.length });
  return Buffer.concat([Buffer.from(`TWILSOCK V3.0 ${Buffer.byteLength(h)}\r\n${h}\r\n`), body]);
}

function parse(buf) {
  const text = buf.toString("utf8");
  const nl = text.indexOf("\r\n");
  const hlen = Number(text.slice("TWILSOCK V3.0 ".length, nl));
  const start = Buffer.byteLength(text.slice(0, nl + 2));
  const header = JSON.parse(buf.slice(start, start + hlen).toString("utf8"));
  const payload = buf.slice(start + hlen + 2, start + hlen + 2 + (header.payload_size || 0)).toString("utf8");
  return { header, payload };
}

let nextId = 0;
const id = () => `TM${(nextId += 1)}`;

// One socket: init, subscribe to `listSid` from `lastEventId`; resolves once established.
function connect(uri, token, listSid, state) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(uri);
    state.ws = ws;
    ws.binaryType = "nodebuffer";
    ws.on("error", reject);
    ws.on("open", () => {
      ws.send(frame({ id: id(), method: "init", token, continuation_token: state.ct || null, capabilities: [],
        metadata: {}, registrations: null, tweaks: null }));
    });
    ws.on("message", (data) => {
      const { header, payload } = parse(data);
      if (header.method !== "reply") ws.send(frame({ id: header.id, method: "reply", status: { code: 200, status: "OK" } }));
      if (header.method === "reply" && header.continuation_token) {
        state.ct = header.continuation_token;
        const body = JSON.stringify({ event_protocol_version: 4, action: "establish", correlation_id: 1,
          requests: [{ object_sid: listSid, object_type: "list", last_event_id: state.last ?? null }] });
        ws.send(frame({ id: id(), method: "message", active_grant: "ip_messaging", payload_type: "application/json",
          http_request: { host: "cds", path: "/v4/Subscriptions", method: "POST", params: {}, headers: {} } }, body));
      }
      if (header.method !== "notification") return;
      const n = JSON.parse(payload);
      if (n.event_type === "subscription_established") {
        state.last = n.event.last_event_id;
        resolve();
      } else if (n.event_type === "list_item_added") {
        state.last = n.event.id;
        if (state.onMessage) state.onMessage(n.event.item_data.text);
      }
    });
  });
}

function rss(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return Number(m[1]);
}

function percentiles(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10;
  return { samples: s.length, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: Math.round(s[s.length - 1] * 10) / 10 };
}

function post(rest, channel, body) {
  const data = `Body=${encodeURIComponent(body)}`;
  const auth = Buffer.from(`${rest.account_sid}:${rest.auth_token}`).toString("base64");
  const url = new URL(`${rest.url}/v2/Services/${rest.service_sid}/Channels/${channel}/Messages`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { Authorization: `Basic ${auth}`,
      "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end(data);
  });
}

async function inBatches(items, size, f) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(f));
}

async function run(o) {
  const states = o.tokens.map(() => ({}));
  const t0 = now();
  await inBatches(states, 100, (s, i) => connect(o.uri, o.tokens[states.indexOf(s)], o.list_sid, s));
  const connectMs = now() - t0;

  // Fan-out.
  const latencies = [];
  const sent = new Map();
  for (const s of states) s.onMessage = (text) => { if (sent.has(text)) latencies.push(now() - sent.get(text)); };
  for (let i = 0; i < o.messages; i += 1) {
    const body = `m${i}`;
    sent.set(body, now());
    await post(o.rest, o.channel, body);
    await sleep(200);
  }
  const deadline = now() + 10000;
  while (latencies.length < o.messages * states.length && now() < deadline) await sleep(20);
  const fanout = { clients: states.length, messages: o.messages, ...percentiles(latencies),
    delivered: latencies.length, expected: o.messages * states.length };

  // Reconnect storm: drop every socket, post one message while they are away, reconnect all.
  for (const s of states) { s.onMessage = null; s.ws.terminate(); }
  await sleep(200);
  await post(o.rest, o.channel, "while away");
  let caughtUp = 0;
  for (const s of states) s.onMessage = (text) => { if (text === "while away") caughtUp += 1; };
  const t1 = now();
  await Promise.all(states.map((s, i) => connect(o.uri, o.tokens[i], o.list_sid, s)));
  while (caughtUp < states.length && now() < t1 + 30000) await sleep(5);
  const storm = { clients: states.length, all_established_ms: Math.round(now() - t1), caught_up: caughtUp };

  // Idle sockets and memory.
  const before = rss(o.server_pid);
  const idle = o.idle_tokens.map(() => ({}));
  const t2 = now();
  await inBatches(idle, 200, (s) => connect(o.uri, o.idle_tokens[idle.indexOf(s)], o.list_sid, s));
  const idleMs = now() - t2;
  await sleep(2000);
  const after = rss(o.server_pid);
  const idleReport = { sockets: idle.length, connect_ms: Math.round(idleMs), rss_before_kb: before, rss_after_kb: after,
    kb_per_socket: Math.round(((after - before) / idle.length) * 10) / 10 };
  for (const s of [...states, ...idle]) s.ws.terminate();
  return { connect_ms: Math.round(connectMs), fanout, storm, idle: idleReport };
}

let input = "";
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", () => run(JSON.parse(input)).then((r) => {
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}, (e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}));
