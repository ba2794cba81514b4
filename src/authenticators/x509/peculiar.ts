// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect
// metadata polyfill loaded first; importing the library through this module guarantees the order.
import 'reflect-metadata';

export * from '@peculiar/x509';
