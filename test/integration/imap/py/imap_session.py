#!/usr/bin/env python3
"""Python's imaplib through postern, for test/integration/imap/real-clients.test.ts.

Called as `python3 imap_session.py '<job as JSON>'`; prints one JSON object on stdout:
{"ok": true, "result": {...}} or {"ok": false, "error": "<type>: <message>", "result": {...so far}}.

Job: host, port, timeout (seconds, for every socket wait), user, password (text, sent as UTF-8),
steps (in order), fetch_file (where "fetch" writes the message). Steps:
  login_literal  LOGIN with the password as a synchronising literal (imaplib's `literal` mechanism)
  login          imaplib's login() (quoted strings)
  cram_md5       AUTHENTICATE CRAM-MD5 (imaplib's login_cram_md5)
  select         SELECT INBOX -> exists
  fetch          FETCH 1 (BODY.PEEK[]) -> fetch_len, fetch_sha256, the bytes in fetch_file
  idle           IDLE; a second connection (same login, through the same server) APPENDs a message;
                 waits for "* <n> EXISTS", sends DONE, reads the tagged reply -> idle_lines
  logout         LOGOUT -> logout
"""

import hashlib
import imaplib
import json
import sys


def login_literal(conn, user, password):
    # imaplib appends `literal` to the command as {n} and sends it after the server's "+".
    conn.literal = password
    typ, data = conn._simple_command("LOGIN", user)
    if typ != "OK":
        raise RuntimeError("LOGIN failed: %r" % (data,))
    conn.state = "AUTH"
    return data


def idle(conn, job, password):
    tag = conn._new_tag()
    conn.send(tag + b" IDLE\r\n")
    lines = [conn.readline().decode("latin-1")]
    if not lines[0].startswith("+"):
        raise RuntimeError("no IDLE continuation: %r" % lines)
    other = imaplib.IMAP4(job["host"], job["port"], timeout=job["timeout"])
    login_literal(other, job["user"], password)
    typ, data = other.append("INBOX", None, None, b"Subject: idle\r\n\r\nnew mail while idling\r\n")
    if typ != "OK":
        raise RuntimeError("APPEND failed: %r" % (data,))
    other.logout()
    while True:
        line = conn.readline()
        if not line:
            raise RuntimeError("connection closed during IDLE: %r" % lines)
        lines.append(line.decode("latin-1"))
        if line.endswith(b" EXISTS\r\n"):
            break
    conn.send(b"DONE\r\n")
    while True:
        line = conn.readline()
        if not line:
            raise RuntimeError("connection closed after DONE: %r" % lines)
        lines.append(line.decode("latin-1"))
        if line.startswith(tag + b" "):
            break
    return lines


def run(job, result):
    password = job["password"].encode("utf-8")
    conn = imaplib.IMAP4(job["host"], job["port"], timeout=job["timeout"])
    result["greeting"] = conn.welcome.decode("latin-1")
    result["capabilities"] = sorted(conn.capabilities)
    for step in job["steps"]:
        if step == "login_literal":
            result["login"] = [d.decode("latin-1") for d in login_literal(conn, job["user"], password)]
        elif step == "login":
            typ, data = conn.login(job["user"], job["password"])
            result["login"] = [typ] + [d.decode("latin-1") for d in data]
        elif step == "cram_md5":
            typ, data = conn.login_cram_md5(job["user"], job["password"])
            result["login"] = [typ] + [d.decode("latin-1") for d in data]
        elif step == "select":
            typ, data = conn.select("INBOX")
            if typ != "OK":
                raise RuntimeError("SELECT failed: %r" % (data,))
            result["exists"] = int(data[0])
        elif step == "fetch":
            typ, data = conn.fetch("1", "(BODY.PEEK[])")
            if typ != "OK" or not data or not isinstance(data[0], tuple):
                raise RuntimeError("FETCH failed: %r" % (data[:1],))
            body = data[0][1]
            with open(job["fetch_file"], "wb") as f:
                f.write(body)
            result["fetch_len"] = len(body)
            result["fetch_sha256"] = hashlib.sha256(body).hexdigest()
        elif step == "idle":
            result["idle_lines"] = idle(conn, job, password)
        elif step == "logout":
            typ, data = conn.logout()
            result["logout"] = [typ] + [d.decode("latin-1") for d in data]
        else:
            raise ValueError("unknown step %s" % step)


def main():
    job = json.loads(sys.argv[1])
    result = {}
    try:
        run(job, result)
        out = {"ok": True, "result": result}
    except Exception as e:  # the test asserts on the error text
        out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "result": result}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
