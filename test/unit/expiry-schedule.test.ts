import { describe, expect, test } from '@jest/globals';
import { dueReminder } from '../../src/flows/expiry-reminders.js';

const DAY = 86_400_000;
const expires = new Date('2027-03-01T09:00:00Z');
const at = (daysBefore: number) => new Date(expires.getTime() - daysBefore * DAY);

describe('expiry reminder schedule', () => {
  test('nothing is due before the first reminder', () => {
    expect(dueReminder(expires, at(20), [14, 3])).toBeNull();
  });
  test('the most urgent reminder reached is the one due', () => {
    expect(dueReminder(expires, at(14), [14, 3])).toBe(14);
    expect(dueReminder(expires, at(10), [14, 3])).toBe(14);
    expect(dueReminder(expires, at(2), [3, 14])).toBe(3);
  });
  test('at and after expiry the "has expired" reminder is due, for a week at most', () => {
    expect(dueReminder(expires, at(0), [14, 3])).toBe(0);
    expect(dueReminder(expires, at(-6), [14, 3])).toBe(0);
    expect(dueReminder(expires, at(-8), [14, 3])).toBeNull();
  });
});
