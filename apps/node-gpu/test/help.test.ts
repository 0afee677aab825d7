/**
 * Every command's and subcommand's `--help` as the built CLI prints it, kept in
 * test/__snapshots__/help/: a change to any help shows as a change to its file (`vitest run -u` takes
 * the new text). The commands are those the overview lists, the subcommands those their group lists.
 */
import { describe, expect, it } from 'vitest';
import { assertBuilt, type CliResult, runCli } from './cli-harness.js';

assertBuilt();

/** The names a help lists under `heading`: the first word of each line of that block. */
function listed(help: string, heading: string): string[] {
  const block = help.split(`\n${heading}:\n`)[1]?.split('\n\n')[0];
  return block === undefined ? [] : block.split('\n').map((line) => line.trim().split(' ')[0]!);
}

/** `--help` of each path (`classify train`), and of the paths below it. */
async function helpOf(paths: string[]): Promise<Array<[string, CliResult]>> {
  const helps = await Promise.all(
    paths.map(
      async (path): Promise<[string, CliResult]> => [path, await runCli([...path.split(' '), '--help'])],
    ),
  );
  const below = helps.flatMap(([path, help]) =>
    listed(help.stdout, 'Subcommands').map((sub) => `${path} ${sub}`),
  );
  return [...helps, ...(below.length > 0 ? await helpOf(below) : [])];
}

const overview = await runCli(['help']);
const helps = await helpOf(listed(overview.stdout, 'Commands'));

describe('help', () => {
  it('the overview, for help, --help, -h and a bare scratchgpt (which exits 2)', async () => {
    expect([overview.code, overview.stderr]).toEqual([0, '']);
    await expect(overview.stdout).toMatchFileSnapshot('__snapshots__/help/overview.txt');
    for (const args of [['--help'], ['-h']]) {
      expect(await runCli(args)).toEqual({ code: 0, stdout: overview.stdout, stderr: '' });
    }
    expect(await runCli([])).toEqual({ code: 2, stdout: overview.stdout, stderr: '' });
    expect(helps.map(([path]) => path)).toEqual(
      expect.arrayContaining(['train', 'classify train', 'instruct respond']),
    );
  });

  it.for(helps)('%s --help', async ([path, help], { expect }) => {
    expect([help.code, help.stderr]).toEqual([0, '']);
    await expect(help.stdout).toMatchFileSnapshot(`__snapshots__/help/${path.replace(/ /g, '-')}.txt`);
  });

  it.each(['classify', 'classify train', 'instruct respond'])(
    'help %s and -h print its --help',
    async (topic) => {
      const words = topic.split(' ');
      const help = await runCli([...words, '--help']);
      expect(await runCli(['help', ...words])).toEqual(help);
      expect(await runCli([...words, '-h'])).toEqual(help);
    },
  );
});
