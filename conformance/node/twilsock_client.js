#!/usr/bin/env node
// Drives Twilio's own twilsock client (the version twilio-chat 6.0.0 resolves to, pinned in
// package.json) against a Banter server: connect, a tunnelled GET of the chat configuration,
// a tunnelled GET of a path Banter does not serve, a token update, and a graceful close.
//
// Usage: echo '{"uri": "ws://127.0.0.1:PORT/v3/wsconnect", ...}' | node twilsock_client.js
//
// stdin: one JSON object
//   uri                 the socket URL (passed as { twilsock: { uri } }, as an app would)
//   token               the Access Token for init
//   update_token        a second token of the same identity, sent with updateToken()
//   config_url          an absolute URL whose path is /Client/v1/Configuration
//   missing_url         an absolute URL whose path Banter does not serve
//   expired_token       an expired Access Token: a second client connects with it and should be
//                       denied (and told that its token expired)
// stdout: one JSON object with what the client saw (see `report` below). Errors go to stderr
// with a non-zero exit.

"use strict";

// twilsock picks `global.WebSocket`, else `require("ws")`. Node 22 and later have a global
// WebSocket of their own; the `ws` package is set explicitly so every Node version runs the
// same client stack.
globalThis.WebSocket = require("ws");

const { TwilsockClient } = require("twilsock");
const { readStdin } = require("./stdin");

const STEP_TIMEOUT_MS = 10000;

function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function run(opts) {
  const report = { states: [], connection_errors: [] };
  const client = new TwilsockClient(opts.token, "ip_messaging", {
    twilsock: { uri: opts.uri },
    logLevel: "silent",
  });
  client.on("stateChanged", (state) => report.states.push(state));
  client.on("connectionError", (e) => report.connection_errors.push(e));

  const connected = new Promise((resolve) => client.once("connected", resolve));
  client.connect();
  await within(connected, "connected");
  report.connected = client.isConnected;

  const headers = { "Content-Type": "application/json; charset=utf-8" };
  const config = await within(client.get(opts.config_url, headers), "GET configuration");
  report.config = { status: config.status, headers: config.headers, body: config.body };

  try {
    await within(client.get(opts.missing_url, headers), "GET missing");
    report.missing = { rejected: false };
  } catch (e) {
    report.missing = { rejected: true, name: e.name, status: e.status, description: e.description, body: e.body };
  }

  await within(client.updateToken(opts.update_token), "updateToken");
  report.state_after_update = client.state;
  const again = await within(client.get(opts.config_url, headers), "GET configuration after update");
  report.identity_after_update = again.body.identity;

  await within(client.disconnect(), "disconnect");
  report.final_state = client.state;
  report.expired = await refused(opts);
  return report;
}

// A client whose init is refused: twilsock's state goes to `denied` (no reconnect) and, for
// error code 20104, it emits `tokenExpired`.
async function refused(opts) {
  const client = new TwilsockClient(opts.expired_token, "ip_messaging", {
    twilsock: { uri: opts.uri },
    logLevel: "silent",
  });
  const seen = { token_expired: false, errors: [] };
  client.on("tokenExpired", () => (seen.token_expired = true));
  client.on("connectionError", (e) => seen.errors.push(e));
  const denied = new Promise((resolve) =>
    client.on("stateChanged", (state) => state === "denied" && resolve()),
  );
  client.connect();
  await within(denied, "denied");
  // Events are emitted on later ticks: let them arrive.
  await new Promise((resolve) => setTimeout(resolve, 100));
  seen.state = client.state;
  await client.disconnect().catch(() => {});
  return seen;
}

readStdin()
  .then((text) => run(JSON.parse(text)))
  .then((report) => {
    process.stdout.write(JSON.stringify(report) + "\n");
    process.exit(0);
  })
  .catch((e) => {
    process.stderr.write(`twilsock_client.js: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
