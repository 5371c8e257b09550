/**
 * The shared step of both transports: read the wire headers, decide, and produce the Auth-* header
 * pairs. Owns nothing else; each transport frames the pairs its own way.
 */
import type { AuthProtocolName } from '../../src/auth/types.js';
import { answerHeaders, headerSafe, type Answer, type HeaderPair } from '../core/answer.js';
import type { Decider } from '../core/decide.js';
import { parseQuery, type WireHeaders } from '../core/query.js';

export interface Responder {
  /** The header pairs answering `wire` (never rejects). */
  answer(wire: WireHeaders): Promise<HeaderPair[]>;
  /** The pairs for a request the transport refused before reading headers (bad path, bad head). */
  refuse(reason: string, clientIp: string | null): HeaderPair[];
}

function protocolOf(text: string): AuthProtocolName | null {
  return text === 'imap' || text === 'pop3' || text === 'smtp' ? text : null;
}

export function makeResponder(decider: Decider): Responder {
  const finish = (answer: Answer, protocol: AuthProtocolName | null): HeaderPair[] => {
    const pairs = answerHeaders(answer, protocol);
    for (const [, v] of pairs) {
      // A stored destuser/pass with CR/LF would inject header lines into the proxy's parser.
      if (!headerSafe(v)) return answerHeaders(decider.invalid('unsafe value in answer', null), protocol);
    }
    return pairs;
  };
  return {
    async answer(wire) {
      const parsed = parseQuery(wire);
      const protocol = protocolOf(wire.protocol);
      if (!parsed.ok) return finish(decider.invalid(parsed.reason, wire.clientIp || null), protocol);
      return finish(await decider.decide(parsed.query), protocol);
    },
    refuse(reason, clientIp) {
      return answerHeaders(decider.invalid(reason, clientIp), null);
    },
  };
}
