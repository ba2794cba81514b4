import { describeStoreContract } from './store-contract.js';
import { openRedisStore } from './store-harness.js';

describeStoreContract('Redis store (real Redis, own key prefix)', openRedisStore);
