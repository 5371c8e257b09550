/**
 * Hands out nginx connection numbers in blocks (see worker/cid-source.ts): unique across every worker
 * of this primary, including respawned and reloaded ones, with one IPC message per block.
 *
 * Owns: the primary's counter. Ours: nginx uses one shared-memory atomic instead.
 */
import { CID_BLOCK_SIZE } from '../limits.js';


export class CidBlocks {
  private next = 1;
  /** A block `[start, start + count)`. */
  take(count: number = CID_BLOCK_SIZE): { start: number; count: number } {
    const start = this.next;
    this.next += count;
    return { start, count };
  }
  /** One number (least_conn: the primary numbers the connections it hands over). */
  one(): number {
    return this.next++;
  }
}
