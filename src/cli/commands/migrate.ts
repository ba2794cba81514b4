import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  synopsis: '',
  summary: 'Apply the pending database migrations (every other command also does, first).',
  parse(args) {
    parseCommandArgs(this.name, args, {});
    return async ({ config }) => {
      const { migrateDatabase } = await import('../../container.js');
      const applied = await migrateDatabase(config);
      const text = applied.length === 0 ? 'database is up to date' : [`applied ${applied.length} migration(s):`, ...applied.map((name) => `  ${name}`)].join('\n');
      return { text, json: { applied } };
    };
  },
};
