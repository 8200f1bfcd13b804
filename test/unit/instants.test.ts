// ISO times parsed once per text (core/instants.ts): the same answers as Date.parse, text that is not a time included,
// and one shared Date per text.
import { describe, expect, it } from 'vitest';
import { instantDate, instantMs } from '../../src/core/instants.js';

describe('instantMs', () => {
  it.each([
    '2026-11-29T06:00:00.000Z',
    '2026-11-29T06:00:00Z',
    '2026-11-29T07:00:00+01:00',
    '2026-02-30T00:00:00Z',
    'not a time',
    '',
  ])('reads %j as Date.parse does, again and again', (text) => {
    const expected = Date.parse(text);
    expect(instantMs(text)).toStrictEqual(expected);
    expect(instantMs(text)).toStrictEqual(expected);
  });
});

describe('instantDate', () => {
  it('is the Date of the text, the same object each time it is asked', () => {
    const text = '2026-11-29T06:00:00Z';
    const d = instantDate(text);
    expect(d.getTime()).toBe(Date.parse(text));
    expect(instantDate(text)).toBe(d);
    expect(instantDate('2026-11-29T07:00:00+01:00').getTime()).toBe(d.getTime());
    expect(instantDate('not a time').getTime()).toBeNaN();
  });
});
