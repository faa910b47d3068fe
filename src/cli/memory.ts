/**
 * What the CLI does about its process's memory while it analyses (only the CLI owns the process).
 */
import { releaseFreedMemory } from '../scan/native-walk.js';
import { boundHeapGrowth } from './heap.js';

/**
 * While `work` runs, the heap grows by at most 30% between full collections, and memory the allocator
 * holds free goes back to the system every 100 ms (`releaseFreedMemory`).
 */
export async function trimmingMemory<T>(work: () => Promise<T>): Promise<T> {
  boundHeapGrowth();
  const timer = setInterval(releaseFreedMemory, 100);
  // Never what keeps the process alive.
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
