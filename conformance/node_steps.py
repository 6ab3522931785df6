"""Drives a Node script one step at a time: each step is a JSON command line on its stdin,
answered by one JSON line on its stdout (conformance/node/reconnect_client.js). The test
interleaves the steps with what it does itself (cutting the network, restarting the server,
writing through REST).

Not collected by pytest (no ``test_`` prefix); the test modules import what they use.
"""

import json
import queue
import subprocess
import threading

import pytest

from access_tokens import NODE_DIR


class NodeSteps:
    def __init__(self, script):
        self.proc = subprocess.Popen(["node", str(NODE_DIR / script)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     bufsize=1, cwd=NODE_DIR)
        self._lines = queue.Queue()
        self._stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self._keep_stderr), daemon=True).start()

    def _keep_stderr(self, line):
        if line is not None:
            self._stderr.append(line)

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line)
        put(None)

    def step(self, op, timeout=60, **args):
        """Runs one command; returns its answer, or fails the test with what the script said."""
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail("%s: no answer within %ss" % (op, timeout), pytrace=False)
        if line is None:
            self.proc.wait(timeout=10)
            pytest.fail("%s: the script exited (%s): %s"
                        % (op, self.proc.returncode, "".join(self._stderr)[-4000:]), pytrace=False)
        answer = json.loads(line)
        if not answer.pop("ok"):
            pytest.fail("%s failed: %s" % (op, json.dumps(answer)[-6000:]), pytrace=False)
        return answer

    def close(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
