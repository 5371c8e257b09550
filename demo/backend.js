#!/usr/bin/env node
/**
 * postern's demo backend: the smallest IMAP, POP3 and SMTP server that lets `npm start` show mail
 * flowing through the proxy on a machine with no Dovecot or Postfix. Not a mail server: one shared
 * in-memory INBOX per user holding a welcome message (plus anything sent through its SMTP side), no
 * persistence, no TLS, loopback only.
 *
 * Owns: the three line protocols to the extent curl, Python's imaplib/poplib/smtplib and postern's
 * backend login use them — IMAP LOGIN (quoted, atom, synchronising and LITERAL+ literals), CAPABILITY,
 * SELECT/EXAMINE, (UID) FETCH of BODY[]/BODY.PEEK[]/RFC822, LIST, NOOP, LOGOUT; POP3 USER/PASS, STAT,
 * LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT; SMTP EHLO/HELO, XCLIENT (postern sends it, as nginx
 * does), MAIL, RCPT, DATA, RSET, NOOP, QUIT.
 * Logins: users listed in the users file (Dovecot passwd-file format); a `{PLAIN}` password is checked,
 * other schemes are trusted (the auth service in front already checked them).
 *
 * Plain JS on purpose: `npm start` runs it straight after the build, and the build covers src/ and
 * auth-service/ only.
 *
 * Usage: node demo/backend.js [--users FILE] [--imap PORT] [--pop3 PORT] [--smtp PORT] [--host ADDR]
 * Prints one line `demo backend listening imap=… pop3=… smtp=…` on stderr when ready.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
}
const HOST = opt('--host', '127.0.0.1');
const PORTS = { imap: Number(opt('--imap', '11143')), pop3: Number(opt('--pop3', '11110')), smtp: Number(opt('--smtp', '11025')) };
const USERS_FILE = opt('--users', new URL('../conf/auth/users', import.meta.url).pathname);

/** name (lowercase) → cleartext password, or null when the stored password is hashed. */
function readUsers() {
  const users = new Map();
  let text = '';
  try {
    text = readFileSync(USERS_FILE, 'utf8');
  } catch (err) {
    process.stderr.write(`demo backend: cannot read ${USERS_FILE}: ${err.message}\n`);
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [name, password = ''] = line.split(':');
    if (!name) continue;
    const plain = /^\{(PLAIN|CLEAR|CLEARTEXT)\}/i.exec(password);
    users.set(name.toLowerCase(), plain ? password.slice(plain[0].length) : null);
  }
  return users;
}

function checkLogin(user, pass) {
  const users = readUsers();
  const key = user.toLowerCase();
  if (!users.has(key)) return false;
  const clear = users.get(key);
  return clear === null || clear === pass;
}

const WELCOME = (user) =>
  Buffer.from(
    [
      'From: postern demo <postmaster@example.com>',
      `To: ${user}`,
      'Subject: Welcome to postern',
      'Date: Thu, 01 Jan 2026 00:00:00 +0000',
      'Message-ID: <welcome@postern.demo>',
      '',
      'Hello! This message came from the demo backend, through postern.',
      '',
    ].join('\r\n'),
  );

/** user → array of message Buffers (shared by the three protocols). */
const mailboxes = new Map();
function mailbox(user) {
  const key = user.toLowerCase();
  if (!mailboxes.has(key)) mailboxes.set(key, [WELCOME(user)]);
  return mailboxes.get(key);
}

/** Line reader with IMAP literal support: calls onLine(line) and lets it ask for `n` raw bytes next. */
function lineReader(socket, handler) {
  let buf = Buffer.alloc(0);
  let want = 0; // raw bytes requested
  let wantCb = null;
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (want > 0) {
        if (buf.length < want) return;
        const bytes = buf.subarray(0, want);
        buf = buf.subarray(want);
        want = 0;
        const cb = wantCb;
        wantCb = null;
        cb(bytes);
        continue;
      }
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length > 65536) socket.destroy();
        return;
      }
      const line = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
      buf = buf.subarray(nl + 1);
      handler(line, (n, cb) => {
        want = n;
        wantCb = cb;
      });
      if (socket.destroyed) return;
    }
  });
  socket.on('error', () => undefined);
}

