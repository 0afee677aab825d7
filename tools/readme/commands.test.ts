/**
 * Every shell command of every README runs. Each runs from the repository root as written, or as
 * plans.ts says (smaller, sandboxed, served once, or skipped with a reason and a parse check).
 * `npm install` lines install the packed packages into a fresh npm project, as a user's project gets
 * the published ones, and the README's TypeScript example then runs there.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNpmProject } from '../packed/npm-project.js';
import { type PackedPackage, packPackages, repositoryRoot } from '../packed/pack.js';
import { readmeExample } from '../readme-example.js';
import { type RunResult, run, runShell } from '../run.js';
import { readmes } from './files.js';
import { plans } from './plans.js';
import { serveOnce } from './serve.js';
import { type ReadmeCommand, shellCommands } from './shell-commands.js';

const commands = readmes().flatMap(shellCommands);
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

let tmp: string;
let packed: PackedPackage[];
let hasPyTorch: boolean;
/** What ran already, by the line run: a README may repeat a command, or two may share a smaller run. */
const ran = new Map<string, Promise<RunResult>>();

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'scratchgpt-readme-commands-'));
  await mkdir(join(tmp, 'packs'));
  packed = await packPackages(join(tmp, 'packs'));
  const torch = await run('/usr/bin/python3', ['-c', 'import torch'], { cwd: tmp }).catch(() => undefined);
  hasPyTorch = torch?.code === 0;
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function shell(line: string): Promise<RunResult> {
  const expanded = line.replaceAll('{tmp}', tmp);
  let result = ran.get(expanded);
  if (result === undefined) {
    result = runShell(expanded, { cwd: repositoryRoot, timeoutSeconds: 600 });
    ran.set(expanded, result);
  }
  return result;
}

async function expectSuccess(line: string): Promise<RunResult> {
  const result = await shell(line);
  const tail = (text: string) => text.slice(-4000);
  expect(result.code, `${line}\nstdout:\n${tail(result.stdout)}\nstderr:\n${tail(result.stderr)}`).toBe(0);
  return result;
}

/** `npm install <names>` in a fresh project, the packages' names standing for their tarballs. */
async function installPacked(command: ReadmeCommand): Promise<void> {
  const [npm, install, ...names] = command.command.split(/\s+/);
  expect([npm, install]).toEqual(['npm', 'install']);
  const directory = join(tmp, 'npm', basename(dirname(command.readme)));
  const project = await createNpmProject(directory, packed);
  const installed = await project.npm([
    'install',
    ...names.map((name) => project.specs.get(name) ?? name),
    '--prefer-offline',
  ]);
  expect(installed.code, installed.stderr).toBe(0);
  await writeFile(join(directory, 'example.ts'), readmeExample(join(repositoryRoot, command.readme)));
  const example = await run(process.execPath, [tsx, 'example.ts'], { cwd: directory, timeoutSeconds: 300 });
  expect(example.code, `the README's example failed:\n${example.stdout}\n${example.stderr}`).toBe(0);
}

describe('the plans', () => {
  it('name only commands that a README has', () => {
    const written = new Set(commands.map((command) => command.command));
    expect(Object.keys(plans).filter((command) => !written.has(command))).toEqual([]);
  });
});

describe.each([...new Set(commands.map((command) => command.readme))])('%s', (readme) => {
  it.for(commands.filter((command) => command.readme === readme))(
    'line $line: $command',
    async (command, { skip }) => {
      const plan = plans[command.command];
      if (plan === undefined) {
        if (command.command.startsWith('npm install ')) await installPacked(command);
        else await expectSuccess(command.command);
        return;
      }
      switch (plan.kind) {
        case 'instead':
          await expectSuccess(plan.run);
          return;
        case 'serve':
          expect(await serveOnce(command.command, repositoryRoot)).toMatchObject({ status: 200 });
          return;
        case 'skip':
          await expectSuccess(plan.check);
          skip(`not run: ${plan.why}; \`${plan.check}\` passed`);
          return;
        case 'pytorch':
          if (hasPyTorch) {
            await expectSuccess(plan.instead ?? command.command);
            return;
          }
          await expectSuccess(plan.check);
          skip(
            `needs PyTorch (Debian's python3-torch for /usr/bin/python3), not installed here; \`${plan.check}\` passed`,
          );
      }
    },
  );
});
