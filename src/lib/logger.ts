import { pino, type Logger } from 'pino';

/** Structured logs; the redaction list is a second net: code never passes secrets to the logger. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['password', 'pin', 'code', 'secret', 'token', 'csrf', '*.password', '*.code', '*.secret', 'req.headers.cookie', 'req.headers.authorization'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
export type { Logger };
