import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockEmbeddedDatabase } from '../../src/persistence/database.js';

/** PGlite must never be opened by two processes: the lock guarding its folder. */
describe('the embedded database lock', () => {
  const withDir = (fn: (dir: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'guichet-lock-'));
    try {
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('a second opener is refused while the first holds it; free again once released', () =>
    withDir((dir) => {
      const path = join(dir, 'pg.lock');
      const release = lockEmbeddedDatabase(path);
      expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
      expect(() => lockEmbeddedDatabase(path)).toThrow(/in use by process/);
      release();
      expect(existsSync(path)).toBe(false);
      lockEmbeddedDatabase(path)();
    }));

  test('a lock left by a dead process is taken over', () =>
    withDir((dir) => {
      const path = join(dir, 'pg.lock');
      writeFileSync(path, '999999');
      const release = lockEmbeddedDatabase(path);
      expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
      release();
    }));
});
