#!/usr/bin/env node
// Drives the Conversations v1 REST API (and Chat v3's channel update) through twilio-node,
// pointed at Banter the way README.md says: client.conversations.baseUrl.
//
// Usage: echo '{"base_url": "http://…", "account_sid": "AC…", "auth_token": "…"}' | node rest_conversations.js
// stdout: one JSON object with what each step returned. Errors go to stderr with a non-zero exit.

"use strict";

const twilio = require("twilio");
const { readStdin } = require("./stdin");

async function run(opts) {
  const client = twilio(opts.account_sid, opts.auth_token, { edge: "", region: "" });
  client.edge = undefined;
  client.region = undefined;
  client.conversations.baseUrl = opts.base_url;
  client.chat.baseUrl = opts.base_url;
  const conv = client.conversations.v1;
  const svc = await conv.services.create({ friendlyName: "node" });
  const scoped = conv.services(svc.sid);
  const c = await scoped.conversations.create({ friendlyName: "from node", state: "inactive" });
  const p = await scoped.conversations(c.sid).participants.create({ identity: "alice" });
  const m = await scoped.conversations(c.sid).messages.create({ author: "alice", body: "hi" });
  const messages = await scoped.conversations(c.sid).messages.list();
  const updated = await scoped.conversations(c.sid).participants(p.sid).update({ lastReadMessageIndex: 0 });
  const userConvs = await scoped.users("alice").userConversations.list();
  const roles = await scoped.roles.list();
  const cfg = await conv.configuration().fetch();
  const top = await conv.conversations.create({ friendlyName: "top" });
  const pub = await client.chat.v2.services(svc.sid).channels.create({ friendlyName: "pub" });
  const v3 = await client.chat.v3.channels(svc.sid, pub.sid).update({ type: "private" });
  const nowConversation = await scoped.conversations(pub.sid).fetch();
  let missing = null;
  try {
    await scoped.conversations("CH" + "f".repeat(32)).fetch();
  } catch (e) {
    missing = { status: e.status, code: e.code };
  }
  await conv.services(svc.sid).remove();
  return {
    service: svc.sid,
    conversation: { sid: c.sid, state: c.state, chatServiceSid: c.chatServiceSid, url: c.url },
    participant: { sid: p.sid, identity: p.identity, lastRead: updated.lastReadMessageIndex },
    message: { index: m.index, author: m.author, participantSid: m.participantSid },
    messages: messages.map((x) => x.body),
    userConversations: userConvs.map((x) => x.conversationSid),
    roleTypes: [...new Set(roles.map((r) => r.type))].sort(),
    defaultService: cfg.defaultChatServiceSid,
    topService: top.chatServiceSid,
    v3Type: v3.type,
    nowConversation: nowConversation.sid,
    missing,
  };
}

readStdin()
  .then((text) => run(JSON.parse(text)))
  .then((out) => process.stdout.write(JSON.stringify(out) + "\n"))
  .catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
