/** True for errors that mean Postgres or Redis is unreachable: the answer is a 503, not a 500. */
export function isOutage(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: string; name?: string; message?: string };
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P03', '08006', '08001', '08003'].includes(e.code)) return true;
  if (e.name === 'MaxRetriesPerRequestError' || e.name === 'KnexTimeoutError') return true;
  const message = e.message ?? '';
  return /Connection is closed|enableOfflineQueue|Stream isn't writeable|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|timeout exceeded when trying to connect|Timeout acquiring a connection/i.test(message);
}
