#!/usr/bin/env python3
"""One mail-client operation with Python's standard imaplib / poplib / smtplib, for postern's tests.

Called by test/helpers/clients.ts as `python3 mail_client.py '<job as JSON>'`; prints one JSON object
on stdout: {"ok": true, "result": {...}} or {"ok": false, "error": "<type>: <message>"}. Bytes in
results are base64 (field names ending in _b64). With "debug": true the library's protocol trace goes
to stderr.

Jobs (common fields: op, host, port, tls = null | "implicit" | "starttls", timeout seconds,
cafile (verify against it; default: no certificate check), debug):
  imap:  user, password, auth ("login" | "plain"), mailbox, message (sequence number, default 1),
         fetch (default true) -> capabilities, greeting, message_b64
  pop3:  user, password, message (default 1), retr (default true) -> greeting, stat, message_b64
  smtp:  ehlo, mail_from, rcpt_to [..], data_file, user, password, auth_mechanism
         -> ehlo_reply, esmtp_features, refused, quit_reply
"""

import base64
import imaplib
import json
import poplib
import smtplib
import ssl
import sys


def tls_context(job):
    ctx = ssl.create_default_context(cafile=job.get("cafile"))
    if not job.get("cafile"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def b64(data):
    return base64.b64encode(data).decode("ascii")


def run_imap(job):
    host, port, timeout = job.get("host", "127.0.0.1"), job["port"], job.get("timeout", 10)
    if job.get("debug"):
        imaplib.Debug = 4
    if job.get("tls") == "implicit":
        conn = imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(job), timeout=timeout)
    else:
        conn = imaplib.IMAP4(host, port, timeout=timeout)
        if job.get("tls") == "starttls":
            conn.starttls(ssl_context=tls_context(job))
    result = {"greeting": conn.welcome.decode("latin-1"), "capabilities": sorted(conn.capabilities)}
    user, password = job["user"], job["password"]
    if job.get("auth") == "plain":
        conn.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password)).encode("utf-8"))
    else:
        conn.login(user, password)
    if job.get("fetch", True):
        typ, _ = conn.select(job.get("mailbox", "INBOX"), readonly=True)
        if typ != "OK":
            raise RuntimeError("SELECT failed")
        typ, data = conn.fetch(str(job.get("message", 1)), "(BODY.PEEK[])")
        if typ != "OK" or not data or not isinstance(data[0], tuple):
            raise RuntimeError("FETCH failed: %r" % (data,))
        result["message_b64"] = b64(data[0][1])
    conn.logout()
    return result


def run_pop3(job):
    host, port, timeout = job.get("host", "127.0.0.1"), job["port"], job.get("timeout", 10)
    if job.get("tls") == "implicit":
        conn = poplib.POP3_SSL(host, port, context=tls_context(job), timeout=timeout)
    else:
        conn = poplib.POP3(host, port, timeout=timeout)
    if job.get("debug"):
        conn.set_debuglevel(2)
    if job.get("tls") == "starttls":
        conn.stls(context=tls_context(job))
    result = {"greeting": conn.getwelcome().decode("latin-1")}
    conn.user(job["user"])
    conn.pass_(job["password"])
    result["stat"] = list(conn.stat())
    if job.get("retr", True):
        _, lines, _ = conn.retr(job.get("message", 1))
        # poplib drops each line's CRLF and undoes dot-stuffing; put the line endings back.
        result["message_b64"] = b64(b"".join(line + b"\r\n" for line in lines))
    conn.quit()
    return result


def run_smtp(job):
    host, port, timeout = job.get("host", "127.0.0.1"), job["port"], job.get("timeout", 10)
    local = job.get("ehlo", "client.postern.test")
    if job.get("tls") == "implicit":
        conn = smtplib.SMTP_SSL(host, port, local_hostname=local, context=tls_context(job), timeout=timeout)
    else:
        conn = smtplib.SMTP(host, port, local_hostname=local, timeout=timeout)
    if job.get("debug"):
        conn.set_debuglevel(2)
    code, reply = conn.ehlo()
    if job.get("tls") == "starttls":
        conn.starttls(context=tls_context(job))
        code, reply = conn.ehlo()
    result = {"ehlo_reply": [code, reply.decode("latin-1")], "esmtp_features": sorted(conn.esmtp_features)}
    if job.get("user") is not None:
        mech = job.get("auth_mechanism")
        if mech:
            conn.user, conn.password = job["user"], job["password"]
            method = {"PLAIN": conn.auth_plain, "LOGIN": conn.auth_login, "CRAM-MD5": conn.auth_cram_md5}[mech]
            conn.auth(mech, method)
        else:
            conn.login(job["user"], job["password"])
    with open(job["data_file"], "rb") as f:
        data = f.read()
    # Bytes go out as they are (smtplib only dot-stuffs and adds the final CRLF . CRLF), so
    # bare-LF messages reach the server unchanged.
    result["refused"] = conn.sendmail(job["mail_from"], job["rcpt_to"], data)
    code, reply = conn.quit()
    result["quit_reply"] = [code, reply.decode("latin-1")]
    return result


def run_job_from_argv(ops):
    """Runs the job given as JSON in argv[1] with ops[job["op"]]; prints {"ok", "result"|"error"}."""
    job = json.loads(sys.argv[1])
    try:
        out = {"ok": True, "result": ops[job["op"]](job)}
    except Exception as e:  # the caller asserts on the error text
        out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + "\n")


def main():
    run_job_from_argv({"imap": run_imap, "pop3": run_pop3, "smtp": run_smtp})


if __name__ == "__main__":
    main()
