import { describe, expect, it } from 'vitest';
import { jsonPreview, parseStrictJson, StrictJsonError } from './strict-json.js';

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses, to the same values', () => {
    const samples = [
      '{"a":[1,-2.5e3,0.25,true,false,null,"x\\\\y\\u00e9\\n"],"b":{},"c":[]}',
      ' [ 1 , { "k" : "v" } ] ',
      '"just a string"',
      '-0',
      '{"__proto__":{"polluted":1}}',
    ];
    for (const text of samples) expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    const proto = parseStrictJson('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a key given twice, naming it and where', () => {
    expect(() => parseStrictJson('{"__metadata__":{"step":"1"},"__metadata__":{"step":"9"}}')).toThrow(
      'duplicate key "__metadata__" at character 29',
    );
  });

  it('rejects nesting deeper than allowed, at once, however long the text', () => {
    const deep = `${'['.repeat(10_000_000)}${']'.repeat(10_000_000)}`;
    expect(() => parseStrictJson(deep, { maxDepth: 4 })).toThrow(
      'nested deeper than 4 levels at character 4',
    );
    expect(parseStrictJson('[[[[1]]]]', { maxDepth: 4 })).toEqual([[[[1]]]]);
  });

  it.each([
    ['{"a":1,}', 'expected a quoted key at character 7'],
    ['[1 2]', 'expected \']\' but found "2" at character 3'],
    ['{"a" 1}', 'expected \':\' but found "1" at character 5'],
    ['"unterminated', 'invalid or unterminated string at character 0'],
    ['[01]', 'expected \']\' but found "1" at character 2'],
    ['', 'unexpected end of JSON at character 0'],
    ['{} x', 'unexpected text after the JSON value at character 3'],
    ['NaN', 'unexpected character "N" at character 0'],
  ])('rejects %j', (text, message) => {
    expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
    expect(() => parseStrictJson(text)).toThrow(message);
  });
});

describe('jsonPreview', () => {
  it('writes short values whole and cuts long or deep ones, without building them whole', () => {
    expect(jsonPreview([1, 'two', { three: 3 }])).toBe('[1,"two",{"three":3}]');
    expect(
      jsonPreview(
        Array.from({ length: 1_000_000 }, (_, i) => i),
        20,
      ),
    ).toBe('[0,1,2,3,4,5,6,7,8,…');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonPreview(deep, 30)).toBe('[[[[[[[[[…]]]]]]]]]');
  });
});
