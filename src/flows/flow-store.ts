import type { ExpiringStore } from '../domain/ports.js';
import type { LoginFlow } from './login-flow.js';

const key = (uid: string) => `flow:${uid}`;

export interface FlowStore {
  load(uid: string): Promise<LoginFlow | null>;
  save(flow: LoginFlow, ttlSeconds: number): Promise<void>;
}

export function createFlowStore(store: ExpiringStore): FlowStore {
  return {
    async load(uid) {
      const raw = await store.get(key(uid));
      return raw ? (JSON.parse(raw) as LoginFlow) : null;
    },
    async save(flow, ttlSeconds) {
      await store.set(key(flow.uid), JSON.stringify(flow), ttlSeconds);
    },
  };
}
