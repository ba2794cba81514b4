import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { formatTable } from '../output.js';
import { policyReport } from '../../config/policy-report.js';
import { PROFILES } from '../../config/profiles.js';

const MARK = { satisfies: 'ok', stricter: 'ok+', departs: 'DEPARTS' } as const;

export const policyCommands: Command[] = [
  {
    name: 'policy check',
    synopsis: '',
    summary: 'Print every authentication rule of the running configuration with the standard it satisfies or departs from.',
    parse(args) {
      parseCommandArgs(this.name, args, {});
      return async ({ config }) => {
        const rules = policyReport(config);
        const departures = rules.filter((r) => r.verdict === 'departs');
        const text = [
          `Policy profile: ${config.sca.profile} (${PROFILES[config.sca.profile].summary})`,
          '',
          formatTable(['ref', 'rule', 'value', 'verdict', 'standard'], rules.map((r) => [r.ref, r.rule, r.value, MARK[r.verdict], r.standard])),
          '',
          departures.length === 0 ? 'No departure from the standards.' : `${departures.length} departure(s), each a setting away from the standard:`,
          ...departures.map((r) => `  ${r.ref} ${r.rule}: ${r.note ?? ''}`),
        ].join('\n');
        return { text, json: { profile: config.sca.profile, rules, departures: departures.length } };
      };
    },
  },
];
