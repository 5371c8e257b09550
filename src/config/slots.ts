/**
 * nginx's generic directive handlers ("slots"): flag, str, num, size, off, msec, sec, enum, bitmask,
 * str_array, keyval — each with nginx's duplicate rule and error text.
 *
 * Owns: ngx_conf_set_*_slot (src/core/ngx_conf_file.c) semantics. Does not own: which directive uses
 * which slot (directives.ts).
 */
import type { SetContext } from './state.js';
import { atoi, parseFlag, parseOffset, parseSize, parseTime } from './values.js';

export type SlotHandler = (c: SetContext) => void;

function first(c: SetContext): string {
  return c.args[0] ?? '';
}

function setOnce(c: SetContext, value: unknown): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  c.level.set(c.name, value, c.source);
}

/** nginx: ngx_conf_set_flag_slot — `on`/`off`, any case. */
export const flagSlot: SlotHandler = (c) => {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const v = parseFlag(first(c));
  if (v === null) {
    throw c.error(`invalid value "${first(c)}" in "${c.name}" directive, it must be "on" or "off"`);
  }
  c.level.set(c.name, v, c.source);
};

/** nginx: ngx_conf_set_str_slot */
export const strSlot: SlotHandler = (c) => {
  setOnce(c, first(c));
};

/** nginx: ngx_conf_set_num_slot */
export const numSlot: SlotHandler = (c) => {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const n = atoi(first(c));
  if (n === null) throw c.fail('invalid number');
  c.level.set(c.name, n, c.source);
};

/** nginx: ngx_conf_set_size_slot (k, m) */
export const sizeSlot: SlotHandler = (c) => {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const n = parseSize(first(c));
  if (n === null) throw c.fail('invalid value');
  c.level.set(c.name, n, c.source);
};

/** nginx: ngx_conf_set_off_slot (k, m, g) */
export const offSlot: SlotHandler = (c) => {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const n = parseOffset(first(c));
  if (n === null) throw c.fail('invalid value');
  c.level.set(c.name, n, c.source);
};

/** nginx: ngx_conf_set_msec_slot — stored in milliseconds */
export const msecSlot: SlotHandler = (c) => {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const n = parseTime(first(c), false);
  if (n === null) throw c.fail('invalid value');
  c.level.set(c.name, n, c.source);
};

/** nginx: ngx_conf_set_sec_slot — stored in seconds */
export const secSlot: SlotHandler = (c) => {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const n = parseTime(first(c), true);
  if (n === null) throw c.fail('invalid value');
  c.level.set(c.name, n, c.source);
};

/** nginx: ngx_conf_set_enum_slot — names compared without case; stores the table's spelling. */
export function enumSlot(values: readonly string[]): SlotHandler {
  return (c) => {
    if (c.level.has(c.name)) throw c.fail('is duplicate');
    const v = first(c);
    const found = values.find((e) => e.toLowerCase() === v.toLowerCase());
    if (found === undefined) throw c.error(`invalid value "${v}"`);
    c.level.set(c.name, found, c.source);
  };
}

/**
 * nginx: ngx_conf_set_bitmask_slot — several lines on one level add up; a repeated name warns
 * `duplicate value`; stores the set of the table's spellings.
 */
export function bitmaskSlot(values: readonly string[]): SlotHandler {
  return (c) => {
    const prev = c.level.value(c.name as 'imap_auth');
    const set = new Set<string>(prev ?? []);
    for (const v of c.args) {
      const found = values.find((e) => e.toLowerCase() === v.toLowerCase());
      if (found === undefined) throw c.error(`invalid value "${v}"`);
      if (set.has(found)) c.warn(`duplicate value "${v}"`);
      else set.add(found);
    }
    c.level.set(c.name, set, prev === undefined ? c.source : (c.level.sourceOf(c.name) ?? c.source));
  };
}

/** nginx: ngx_conf_set_str_array_slot — one entry per line */
export const strArraySlot: SlotHandler = (c) => {
  c.level.push(c.name, first(c), c.source);
};

/** nginx: ngx_conf_set_keyval_slot — one [key, value] entry per line */
export const keyvalSlot: SlotHandler = (c) => {
  c.level.push(c.name, [c.args[0] ?? '', c.args[1] ?? ''] as const, c.source);
};

/** nginx: ngx_mail_capabilities — every argument is an entry, lines append */
export const capabilitiesSlot: SlotHandler = (c) => {
  for (const v of c.args) c.level.push(c.name, v, c.source);
};
