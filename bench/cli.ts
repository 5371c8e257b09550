/**
 * `npm run bench -- <scenario…> [options]` (compiled: node build/bench/cli.js; from source:
 * node --import tsx bench/cli.ts). Parses options, makes sure this process may hold enough sockets
 * (re-running itself under a raised open-files limit when it can), runs the bench, and prints the
 * one-screen table and where the files went. Exit status: 0 done, 1 the run could not be done (e.g.
 * nginx missing for --compare nginx), 2 bad arguments.
 */
import { parseBenchArgs, USAGE } from './options.js';
import { runBench } from './run/bench.js';
import { reexecWithMoreFiles } from './system/tuning.js';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(parsed.message);
      return 0;
    }
    process.stderr.write(`bench: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const o = parsed.options;
  // Client sockets live in this process: one per session in flight (idle holds them all).
  const needed = Math.max(o.idleSessions, o.concurrency, ...o.sweepConcurrency) + 1024;
  const code = reexecWithMoreFiles(needed);
  if (code !== null) return code;
  const command = `npm run bench -- ${argv.join(' ')}`;
  const outcome = await runBench(o, command);
  process.stdout.write(`\n${outcome.table}\n\n`);
  process.stdout.write(`summary: ${outcome.files.markdown}\njson:    ${outcome.files.json}\n`);
  for (const a of outcome.files.artifacts) process.stdout.write(`chart:   ${a}\n`);
  for (const w of outcome.report.warnings) process.stderr.write(`warning: ${w}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nbench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
