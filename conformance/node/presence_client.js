#!/usr/bin/env node
// Reachability through the client SDKs' public API: bob watches alice's User; alice connects,
// registers a device for push, removes it, and leaves. Bob's SDK reports each change of
// alice's online / notifiable state.
//
// stdin: {"sdk": "chat" | "conversations", "uri", "alice_uri" (optional: alice's node),
//         "alice", "bob" (tokens), "rest" ({url, account_sid, auth_token, service_sid}),
//         "alice_identity", "push_token"}
// stdout: {"reachability_enabled", "initial", "states": [[online, notifiable, reasons]…]}.

"use strict";

const { expect, main } = require("./scenario");

const SDKS = {
  chat: {
    create: (token, options) => require("twilio-chat").Client.create(token, options),
    online: (u) => u.online,
    notifiable: (u) => u.notifiable,
    unregister: (client) => client.unsetPushRegistrationId("fcm"),
  },
  conversations: {
    create: async (token, options) => {
      const client = new (require("@twilio/conversations").Client)(token, options);
      await new Promise((resolve, reject) => {
        client.once("initialized", resolve);
        client.once("initFailed", ({ error }) => reject(error));
      });
      return client;
    },
    online: (u) => u.isOnline,
    notifiable: (u) => u.isNotifiable,
    unregister: (client, token) => client.removePushRegistrations("fcm", token),
  },
};

// Renames user `identity` through the operator's REST API.
async function rename(rest, identity, name) {
  const auth = Buffer.from(`${rest.account_sid}:${rest.auth_token}`).toString("base64");
  const resp = await fetch(`${rest.url}/v2/Services/${rest.service_sid}/Users/${identity}`, {
    method: "POST",
    headers: { Authorization: `Basic ${auth}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ FriendlyName: name }).toString(),
  });
  if (resp.status !== 200) throw new Error(`REST POST User: ${resp.status} ${await resp.text()}`);
}

async function run(opts) {
  const sdk = SDKS[opts.sdk];
  const options = { Twilsock: { uri: opts.uri }, logLevel: "silent" };
  const bob = await sdk.create(opts.bob, options);
  const watched = await bob.getUser(opts.alice_identity);
  const report = {
    reachability_enabled: bob.reachabilityEnabled,
    initial: [sdk.online(watched), sdk.notifiable(watched)],
    states: [],
  };
  const log = [];
  watched.on("updated", ({ updateReasons }) => {
    log.push(updateReasons.join(","));
    const reasons = updateReasons.filter((r) => r !== "friendlyName");
    if (reasons.length > 0) report.states.push([sdk.online(watched), sdk.notifiable(watched), reasons]);
  });
  // A rename proves bob's subscription to alice's info is live before she acts.
  await rename(opts.rest, opts.alice_identity, "Alice");
  await expect(log, (r) => r.includes("friendlyName"), "the rename");
  const seen = (n, what) => expect(report.states, (_, i) => i === n - 1, what);

  const alice = await sdk.create(opts.alice, { ...options, Twilsock: { uri: opts.alice_uri || opts.uri } });
  await seen(1, "alice online");
  await alice.setPushRegistrationId("fcm", opts.push_token);
  await seen(2, "alice notifiable");
  await sdk.unregister(alice, opts.push_token);
  await seen(3, "alice no longer notifiable");
  await alice.shutdown();
  await seen(4, "alice offline");
  report.final = [sdk.online(watched), sdk.notifiable(watched)];
  await bob.shutdown();
  return report;
}

main(run);
