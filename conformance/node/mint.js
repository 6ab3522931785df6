#!/usr/bin/env node
// Mints a Twilio Access Token with twilio-node's own helpers (AccessToken + ChatGrant), so the
// conformance suite can check that Banter accepts what twilio-node produces.
//
// Usage: echo '{"account_sid": "AC…", ...}' | node mint.js
//
// stdin: one JSON object
//   account_sid, key_sid, key_secret   the API key that signs the token (sub, iss)
//   identity                           grants.identity
//   service_sid                        grants.chat.service_sid
//   ttl?                               seconds from now to exp (twilio-node's default: 3600); it
//                                      is passed through unchecked, so a negative TTL mints an
//                                      already-expired token and one above 86400 an overlong one
//   nbf?                               not-before, Unix seconds
//   endpoint_id?, push_credential_sid? the optional ChatGrant fields
//   algorithm?                         HS256 (default), HS384 or HS512
// stdout: the JWT, on one line. Errors go to stderr with a non-zero exit.

"use strict";

const twilio = require("twilio");
const { readStdin } = require("./stdin");

const { AccessToken } = twilio.jwt;
const { ChatGrant } = AccessToken;

function mint(opts) {
  for (const name of ["account_sid", "key_sid", "key_secret", "identity", "service_sid"]) {
    if (typeof opts[name] !== "string" || opts[name] === "") {
      throw new Error(`mint.js: "${name}" is required`);
    }
  }
  const token = new AccessToken(opts.account_sid, opts.key_sid, opts.key_secret, {
    identity: opts.identity,
    ttl: opts.ttl,
    nbf: opts.nbf,
  });
  token.addGrant(
    new ChatGrant({
      serviceSid: opts.service_sid,
      endpointId: opts.endpoint_id,
      pushCredentialSid: opts.push_credential_sid,
    }),
  );
  return token.toJwt(opts.algorithm);
}

readStdin()
  .then((text) => process.stdout.write(mint(JSON.parse(text)) + "\n"))
  .catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  });
