import { isDeepStrictEqual } from 'node:util';
import { parseDetail, type AuthorizationDetail } from '../policy/authorization-details.js';

/**
 * The `authorization_details` (RFC 9396) of an authorization request, parsed by Guichet's schemas:
 * what the login pages show and what the grant carries. `params` is oidc-provider's request
 * parameters (`ctx.oidc.params`, or `interactionDetails().params`), where the value is the JSON
 * text of the request or, from a pushed request object, the array itself. Null when there are none;
 * null also for a value that does not parse, which oidc-provider has refused before any page shows.
 */
export function authorizationDetailsOf(params: Readonly<Record<string, unknown>> | undefined): AuthorizationDetail[] | null {
  const raw = params?.authorization_details;
  if (raw === undefined || raw === null || raw === '') return null;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(value) || value.length === 0) return null;
  const details: AuthorizationDetail[] = [];
  for (const item of value) {
    // The schema only: the provider checked the deployment's types and operations when it took the
    // request, and a detail dropped here would look like no detail at all (no SCA asked for it).
    const parsed = parseDetail(item, null);
    if (!parsed.ok) return null;
    details.push(parsed.detail);
  }
  return details;
}

/**
 * Puts the request's `authorization_details` in the grant, replacing what an earlier request left
 * (a code only ever takes the details of its own request: `authorizationDetailsForGrantSource` in
 * provider.ts). For first-party clients the grant is implied and this runs once an interaction ran,
 * after the login pages showed the details; a consent page calls it when the user accepts them.
 * False when the request has none.
 */
export function grantRequestedDetails(grant: { rar?: unknown[] | undefined }, params: Readonly<Record<string, unknown>> | undefined): boolean {
  const details = authorizationDetailsOf(params);
  if (!details) return false;
  grant.rar = details;
  return true;
}

/**
 * Two details are the same authorisation when every member is equal, whatever the key order: a
 * granted payment must be exactly the requested one (RTS art. 5(1)(d)).
 */
export function sameDetail(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(canonical(a), canonical(b));
}

/** The details of `requested` found in `granted`, in the requested order; each granted one used once. */
export function grantedAmong(requested: readonly unknown[], granted: readonly unknown[]): unknown[] {
  const left = [...granted];
  const out: unknown[] = [];
  for (const detail of requested) {
    const i = left.findIndex((g) => sameDetail(g, detail));
    if (i >= 0) {
      out.push(detail);
      left.splice(i, 1);
    }
  }
  return out;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, canonical(v)]));
  return value;
}
