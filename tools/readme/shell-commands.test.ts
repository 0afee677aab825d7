import { describe, expect, it } from 'vitest';
import { shellCommands, withoutComment } from './shell-commands.js';

describe('shellCommands', () => {
  it('reads sh blocks only, joins continued lines and drops comments and blank lines', () => {
    const text = [
      '# Title',
      '```sh',
      'pnpm install   # first',
      '',
      'node a.js \\',
      '  --flag "quoted # not a comment" # a comment',
      '```',
      '```text',
      'not a command',
      '```',
      '```bash',
      "echo 'x#y' && ls",
      '```',
    ].join('\n');
    expect(shellCommands({ path: 'README.md', text })).toEqual([
      { readme: 'README.md', line: 3, command: 'pnpm install' },
      { readme: 'README.md', line: 5, command: 'node a.js --flag "quoted # not a comment"' },
      { readme: 'README.md', line: 12, command: "echo 'x#y' && ls" },
    ]);
  });
});

describe('withoutComment', () => {
  it('cuts at a # that starts a word outside quotes, keeps # inside a word', () => {
    expect(withoutComment('pnpm test # why')).toBe('pnpm test ');
    expect(withoutComment('# only a comment')).toBe('');
    expect(withoutComment('grep -c a#b file')).toBe('grep -c a#b file');
    expect(withoutComment(`echo "# kept" '#kept'`)).toBe(`echo "# kept" '#kept'`);
  });
});
