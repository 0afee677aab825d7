import { describe, expect, it } from 'vitest';
import { InstructionDataError, parseInstructionData } from './entry.js';

describe('parseInstructionData', () => {
  it('reads a JSON array and JSON lines alike, an absent or null input as empty', () => {
    const entries = [
      { instruction: 'Add 2 and 3.', input: '', output: '5' },
      { instruction: 'Translate.', input: 'Hallo', output: 'Hello' },
    ];
    expect(parseInstructionData(JSON.stringify(entries))).toEqual(entries);
    const lines =
      '{"instruction":"Add 2 and 3.","output":"5"}\n\n{"instruction":"Translate.","input":"Hallo","output":"Hello","model_response":"Hi"}\n';
    expect(parseInstructionData(lines)).toEqual(entries);
    expect(parseInstructionData('[{"instruction":"x","input":null,"output":"y"}]')).toEqual([
      { instruction: 'x', input: '', output: 'y' },
    ]);
  });

  it('names the entry or line and the field that is wrong', () => {
    const bad = (text: string) => () => parseInstructionData(text, 'data.json');
    expect(bad('[]')).toThrow('data.json holds no entries');
    expect(bad('[{"instruction":"x"}]')).toThrow('data.json: entry 0 has no "output"');
    expect(bad('[{"instruction":"x","output":"y"},{"instruction":3,"output":"y"}]')).toThrow(
      'data.json: entry 1: "instruction" must be a string, not 3',
    );
    expect(bad('{"instruction":"x","output":"y"}\n{"instruction":')).toThrow(
      /^data\.json: line 2 is not valid JSON/,
    );
    expect(bad('[1, 2')).toThrow(/^data\.json is not valid JSON/);
    expect(bad('{"a": 1}')).toThrow('data.json: line 1 has no "instruction"');
    expect(bad('[{"instruction":"  ","output":"y"}]')).toThrow('"instruction" is empty');
    expect(bad('"text"')).toThrow(InstructionDataError);
  });

  it('a field nested 100,000 deep, or long, is one short error, not a stack overflow', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const read = (text: string) => () => parseInstructionData(text, 'data.json');
    expect(read(`[{"instruction":${deep},"output":"y"}]`)).toThrow(
      /^data\.json is not valid JSON \(nested deeper than \d+ levels at character \d+\)$/,
    );
    expect(read(`{"instruction":${deep},"output":"y"}`)).toThrow(
      /^data\.json: line 1 is not valid JSON \(nested deeper than \d+ levels at character \d+\)/,
    );
    const nested = '[[[1]]]';
    expect(read(`[{"instruction":${nested},"output":"y"}]`)).toThrow(
      'data.json: entry 0: "instruction" must be a string, not [[[1]]]',
    );
    const long = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i));
    expect(read(`[{"instruction":${long},"output":"y"}]`)).toThrow(
      /^data\.json: entry 0: "instruction" must be a string, not \[0,1,2,.{0,40}…$/,
    );
  });
});
