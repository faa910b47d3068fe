/**
 * V8's heap growth, bounded for the whole process (only the CLI owns the process). Set before the
 * bundle is compiled (boot.ts): V8's code cache is only accepted under the flags it was made with.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * After a full collection, V8 lets the old generation grow to up to four times what it left live before
 * it collects again (`MaxGrowingFactor` in V8's heap-controller.cc, for a machine with this much
 * memory). An analysis builds its findings steadily, so the peak RSS was mostly that headroom: on the
 * mixed bench tree one full collection early in the scan (about 40 MB live), then growth to about
 * 300 MB. With growth bounded to 30% per collection the cold peak's median fell from 309 to 281 MB
 * (five alternating runs each; 6.79 against 6.93 s, within this machine's noise), the warm one from
 * about 264 to 262 MB, and the copies tree's runs took the same time (docs/performance.md).
 * V8 reads the flag at each collection, so setting it from inside the process takes effect.
 */
const HEAP_GROWTH = '--heap-growing-percent=30';
/**
 * The flag is in V8's sources from 2017 through V8 13 (Node 24); a V8 without it would print
 * "unrecognized flag", so it is set only there. Measured on V8 11.3 (Node 20).
 */
const FLAG_KNOWN_UP_TO_V8 = 13;
let heapBounded = false;

/**
 * Bounds heap growth once per module instance, unless the user chose a value (`NODE_OPTIONS` or Node's
 * own flags). The launcher's copy and the bundle's each set it; setting the same value again changes
 * nothing, the code cache's flag check included.
 */
export function boundHeapGrowth(): void {
  if (heapBounded) return;
  heapBounded = true;
  const chosen = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((a) => /heap[-_]growing[-_]percent/.test(a));
  const v8Major = Number(process.versions.v8.split('.')[0]);
  if (!chosen && v8Major <= FLAG_KNOWN_UP_TO_V8) setFlagsFromString(HEAP_GROWTH);
}
