/**
 * Runs the directive tree through the table in file order, as ngx_conf_handler does: unknown name, wrong
 * context, missing `;` or `{`, argument count, then the directive's own handler; blocks descend and run
 * their closing checks at `}`.
 *
 * Owns: the order in which errors surface (the first one nginx would meet) and the ignored-directive
 * list. Does not own: any directive's semantics (directives.ts) or defaults and merging (resolve.ts).
 */
import { arityOk, lookupDirective } from './directives.js';
import type { Context, Level } from './level.js';
import { errorAt } from './lexer.js';
import { directiveError, sourceOf, type DirectiveNode, type TreeNode } from './parser.js';
import type { LoadState, SetContext } from './state.js';

/** Where -g directives are recorded in MainConfig.ignored (they have no file). */
const COMMAND_LINE_SOURCE = { file: 'command line', line: 1 } as const;

export async function walk(
  nodes: readonly TreeNode[],
  context: Context,
  level: Level,
  state: LoadState,
): Promise<void> {
  for (const node of nodes) {
    if (node.kind === 'error') throw node.error;
    // include was checked and expanded by the parser; its files' statements follow it in the list
    if (node.name === 'include') continue;
    await handle(node, context, level, state);
  }
}

async function handle(node: DirectiveNode, context: Context, level: Level, state: LoadState): Promise<void> {
  const name = node.name;
  const found = lookupDirective(name, context);
  if (found.kind === 'unknown') throw directiveError(node, `unknown directive "${name}"`);
  if (found.kind === 'notAllowed') throw directiveError(node, `"${name}" directive is not allowed here`);
  const spec = found.spec;
  if (!spec.block && node.terminator !== ';')
    throw directiveError(node, `directive "${name}" is not terminated by ";"`);
  if (spec.block && node.terminator !== '{')
    throw directiveError(node, `directive "${name}" has no opening "{"`);
  if (!arityOk(spec.arity, node.args.length)) {
    throw directiveError(node, `invalid number of arguments in "${name}" directive`);
  }

  const source = sourceOf(node);
  const c: SetContext = {
    node,
    name,
    args: node.args.map((w) => w.text),
    level,
    state,
    source,
    error: (message) => directiveError(node, message),
    fail: (reason) => directiveError(node, `"${name}" directive ${reason}`),
    warn: (message) => {
      const located = errorAt(node.origin, node.line, message);
      state.warnings.push({
        level: 'warn',
        message: located.file === null ? located.message : message,
        source,
      });
    },
  };
  await spec.set(c);
  const result = spec.open?.(c);
  if (spec.ignored === true) state.ignored.push({ name, source: source ?? COMMAND_LINE_SOURCE });
  if (result !== undefined) {
    await walk(node.children ?? [], result.context, result.level, state);
    if (result.close !== undefined) await result.close();
  }
}
