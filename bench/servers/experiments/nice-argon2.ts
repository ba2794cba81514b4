/**
 * Experiment, not a change to Guichet: preloaded into the Guichet process only when
 * BENCH_EXPERIMENT=nice-argon2, it lowers the scheduling priority (nice BENCH_ARGON2_NICE, default
 * 10) of every thread but the event loop's: libuv's thread pool, where argon2 runs, and V8's helpers
 * (libuv 1.46, Node 20's, does not name its pool threads, so they cannot be told apart). On a saturated box the event loop, Redis and
 * Postgres then win the CPU over the hashes, so token, refresh and JWKS latency should stay close to
 * idle while logins saturate; hashing keeps whatever CPU is left. Linux only: setpriority() on a
 * thread id applies to that thread alone. WebCrypto's signing jobs share the pool and are lowered too.
 * An estimate for a fix in src/authenticators/argon2-hasher.ts (a native hook, or a worker pool of
 * its own at a lower priority).
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

const nice = Number(process.env.BENCH_ARGON2_NICE ?? 10);
const done = new Set<number>();

// The pool starts lazily (Guichet's first hash at start-up): new threads are looked for every second.
const renice = () => {
  for (const entry of readdirSync('/proc/self/task')) {
    const tid = Number(entry);
    if (done.has(tid) || tid === process.pid) continue;
    try {
      setPriority(tid, nice);
      done.add(tid);
    } catch {
      /* the thread ended: nothing to do */
    }
  }
};
setInterval(renice, 1000).unref();
renice();

export {};
