#!/usr/bin/env node
// The Access Token lifecycle through twilio-chat 6.0.0's public API: a client whose token
// expires soon is told so (tokenAboutToExpire), updates it (updateToken) and goes on in the same
// session; a client whose token already expired cannot start, and is told why.
//
// stdin: {"uri", "short" (expires within the warning time), "fresh" (same identity),
//         "expired", "unique_name"}
// stdout: the report. Errors: stderr, exit 1.

"use strict";

const { expect, outcome, main } = require("./scenario");

const { Client } = require("twilio-chat");

async function run(opts) {
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  const report = {};
  const events = [];
  const client = await Client.create(opts.short, options);
  client.on("tokenAboutToExpire", () => events.push("tokenAboutToExpire"));
  client.on("tokenExpired", () => events.push("tokenExpired"));
  client.on("connectionStateChanged", (s) => events.push(`state:${s}`));
  await expect(events, (e) => e === "tokenAboutToExpire", "tokenAboutToExpire");
  await client.updateToken(opts.fresh);
  report.state_after_update = client.connectionState;
  const ch = await client.createChannel({ uniqueName: opts.unique_name });
  await ch.join();
  report.sent_index = await ch.sendMessage("still here");
  report.events = [...events];
  await client.shutdown();

  // An expired token: the SDK is denied (twilsock 401 / 20104) and says so.
  const late = await outcome(Client.create(opts.expired, options));
  report.expired = { created: late.ok, message: late.message };
  if (late.ok) {
    const seen = [];
    late.value.on("tokenExpired", () => seen.push("tokenExpired"));
    late.value.on("connectionStateChanged", (st) => seen.push(`state:${st}`));
    seen.push(`state:${late.value.connectionState}`);
    await expect(seen, (e) => e === "state:denied", "the expired client denied");
    report.expired.events = seen;
    await late.value.shutdown();
  }
  return report;
}

main(run);
