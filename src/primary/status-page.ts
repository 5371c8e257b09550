/**
 * The status page for a person: the `/status` document as one small HTML page with inline CSS, no
 * scripts and no external assets, so it renders offline and behind strict proxies. It reloads itself
 * every few seconds.
 *
 * Owns: the markup and the human formatting of numbers. Pure. Does not own the data (status-report.ts).
 */
import type { StatusDocument, StatusWorker } from './status-report.js';

/** How often the page reloads itself, in seconds: fresh enough to watch a reload drain. */
const REFRESH_SECONDS = 5;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** `3d 4h 5m 6s`, leading zero units left out. */
export function formatDuration(totalSeconds: number): string {
  let s = Math.max(0, Math.floor(totalSeconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: string[] = [];
  if (d > 0) parts.push(`${d}d`);
  if (d > 0 || h > 0) parts.push(`${h}h`);
  if (d > 0 || h > 0 || m > 0) parts.push(`${m}m`);
  parts.push(`${s}s`);
  return parts.join(' ');
}

/** `12.3 MiB` */
export function formatBytes(n: number | null): string {
  if (n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i] ?? ''}`;
}

function num(n: number | null): string {
  return n === null ? '–' : String(n);
}

function lag(seconds: number | null): string {
  return seconds === null ? '–' : `${(seconds * 1000).toFixed(1)} ms`;
}

function row(cells: readonly string[], tag: 'td' | 'th' = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

function workerRow(w: StatusWorker): string {
  const p = w.sessionsByProtocol;
  return row([
    escapeHtml(String(w.pid)),
    escapeHtml(String(w.slot)),
    escapeHtml(String(w.generation)),
    `<span class="state ${escapeHtml(w.state)}">${escapeHtml(w.state)}</span>`,
    escapeHtml(formatDuration(w.uptimeSeconds)),
    escapeHtml(num(w.sessions)),
    escapeHtml(p === null ? '–' : `${p.imap} / ${p.pop3} / ${p.smtp}`),
    escapeHtml(formatBytes(w.rssBytes)),
    escapeHtml(formatBytes(w.heapUsedBytes)),
    escapeHtml(lag(w.eventLoopLagP99Seconds)),
  ]);
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.sub{color:#5b6474;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:22px}.card span{color:#5b6474;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;background:#fff;border:1px solid #dde1e8;min-width:60%}
th,td{padding:6px 10px;border-bottom:1px solid #eceff3;text-align:right;white-space:nowrap}
th{background:#eef1f5;font-weight:600}th:first-child,td:first-child{text-align:left}
.state{padding:1px 6px;border-radius:4px;font-size:12px}
.ready{background:#dcf5e3;color:#145c2c}.starting{background:#fff2cc;color:#6b4e00}.retiring{background:#e8e8f0;color:#3c3c5a}
.ok{color:#145c2c}.failed{color:#a11}
footer{margin-top:24px;color:#5b6474;font-size:12px}
`;

export function renderStatusPage(doc: StatusDocument): string {
  const reload =
    doc.lastReload === null
      ? 'none'
      : `<span class="${doc.lastReload.result}">${escapeHtml(doc.lastReload.result)}</span> at ${escapeHtml(doc.lastReload.at)}`;
  const card = (label: string, value: string): string =>
    `<div class="card"><span>${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></div>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>postern status</title>
<style>${STYLE}</style>
</head>
<body>
<h1>postern ${escapeHtml(doc.version)}</h1>
<p class="sub">primary pid ${escapeHtml(String(doc.pid))} · up ${escapeHtml(formatDuration(doc.uptimeSeconds))} since ${escapeHtml(doc.startedAt)}</p>
<div class="cards">
${card('sessions', String(doc.sessions.total))}
${card('imap', String(doc.sessions.imap))}
${card('pop3', String(doc.sessions.pop3))}
${card('smtp', String(doc.sessions.smtp))}
${card('generation', String(doc.generation))}
${card('workers', String(doc.workers.length))}
${card('restarts', String(doc.workerRestarts))}
</div>
<h2>Configuration</h2>
<table>
${row(['worker_processes', escapeHtml(String(doc.workerProcesses))])}
${row(['worker_connections', escapeHtml(String(doc.workerConnections))])}
${row(['accept_policy', escapeHtml(doc.acceptPolicy)])}
${row(['reloads (ok / failed)', `${doc.reloads.ok} / ${doc.reloads.failed}`])}
${row(['last reload', reload])}
${row(['primary memory (rss / heap)', `${escapeHtml(formatBytes(doc.primary.rssBytes))} / ${escapeHtml(formatBytes(doc.primary.heapUsedBytes))}`])}
</table>
<h2>Workers</h2>
<table>
${row(['pid', 'slot', 'generation', 'state', 'uptime', 'sessions', 'imap / pop3 / smtp', 'rss', 'heap', 'loop lag p99'], 'th')}
${doc.workers.map(workerRow).join('\n')}
</table>
<footer>Machine-readable: <a href="/status">/status</a> (JSON) · <a href="/metrics">/metrics</a> (Prometheus). This page reloads every ${REFRESH_SECONDS} s.</footer>
</body>
</html>
`;
}
