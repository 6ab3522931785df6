#!/usr/bin/env node
// The Access Token lifecycle through the public API of twilio-chat 6.0.0 or
// @twilio/conversations 3.0.1.
//
// stdin: {"sdk": "chat"|"conversations", "scenario", "uri", ...}
//   scenario "refresh": {"short" (expires within the warning time), "fresh" (same identity),
//     "unique_name"}: the client is told its token expires soon (tokenAboutToExpire), updates it
//     (updateToken) and goes on in the same session, sending a message.
//   scenario "other": {"fresh", "other" (another identity's)}: the client is handed another
//     identity's token (updateToken), and reports what its SDK did with it.
//   scenario "expire": {"late" (expired, but within the server's clock-skew allowance),
//     "expired" (long expired)}: a client that does not refresh is told when its token expires
//     (tokenExpired); a client whose token expired long ago cannot start, and is told why.
// stdout: the report. Errors: stderr, exit 1.

"use strict";

const { expect, outcome, start, tolerate, main } = require("./scenario");

const WAIT_MS = 20000;

// The two SDKs: their client class, and how a client makes a channel (conversation) of its own.
const SDKS = {
  chat: { Client: () => require("twilio-chat").Client, room: (client, uniqueName) => client.createChannel({ uniqueName }) },
  conversations: {
    Client: () => require("@twilio/conversations").Client,
    room: (client, uniqueName) => client.createConversation({ uniqueName }),
  },
};

// A client of `sdk` whose events are logged into `events` from its start.
const create = (sdk, token, options, events) => start(sdk.Client(), token, options, (c) => watch(c, events));

// Logs the client's token and connection events into `events`, with the time each came.
function watch(client, events) {
  const at = (event) => events.push({ event, t: Date.now() / 1000 });
  client.on("tokenAboutToExpire", () => at("tokenAboutToExpire"));
  client.on("tokenExpired", () => at("tokenExpired"));
  client.on("connectionStateChanged", (s) => at(`state:${s}`));
  client.on("connectionError", (e) => at(`connectionError:${e.httpStatusCode}/${e.errorCode}/${e.terminal}`));
}

const names = (events) => events.map((e) => e.event);

async function refresh(sdk, opts, options) {
  const report = {};
  const events = [];
  const client = await create(sdk, opts.short, options, events);
  await expect(events, (e) => e.event === "tokenAboutToExpire", "tokenAboutToExpire");
  await client.updateToken(opts.fresh);
  report.state_after_update = client.connectionState;
  const room = await sdk.room(client, opts.unique_name);
  await room.join();
  report.sent_index = await room.sendMessage("still here");
  report.events = names(events);
  await client.shutdown();
  return report;
}

async function other(sdk, opts, options) {
  // Once refused, the client's transport is gone: requests the SDK still had going in the
  // background fail with "Unable to connect" where no app code can catch them.
  tolerate((e) => e && /^Unable to connect/.test(e.message || ""));
  const events = [];
  const client = await create(sdk, opts.fresh, options, events);
  events.length = 0;
  const update = await outcome(client.updateToken(opts.other));
  // The refusal reaches the connection state after the promise settles, through
  // `disconnecting` (the SDK waits 3 s for the socket to close): wait for where it settles.
  const settled = ["state:denied", "state:disconnected", "state:connected"];
  await outcome(expect(events, (e) => settled.includes(e.event), "a settled state", 8000));
  // No shutdown: an update the server never answered is rejected then, and twilsock turns
  // that into an "error" event nobody can listen to, which ends the process.
  return {
    resolved: update.ok, message: update.message, events: names(events), state: client.connectionState,
    identity: client.user.identity,
  };
}

async function expire(sdk, opts, options) {
  const report = {};
  const events = [];
  const client = await create(sdk, opts.late, options, events);
  events.length = 0;
  report.state_at_start = client.connectionState;
  await expect(events, (e) => e.event === "tokenExpired", "tokenExpired", WAIT_MS);
  await expect(events, (e) => e.event === "state:disconnected", "the client disconnected", WAIT_MS);
  report.events = events;
  report.state = client.connectionState;
  await client.shutdown();

  // A token that expired long ago: the client cannot start, and is told why (twilsock 401 /
  // 20104, which the SDK reports as connectionError; the start-up fails first).
  const seen = [];
  let denied;
  try {
    denied = await create(sdk, opts.expired, options, seen);
    report.expired = { started: true };
  } catch (e) {
    denied = e.client;
    report.expired = { started: false };
  }
  await expect(seen, (e) => e.event.startsWith("connectionError"), "connectionError");
  report.expired.events = names(seen);
  report.expired.state = denied.connectionState;
  await denied.shutdown();
  return report;
}

async function run(opts) {
  const sdk = SDKS[opts.sdk];
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  return { refresh, other, expire }[opts.scenario](sdk, opts, options);
}

main(run);
