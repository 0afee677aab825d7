import { describe, expect, it } from 'vitest';
import { readmes } from './files.js';
import { tableCells, tableProblems } from './tables.js';

describe('README tables', () => {
  it.each(readmes().map((readme) => [readme.path, readme.text]))(
    '%s: every row has as many cells as its header',
    (path, text) => {
      const problems = tableProblems(text).map((problem) => `${path}:${problem.line}: ${problem.message}`);
      expect(problems).toEqual([]);
    },
  );
});

describe('the table check', () => {
  it('splits cells at unescaped pipes, inside code spans too, as GitHub does', () => {
    expect(tableCells('| `a\\|b` | `<|unk|>` |')).toEqual([' `a\\|b` ', ' `<', 'unk', '>` ']);
  });

  it('finds the rows a pipe in code splits, and leaves fenced code alone', () => {
    const markdown = [
      '| export | what |',
      '| --- | :-: |',
      '| `UNKNOWN` | `<|unk|>` |',
      '| `UNKNOWN` | `<\\|unk\\|>` |',
      '',
      '```',
      '| a | b |',
      '| - | - |',
      '| 1 | 2 | 3 |',
      '```',
      '  | nested | in a list |',
      '  | ------ | --------- |',
      '  | one    |',
    ].join('\n');
    expect(tableProblems(markdown)).toEqual([
      {
        line: 3,
        message: 'row has 4 cells, the header 2: escape a | inside a cell (also in code) as \\|',
      },
      {
        line: 13,
        message: 'row has 1 cells, the header 2: escape a | inside a cell (also in code) as \\|',
      },
    ]);
  });
});
