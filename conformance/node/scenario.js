// What the client SDK scenarios (chat_client.js, conv_client.js) share: the browser-like
// globals the SDKs expect, waiting for events, refusals as data, a REST write as the operator,
// and the run-and-report wrapper.

"use strict";

// twilsock picks the global WebSocket: the `ws` package, so every Node version runs the same
// client stack. Browsers and Node 20+ have a global Web Crypto (the SDKs draw their ids from
// it); Node 18 has it only as a module.
globalThis.WebSocket = require("ws");
globalThis.crypto ??= require("crypto").webcrypto;

const { readStdin } = require("./stdin");

const STEP_TIMEOUT_MS = 10000;

// The SDKs cache reads of a link for http_cache_interval × 100 ms (0.5 s for PT5S).
const CACHE_MS = 600;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits (up to `ms`) until `log` holds an entry matching `pred`; returns it.
async function expect(log, pred, what, ms = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = log.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(log)}`);
    await sleep(20);
  }
}

// The outcome of a call that may be refused: its value, or the error's status and code.
async function outcome(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (e) {
    return { ok: false, status: e.status, code: e.body && e.body.code, message: e.message };
  }
}

// Starts a client of twilio-chat 6 or @twilio/conversations 3 with the SDK's public constructor;
// resolves with it once its `stateChanged` says "initialized", or rejects, with the client as
// the error's `client`, when it says "failed". `created(client)` runs at once, so that listeners
// see the start-up too.
function start(Client, token, options, created = () => {}) {
  return new Promise((resolve, reject) => {
    const client = new Client(token, options);
    created(client);
    client.on("stateChanged", (state) => {
      if (state === "initialized") resolve(client);
      if (state === "failed") reject(Object.assign(new Error("the client failed to start"), { client }));
    });
  });
}

// POSTs a message to channel `sid` through the operator's REST API ({url, account_sid,
// auth_token, service_sid}).
async function restMessage(rest, sid, body) {
  const auth = Buffer.from(`${rest.account_sid}:${rest.auth_token}`).toString("base64");
  const resp = await fetch(`${rest.url}/v2/Services/${rest.service_sid}/Channels/${sid}/Messages`, {
    method: "POST",
    headers: { Authorization: `Basic ${auth}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ Body: body, From: "rest-bot" }).toString(),
  });
  if (resp.status !== 201) throw new Error(`REST POST Message: ${resp.status} ${await resp.text()}`);
  return resp.json();
}

// The SDKs read a channel's Sync objects in the background (twilio-sync re-reads a map's items
// after events); such a read of a channel that was destroyed or left meanwhile fails with 404
// inside the SDK, where no app code can catch it (a browser logs it). Those are logged, not
// fatal, as are the rejections a scenario declares expected (`tolerate`); any other unhandled
// rejection still ends the run.
const tolerated = [(e) => e && e.status === 404];

// Makes unhandled rejections matching `pred` expected (logged, not fatal): for example the
// background requests of a client the scenario has had refused.
function tolerate(pred) {
  tolerated.push(pred);
}

process.on("unhandledRejection", (e) => {
  if (tolerated.some((pred) => pred(e))) {
    process.stderr.write(`SDK background request failed (expected here): ${e && e.message}\n`);
    return;
  }
  throw e;
});

// Reads the request from stdin, runs `scenario` and prints its report (errors: stderr, exit 1).
function main(scenario) {
  readStdin()
    .then((text) => scenario(JSON.parse(text)))
    .then((report) => {
      process.stdout.write(JSON.stringify(report));
      process.exit(0);
    })
    .catch((e) => {
      process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    });
}

module.exports = { CACHE_MS, sleep, expect, outcome, start, restMessage, tolerate, main };
