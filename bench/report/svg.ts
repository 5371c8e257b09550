/**
 * A small line chart in plain SVG (no library): categorical x axis, linear y axis from 0 with round
 * ticks, one polyline per series with min–max whiskers, and a legend. Used for the worker sweep.
 */

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly lo?: number;
  readonly hi?: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** stroke-dasharray, '' for solid */
  readonly dash: string;
  readonly points: readonly ChartPoint[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** the x categories, in order */
  readonly xs: readonly number[];
  readonly series: readonly ChartSeries[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2'];

/** A stable colour per target id; nginx is always grey. */
export function colorFor(target: string, index: number): string {
  return target === 'nginx' ? '#555555' : PALETTE[index % PALETTE.length]!;
}

export function dashFor(index: number): string {
  return DASHES[index % DASHES.length]!;
}

function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** A round step giving about `n` ticks up to `max`. */
export function niceStep(max: number, n = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

export function renderLineChart(c: LineChart): string {
  const W = 760;
  const H = 440;
  const left = 70;
  const right = 200;
  const top = 40;
  const bottom = 50;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const ymaxData = Math.max(1, ...c.series.flatMap((s) => s.points.map((p) => p.hi ?? p.y)));
  const step = niceStep(ymaxData);
  const ymax = Math.ceil(ymaxData / step) * step;
  const xAt = (x: number): number => {
    const i = c.xs.indexOf(x);
    return left + (c.xs.length <= 1 ? pw / 2 : (i / (c.xs.length - 1)) * pw);
  };
  const yAt = (y: number): number => top + ph - (y / ymax) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(c.title)}</text>`,
  );
  for (let v = 0; v <= ymax + step / 2; v += step) {
    const y = yAt(v).toFixed(1);
    out.push(
      `<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#e0e0e0"/>`,
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(String(Math.round(v)))}</text>`,
    );
  }
  for (const x of c.xs) {
    const px = xAt(x).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${top + ph}" x2="${px}" y2="${top + ph + 5}" stroke="#333"/>`,
      `<text x="${px}" y="${top + ph + 18}" text-anchor="middle">${x}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333"/>`,
    `<text x="${left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text x="16" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + ph / 2})">${esc(c.yLabel)}</text>`,
  );
  c.series.forEach((s, i) => {
    const pts = s.points.filter((p) => c.xs.includes(p.x) && Number.isFinite(p.y));
    if (pts.length > 0) {
      const d = pts.map((p) => `${xAt(p.x).toFixed(1)},${yAt(p.y).toFixed(1)}`).join(' ');
      const dash = s.dash === '' ? '' : ` stroke-dasharray="${s.dash}"`;
      out.push(`<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const p of pts) {
        const px = xAt(p.x).toFixed(1);
        if (p.lo !== undefined && p.hi !== undefined) {
          out.push(
            `<line x1="${px}" y1="${yAt(p.lo).toFixed(1)}" x2="${px}" y2="${yAt(p.hi).toFixed(1)}" stroke="${s.color}"/>`,
          );
        }
        out.push(`<circle cx="${px}" cy="${yAt(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
      }
    }
    const ly = top + 10 + i * 18;
    const lx = left + pw + 15;
    const dash = s.dash === '' ? '' : ` stroke-dasharray="${s.dash}"`;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 34}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
