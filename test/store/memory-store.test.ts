import { describeStoreContract } from './store-contract.js';
import { openMemoryStore } from './store-harness.js';

describeStoreContract('memory store on a manual clock', openMemoryStore);