// ---------------------------------------------------------------- IMAP

function imapSession(socket) {
  const w = (s) => socket.write(s);
  w('* OK [CAPABILITY IMAP4rev1 LITERAL+ ID] postern demo backend ready\r\n');
  let user = null;
  let pending = null; // { tag, verb, parts: [], rest }
  const finish = (tag, verb, argv) => imapCommand(tag, verb, argv);

  /** Parses IMAP arguments: atoms, "quoted", and literals already collected. Returns [args, literal]. */
  function tokens(text) {
    const out = [];
    let i = 0;
    while (i < text.length) {
      if (text[i] === ' ') {
        i++;
        continue;
      }
      if (text[i] === '"') {
        let s = '';
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
        i++;
        out.push(s);
        continue;
      }
      const m = /^\{(\d+)(\+?)\}$/.exec(text.slice(i));
      if (m) return [out, { n: Number(m[1]), plus: m[2] === '+' }];
      let j = i;
      let depth = 0;
      while (j < text.length && (text[j] !== ' ' || depth > 0)) {
        if (text[j] === '[' || text[j] === '(') depth++;
        if (text[j] === ']' || text[j] === ')') depth--;
        j++;
      }
      out.push(text.slice(i, j));
      i = j;
    }
    return [out, null];
  }

  function onLine(line, readRaw) {
    let tag;
    let verb;
    let collected;
    let text;
    if (pending) {
      ({ tag, verb, parts: collected } = pending);
      text = line;
      pending = null;
    } else {
      const m = /^(\S+) (\S+)(?: (.*))?$/.exec(line);
      if (!m) {
        w('* BAD invalid command\r\n');
        return;
      }
      tag = m[1];
      verb = m[2].toUpperCase();
      collected = [];
      text = m[3] ?? '';
    }
    const [toks, literal] = tokens(text);
    collected.push(...toks);
    if (literal) {
      if (!literal.plus) w('+ Ready for literal data\r\n');
      readRaw(literal.n, (bytes) => {
        collected.push(bytes.toString('latin1'));
        pending = { tag, verb, parts: collected };
      });
      return;
    }
    finish(tag, verb, collected);
  }

  function imapCommand(tag, verb, argv) {
    const ok = (text = 'completed') => w(`${tag} OK ${verb} ${text}\r\n`);
    const box = user ? mailbox(user) : [];
    switch (verb) {
      case 'CAPABILITY':
        w('* CAPABILITY IMAP4rev1 LITERAL+ ID\r\n');
        return ok();
      case 'NOOP':
      case 'CHECK':
        return ok();
      case 'ID':
        w('* ID ("name" "postern-demo")\r\n');
        return ok();
      case 'LOGOUT':
        w('* BYE logging out\r\n');
        ok();
        socket.end();
        return;
      case 'LOGIN':
        if (argv.length === 2 && checkLogin(argv[0], argv[1])) {
          user = argv[0];
          return ok('Logged in');
        }
        return w(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
    }
    if (!user) return w(`${tag} BAD not logged in\r\n`);
    switch (verb) {
      case 'LIST':
      case 'LSUB':
        w(`* ${verb} (\\HasNoChildren) "/" INBOX\r\n`);
        return ok();
      case 'SELECT':
      case 'EXAMINE':
      case 'STATUS':
        if (verb === 'STATUS') {
          w(`* STATUS INBOX (MESSAGES ${box.length} UIDNEXT ${box.length + 1} UIDVALIDITY 1 UNSEEN 0)\r\n`);
          return ok();
        }
        w(`* ${box.length} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Deleted)\r\n`);
        w(`* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT ${box.length + 1}] Predicted next UID\r\n`);
        return ok(verb === 'SELECT' ? '[READ-WRITE] completed' : '[READ-ONLY] completed');
      case 'FETCH':
      case 'UID': {
        const uid = verb === 'UID';
        const sub = uid ? (argv[0] ?? '').toUpperCase() : 'FETCH';
        const rest = uid ? argv.slice(1) : argv;
        if (sub === 'SEARCH') {
          w(`* SEARCH ${box.map((_, i) => i + 1).join(' ')}\r\n`);
          return w(`${tag} OK UID SEARCH completed\r\n`);
        }
        if (sub !== 'FETCH') return w(`${tag} BAD unsupported\r\n`);
        const set = rest[0] ?? '';
        const items = (rest.slice(1).join(' ') || 'FLAGS').toUpperCase();
        const nums = [];
        for (const part of set.split(',')) {
          const [a, b] = part.split(':');
          const lo = a === '*' ? box.length : Number(a);
          const hi = b === undefined ? lo : b === '*' ? box.length : Number(b);
          for (let n = Math.min(lo, hi); n <= Math.max(lo, hi) && n <= box.length; n++) if (n >= 1) nums.push(n);
        }
        for (const n of nums) {
          const msg = box[n - 1];
          const fields = [`UID ${n}`];
          if (/FLAGS/.test(items)) fields.push('FLAGS (\\Seen)');
          if (/RFC822\.SIZE/.test(items)) fields.push(`RFC822.SIZE ${msg.length}`);
          const wantsBody = /BODY(\.PEEK)?\[\]|RFC822(?![.])/.test(items);
          if (wantsBody) {
            const name = /RFC822(?![.])/.test(items) && !/BODY/.test(items) ? 'RFC822' : 'BODY[]';
            socket.write(`* ${n} FETCH (${fields.join(' ')} ${name} {${msg.length}}\r\n`);
            socket.write(msg);
            socket.write(')\r\n');
          } else w(`* ${n} FETCH (${fields.join(' ')})\r\n`);
        }
        return w(`${tag} OK ${uid ? 'UID ' : ''}FETCH completed\r\n`);
      }
      case 'CLOSE':
      case 'EXPUNGE':
        return ok();
      default:
        return w(`${tag} BAD unknown command\r\n`);
    }
  }
  lineReader(socket, onLine);
}

// ---------------------------------------------------------------- POP3

function pop3Session(socket) {
  const w = (s) => socket.write(s);
  w('+OK postern demo backend ready\r\n');
  let user = null;
  let authed = false;
  const deleted = new Set();
  lineReader(socket, (line) => {
    const [verbRaw, ...rest] = line.split(' ');
    const verb = (verbRaw ?? '').toUpperCase();
    const arg = rest.join(' ');
    if (verb === 'QUIT') {
      w('+OK bye\r\n');
      socket.end();
      return;
    }
    if (verb === 'CAPA') return w('+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n');
    if (verb === 'NOOP') return w('+OK\r\n');
    if (!authed) {
      if (verb === 'USER') {
        user = arg;
        return w('+OK\r\n');
      }
      if (verb === 'PASS' && user !== null && checkLogin(user, arg)) {
        authed = true;
        return w('+OK Logged in.\r\n');
      }
      return w('-ERR [AUTH] Authentication failed.\r\n');
    }
    const box = mailbox(user);
    const live = box.map((m, i) => [i + 1, m]).filter(([n]) => !deleted.has(n));
    const pick = (n) => (Number(n) >= 1 && Number(n) <= box.length && !deleted.has(Number(n)) ? box[Number(n) - 1] : null);
    const dotStuff = (msg) => msg.toString('latin1').replace(/^\./gm, '..');
    switch (verb) {
      case 'STAT':
        return w(`+OK ${live.length} ${live.reduce((s, [, m]) => s + m.length, 0)}\r\n`);
      case 'LIST':
      case 'UIDL': {
        const field = (n, m) => (verb === 'LIST' ? String(m.length) : `demo-${n}`);
        if (arg) {
          const m = pick(arg);
          return w(m ? `+OK ${arg} ${field(Number(arg), m)}\r\n` : '-ERR no such message\r\n');
        }
        return w(`+OK\r\n${live.map(([n, m]) => `${n} ${field(n, m)}\r\n`).join('')}.\r\n`);
      }
      case 'RETR':
      case 'TOP': {
        const [n, lines] = arg.split(' ');
        const m = pick(n);
        if (!m) return w('-ERR no such message\r\n');
        let text = dotStuff(m);
        if (verb === 'TOP') {
          const [head, body = ''] = text.split('\r\n\r\n');
          text = `${head}\r\n\r\n${body.split('\r\n').slice(0, Number(lines) || 0).join('\r\n')}`;
        }
        if (!text.endsWith('\r\n')) text += '\r\n';
        socket.write(Buffer.from(`+OK ${m.length} octets\r\n${text}.\r\n`, 'latin1'));
        return;
      }
      case 'DELE':
        if (!pick(arg)) return w('-ERR no such message\r\n');
        deleted.add(Number(arg));
        return w('+OK deleted\r\n');
      case 'RSET':
        deleted.clear();
        return w('+OK\r\n');
      default:
        return w('-ERR unknown command\r\n');
    }
  });
}

// ---------------------------------------------------------------- SMTP

function smtpSession(socket) {
  const w = (s) => socket.write(s);
  const greeting = '220 demo.postern ESMTP postern demo backend\r\n';
  w(greeting);
  let rcpts = [];
  let inData = false;
  let data = [];
  lineReader(socket, (line) => {
    if (inData) {
      if (line === '.') {
        inData = false;
        const msg = Buffer.from(data.join('\r\n') + '\r\n', 'latin1');
        for (const r of rcpts) mailbox(r).push(msg);
        rcpts = [];
        data = [];
        return w('250 2.0.0 Ok: queued\r\n');
      }
      data.push(line.startsWith('.') ? line.slice(1) : line);
      return;
    }
    const verb = (line.split(' ')[0] ?? '').toUpperCase();
    switch (verb) {
      case 'EHLO':
        return w('250-demo.postern\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 XCLIENT ADDR LOGIN NAME\r\n');
      case 'HELO':
        return w('250 demo.postern\r\n');
      case 'XCLIENT':
        // Postfix answers XCLIENT with a fresh greeting; postern expects that (as nginx does).
        return w(greeting);
      case 'MAIL':
        rcpts = [];
        return w('250 2.1.0 Ok\r\n');
      case 'RCPT': {
        const m = /<([^>]*)>/.exec(line);
        if (m) rcpts.push(m[1]);
        return w('250 2.1.5 Ok\r\n');
      }
      case 'DATA':
        if (rcpts.length === 0) return w('554 5.5.1 Error: no valid recipients\r\n');
        inData = true;
        return w('354 End data with <CR><LF>.<CR><LF>\r\n');
      case 'RSET':
        rcpts = [];
        return w('250 2.0.0 Ok\r\n');
      case 'NOOP':
        return w('250 2.0.0 Ok\r\n');
      case 'QUIT':
        w('221 2.0.0 Bye\r\n');
        socket.end();
        return;
      default:
        return w('502 5.5.2 Error: command not recognized\r\n');
    }
  });
}

// ---------------------------------------------------------------- listeners

const servers = [
  ['imap', imapSession],
  ['pop3', pop3Session],
  ['smtp', smtpSession],
].map(([name, session]) => {
  const server = net.createServer((socket) => session(socket));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(PORTS[name], HOST, () => resolve([name, server]));
  });
});

Promise.all(servers).then(
  (list) => {
    const bound = list.map(([name, s]) => `${name}=${s.address().port}`).join(' ');
    process.stderr.write(`demo backend listening ${bound}\n`);
    const stop = () => {
      for (const [, s] of list) s.close();
      process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },
  (err) => {
    process.stderr.write(`demo backend: ${err.message}\n`);
    process.exit(1);
  },
);
