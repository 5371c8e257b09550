/**
 * Starting every proxy variant for a scenario (same workers, backend, auth responder), running the
 * scenario's cells against them, and stopping them whatever happens.
 *
 * A variant that fails to start (an old git ref that does not know a directive, say) is left out of
 * the scenario with a note instead of ending the whole bench.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProxyInstance, ProxyVariant } from '../proxies/types.js';
import { startProxy } from '../proxies/launch.js';
import type { BenchContext } from '../run/context.js';

/** Each postern variant writes its profiles into its own directory, so they can be told apart. */
function profileDirOf(root: string, variantId: string): string {
  const dir = join(root, variantId);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface InstanceOptions {
  readonly workers: number;
  /** sessions in flight at most (sets worker_connections: two connections per session, plus room) */
  readonly sessionsInFlight: number;
  readonly tls: boolean;
  /** postern only: open `status_listen` on this port (the http scenario) */
  readonly statusPort?: number;
}

/** Starts one variant for a scenario; on failure notes why and returns null. */
export async function startVariant(
  ctx: BenchContext,
  variant: ProxyVariant,
  o: InstanceOptions,
  notes: string[],
): Promise<ProxyInstance | null> {
  const tls = o.tls ? await ctx.certificates() : null;
  ctx.progress.update(`starting ${variant.id} (worker_processes ${o.workers})`);
  try {
    const inst = await startProxy(variant, {
      workers: o.workers,
      workerConnections: Math.max(1024, 2 * o.sessionsInFlight + 256),
      logLevel: ctx.opts.logLevel,
      authUrl: ctx.auth.url,
      proxyBuffer: ctx.opts.proxyBuffer,
      tls,
      cpuProfileDir:
        variant.kind === 'postern' && ctx.profileDir !== null
          ? profileDirOf(ctx.profileDir, variant.id)
          : null,
      statusPort: o.statusPort ?? null,
    });
    ctx.configs[variant.id] ??= inst.configText;
    return inst;
  } catch (err) {
    const first = (err as Error).message.split('\n').slice(0, 6).join(' | ');
    const note = `${variant.id} left out: it did not start (${first})`;
    if (!notes.includes(note)) notes.push(note);
    ctx.progress.log(`warning: ${variant.id} did not start: ${(err as Error).message}`);
    return null;
  }
}

export async function withInstances<T>(
  ctx: BenchContext,
  o: InstanceOptions,
  notes: string[],
  body: (instances: readonly ProxyInstance[]) => Promise<T>,
): Promise<T> {
  const instances: ProxyInstance[] = [];
  try {
    for (const variant of ctx.variants) {
      const inst = await startVariant(ctx, variant, o, notes);
      if (inst !== null) instances.push(inst);
    }
    return await body(instances);
  } finally {
    for (const inst of instances) await inst.stop();
  }
}
