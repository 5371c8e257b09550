#!/usr/bin/env python3
"""Python poplib sessions the shared helper (test/helpers/py/mail_client.py) does not cover, for the
POP3 end-to-end tests: APOP, a large RETR reported by hash, and commands pipelined in one write.

Called as `python3 poplib_job.py '<job as JSON>'`; prints one JSON object on stdout:
{"ok": true, "result": {...}} or {"ok": false, "error": "<type>: <message>"}.

Jobs (common fields: op, host, port, timeout seconds):
  apop:     user, password -> greeting, stat, message_b64 (RETR 1)
  retr:     user, password, message -> stat, size, sha256 (of the CRLF-joined, dot-unstuffed lines)
  pipeline: lines [..] sent in ONE write, then reads (one of "resp" | "long" per line, in order)
            -> replies: [[first line, [more lines...]], ...]
"""

import base64
import hashlib
import poplib
import os
import sys

# The job runner is shared with the other Python clients (test/helpers/py/mail_client.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "helpers", "py"))
from mail_client import run_job_from_argv  # noqa: E402


def connect(job):
    return poplib.POP3(job.get("host", "127.0.0.1"), job["port"], timeout=job.get("timeout", 20))


def run_apop(job):
    conn = connect(job)
    result = {"greeting": conn.getwelcome().decode("latin-1")}
    conn.apop(job["user"], job["password"])
    result["stat"] = list(conn.stat())
    _, lines, _ = conn.retr(1)
    result["message_b64"] = base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode("ascii")
    conn.quit()
    return result


def run_retr(job):
    conn = connect(job)
    conn.user(job["user"])
    conn.pass_(job["password"])
    result = {"stat": list(conn.stat())}
    _, lines, _ = conn.retr(job.get("message", 1))
    body = b"".join(l + b"\r\n" for l in lines)
    result["size"] = len(body)
    result["sha256"] = hashlib.sha256(body).hexdigest()
    conn.quit()
    return result


def run_pipeline(job):
    conn = connect(job)
    result = {"greeting": conn.getwelcome().decode("latin-1")}
    conn.sock.sendall(b"".join(l.encode("latin-1") + b"\r\n" for l in job["lines"]))
    replies = []
    for kind in job["reads"]:
        if kind == "long":
            first, lines, _ = conn._getlongresp()
            replies.append([first.decode("latin-1"), [l.decode("latin-1") for l in lines]])
        else:
            replies.append([conn._getresp().decode("latin-1"), []])
    result["replies"] = replies
    conn.close()
    return result


def main():
    run_job_from_argv({"apop": run_apop, "retr": run_retr, "pipeline": run_pipeline})


if __name__ == "__main__":
    main()
