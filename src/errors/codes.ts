/**
 * The coded error registry: every fault Guichet raises has a stable code, an HTTP status and a
 * message id in the catalogues (src/i18n). One place (http/error-renderer.ts) turns them into pages
 * or problem documents.
 */
export const ERRORS = {
  bad_request: { status: 400 },
  body_too_large: { status: 413 },
  bad_encoding: { status: 400 },
  missing_field: { status: 400 },
  csrf_failed: { status: 403 },
  form_replayed: { status: 409 },
  not_found: { status: 404 },
  session_expired: { status: 410 },
  service_unavailable: { status: 503 },
  rate_limited: { status: 429 },
  invalid_config: { status: 500 },
  conflict: { status: 409 },
  unauthorized: { status: 401 },
  forbidden: { status: 403 },
  login_cancelled: { status: 400 },
  internal: { status: 500 },
} as const satisfies Record<string, { status: number }>;

export type ErrorCode = keyof typeof ERRORS;

export class GuichetError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message ?? code);
    this.name = 'GuichetError';
    this.status = ERRORS[code].status;
  }
}

export const isGuichetError = (e: unknown): e is GuichetError => e instanceof GuichetError;
