/**
 * How the bench's own servers (fake backend, fast auth responder) run in one process or a cluster:
 * `procs` processes all accepting on the same sockets (scheduling `none`, the kernel spreads
 * connections), and `READY <pid list>` on stdout once every process listens, which launch.ts waits for.
 */
import cluster from 'node:cluster';

export async function runClustered(procs: number, listen: () => Promise<void>): Promise<void> {
  if (procs <= 1) {
    await listen();
    process.stdout.write(`READY ${process.pid}\n`);
    return;
  }
  if (cluster.isPrimary) {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    let ready = 0;
    const pids: number[] = [process.pid];
    for (let i = 0; i < procs; i++) {
      const w = cluster.fork();
      w.on('message', (m: unknown) => {
        if (m !== 'listening') return;
        pids.push(w.process.pid ?? 0);
        if (++ready === procs) process.stdout.write(`READY ${pids.join(' ')}\n`);
      });
      w.on('exit', () => process.exit(1));
    }
    return;
  }
  await listen();
  process.send?.('listening');
}
