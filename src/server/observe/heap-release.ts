/**
 * Gives memory back after a large body: V8 collects a big dead string or object tree only in a
 * full collection, and an idle server allocates too little to ever start one, so RSS stayed at its
 * peak for good after one 60 MB request. After work that held more than a few megabytes, once the
 * server has been quiet for a moment, one full collection runs (at most every few seconds).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const QUIET_MS = 500;
const MIN_GAP_MS = 5000;
/** Work that held less than this is left to V8's own pace. */
export const RELEASE_AFTER_BYTES = 8 * 1024 * 1024;

const RESET_LAST_MATCH = /release/;

let collect: (() => void) | null | undefined;
let timer: NodeJS.Timeout | null = null;
let last = 0;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    // The documented way to reach gc() without starting node with --expose-gc.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = null;
  }
  return collect;
}

/** Work that held `bytes` just ended: collect soon, unless more work keeps the server busy. */
export function releaseAfter(bytes: number): void {
  if (bytes < RELEASE_AFTER_BYTES) return;
  if (timer) clearTimeout(timer);
  const wait = Math.max(QUIET_MS, last + MIN_GAP_MS - Date.now());
  timer = setTimeout(() => {
    timer = null;
    last = Date.now();
    // RegExp's legacy RegExp.lastMatch keeps the last string a regex ran on, and a value parsed
    // from a large body is a slice that keeps the whole body alive: run one on a string of our own.
    RESET_LAST_MATCH.test('release');
    collector()?.();
    // Once more a little later: what the work left behind (a settling promise chain, a closure of
    // the last request) can outlive the first pass by a moment.
    timer = setTimeout(() => {
      timer = null;
      collector()?.();
    }, MIN_GAP_MS);
    timer.unref();
  }, wait);
  timer.unref();
}
