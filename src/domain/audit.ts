export type AuditResult = 'success' | 'failure';

/** One audit event. `details` must never carry a secret: callers pass reasons and ids, not values. */
export interface AuditEvent {
  action: string;
  result: AuditResult;
  actor?: string | null;
  accountId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
  at: Date;
}
