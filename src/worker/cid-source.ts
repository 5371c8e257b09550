/**
 * nginx's connection number `*N` for this worker. nginx keeps one atomic counter in shared memory;
 * postern's primary hands out blocks of numbers (`cids` messages) and the worker asks for the next
 * block when half of the current one is used, so numbers stay unique across the workers of a running
 * primary and no IPC happens per connection.
 *
 * Owns: consuming blocks. Does not own handing them out (primary/cid-blocks.ts).
 */

export class CidSource {
  private blocks: { next: number; end: number }[] = [];
  private requested = false;
  private last = 0;

  /** `request` is called (once until the next block arrives) when the numbers run low. */
  constructor(private readonly request: () => void, private readonly lowWater: number) {}

  add(start: number, count: number): void {
    this.blocks.push({ next: start, end: start + count });
    this.requested = false;
  }

  remaining(): number {
    return this.blocks.reduce((n, b) => n + (b.end - b.next), 0);
  }

  next(): number {
    let block = this.blocks[0];
    while (block !== undefined && block.next >= block.end) {
      this.blocks.shift();
      block = this.blocks[0];
    }
    let cid: number;
    if (block === undefined) {
      // A burst outran the primary's reply: carry on from the last number rather than stall the accept.
      cid = ++this.last;
    } else {
      cid = block.next++;
      this.last = cid;
    }
    if (!this.requested && this.remaining() < this.lowWater) {
      this.requested = true;
      this.request();
    }
    return cid;
  }
}
