import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/persistence/database.js';

describe('the embedded database', () => {
  test('is refused to a second opener while the first holds it, and free again once closed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guichet-lock-'));
    try {
      const first = openDatabase({ dataDir });
      expect(() => openDatabase({ dataDir })).toThrow(/in use by process/);
      await first.destroy();
      const second = openDatabase({ dataDir });
      await second.destroy();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a lock left by a dead process is taken over', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guichet-lock-'));
    try {
      writeFileSync(join(dataDir, 'pg.lock'), '999999');
      const db = openDatabase({ dataDir });
      await db.destroy();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
