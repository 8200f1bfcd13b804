// ISO times parsed once per text (core/instants.ts): the same answers as Date.parse, text that is not a time included.
import { describe, expect, it } from 'vitest';
import { instantMs } from '../../src/core/instants.js';

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
