/**
 * nginx's signal notice (ngx_signal_handler): `signal <n> (<NAME>) received, <action>`. Node cannot
 * know the sender's pid, so the ` from <pid>` part nginx prints is left out.
 *
 * Owns: signal numbers and action words. No process state.
 */
import { constants } from 'node:os';

export type HandledSignal = 'SIGHUP' | 'SIGQUIT' | 'SIGTERM' | 'SIGINT' | 'SIGUSR1' | 'SIGUSR2' | 'SIGWINCH';

const ACTIONS: Readonly<Record<HandledSignal, string>> = {
  SIGHUP: 'reconfiguring',
  SIGQUIT: 'shutting down',
  SIGTERM: 'exiting',
  SIGINT: 'exiting',
  SIGUSR1: 'reopening logs',
  // Binary upgrade (USR2) and WINCH need the listening sockets passed to a new executable: unsupported.
  SIGUSR2: 'ignored: binary upgrade is not supported',
  SIGWINCH: 'ignored: binary upgrade is not supported',
};

export function signalNumber(name: string): number {
  return (constants.signals as Readonly<Record<string, number | undefined>>)[name] ?? 0;
}

export function signalNotice(name: HandledSignal): string {
  return `signal ${signalNumber(name)} (${name}) received, ${ACTIONS[name]}`;
}
