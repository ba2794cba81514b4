import type { ExpiringStore } from '../domain/ports.js';
import type { LoginFlow } from './login-flow.js';

const key = (uid: string) => `flow:${uid}`;

export interface FlowStore {
  load(uid: string): Promise<LoginFlow | null>;
  save(flow: LoginFlow, ttlSeconds: number): Promise<void>;
}

/**
 * A finished flow is kept only to answer a replayed form (`form_replayed`) and to offer a restart:
 * what it went through is no longer read, so only that much stays (a third of the bytes, for every
 * login of the last minutes).
 */
const finished = (flow: LoginFlow): LoginFlow => ({ uid: flow.uid, clientId: flow.clientId, csrf: flow.csrf, restartUrl: flow.restartUrl, completed: [], done: true });

export function createFlowStore(store: ExpiringStore): FlowStore {
  return {
    async load(uid) {
      const raw = await store.get(key(uid));
      return raw ? (JSON.parse(raw) as LoginFlow) : null;
    },
    async save(flow, ttlSeconds) {
      await store.set(key(flow.uid), JSON.stringify(flow.done ? finished(flow) : flow), ttlSeconds);
    },
  };
}
