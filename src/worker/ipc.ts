/**
 * The worker's view of the primary↔worker contract. The contract lives in `primary/ipc.ts` (the
 * primary may import nothing of worker/); this one re-export is the only place worker/ reaches it.
 */
export { isPrimaryMessage, type ListenerSpec, type ListenerTarget, type PrimaryMessage, type WorkerMessage } from '../primary/ipc.js';
