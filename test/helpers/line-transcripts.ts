/**
 * The transcript tables of the POP3 and SMTP machine tests (test/unit/protocol/{pop3,smtp}/transcripts.ts)
 * and how one row is played, written once: the row's shape, settings overrides merged into a base input,
 * and the check — the replies after the greeting, the auth request, log lines, close reason and buffered
 * bytes, then the same actions when the input arrives one byte at a time.
 *
 * Owns: those shapes and that check. Does not own the rows, the base settings or how a session is started
 * (each protocol's test), nor the shell stand-in (test/unit/protocol/pop3/shell-sim.ts).
 */
import assert from 'node:assert/strict';
import { describeActions, type ShellSim } from '../unit/protocol/pop3/shell-sim.js';

/** Overrides for a protocol's settings input; `auth` is merged field by field. */
export type SettingsOver<I extends { readonly auth: object }> = Partial<Omit<I, 'auth'>> & {
  auth?: Partial<I['auth']>;
};

/** `base` with `over` applied (nested `auth` merged). */
export function withOver<I extends { readonly auth: object }>(base: I, over: SettingsOver<I>): I {
  return { ...base, ...over, auth: { ...base.auth, ...over.auth } };
}

export interface LineTranscript<O> {
  readonly name: string;
  readonly over?: O;
  readonly tls?: boolean;
  readonly input: string;
  /** every reply byte after the greeting */
  readonly out: string;
  readonly auth?: Record<string, unknown> | null;
  readonly logs?: readonly string[];
  readonly close?: string | null;
  readonly buffered?: string;
}

/** Plays `t` against fresh sessions from `sim`; `greeting` is what the session says before `t.out`. */
export function assertTranscript<O, S, C extends { readonly clientBufferBytes: number }>(
  t: LineTranscript<O>,
  sim: (over?: O, tls?: boolean) => ShellSim<S, C>,
  greeting: string,
): void {
  const whole = sim(t.over, t.tls);
  whole.send(t.input);
  assert.equal(whole.out, greeting + t.out);
  if (t.auth !== undefined) assert.deepEqual(whole.lastAuth, t.auth);
  if (t.logs !== undefined) assert.deepEqual(whole.logs, t.logs);
  if (t.close !== undefined) assert.equal(whole.closeReason, t.close);
  if (t.buffered !== undefined) assert.equal(whole.buffered, t.buffered);

  // The same actions when the bytes arrive one at a time.
  const bytes = sim(t.over, t.tls);
  for (const ch of Buffer.from(t.input, 'latin1')) bytes.send(Buffer.from([ch]));
  assert.deepEqual(describeActions(bytes.actions, true), describeActions(whole.actions, true));
}
