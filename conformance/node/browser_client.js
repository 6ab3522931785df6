#!/usr/bin/env node
// The client SDKs' browser bundles in a real browser: headless Chromium (Debian's `chromium`,
// driven by puppeteer-core, both pinned/installed by .ci/run) opens a page served by this script
// on its own loopback origin, which loads twilio-chat 6.0.0's `builds/twilio-chat.js` and
// @twilio/conversations 3.0.1's `builds/twilio-conversations.js` with <script> tags, exactly as
// a web app does, and runs two users in each SDK: send, receive, typing, read horizon.
//
// Usage: echo '{"uri": "ws://127.0.0.1:PORT/v3/wsconnect", "alice", "bob", "unique_name"}' | node browser_client.js
// stdout: {"chat": {...}, "conversations": {...}} as the page reported it. Errors: stderr, exit 1.

"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");
const puppeteer = require("puppeteer-core");
const { main } = require("./scenario");

const BUNDLES = {
  "/twilio-chat.js": require.resolve("twilio-chat/builds/twilio-chat.js"),
  "/twilio-conversations.js": path.join(path.dirname(require.resolve("@twilio/conversations/package.json")),
    "builds", "twilio-conversations.js"),
  "/page.js": path.join(__dirname, "browser_page.js"),
};

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Banter SDK page</title>
<script src="/twilio-chat.js"></script><script src="/twilio-conversations.js"></script>
<script src="/page.js"></script></head><body>banter</body></html>`;

function serve() {
  const server = http.createServer((req, res) => {
    const file = BUNDLES[req.url];
    if (req.url === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(PAGE);
    } else if (file) {
      res.writeHead(200, { "Content-Type": "application/javascript; charset=utf-8" });
      fs.createReadStream(file).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function run(opts) {
  const server = await serve();
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
    const report = await page.evaluate((o) => window.runScenario(o), opts);
    report.page_errors = errors;
    report.user_agent = await browser.userAgent();
    return report;
  } finally {
    await browser.close();
    server.close();
  }
}

main(run);
