/** The text `scratchgpt help` and `scratchgpt help <command>` print. */
import type { Command } from './commands/command.js';

export const globalOptionsHelp = `Global options (every command):
  --backend auto|node-gpu|webgpu|blas|wasm|cpu  where to compute (default auto: a hardware GPU, else
                                                blas, else wasm)
  --json                                        machine-readable output on stdout
  --seed N                                      random seed (default 123)
  --debug                                       show stack traces and the backends' own warnings
  -h, --help                                    this help`;

export function commandHelp(command: Command): string {
  return `usage: ${command.usage}\n\n${command.help}\n\n${globalOptionsHelp}`;
}

export function overview(commands: Record<string, Command>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return `usage: scratchgpt <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`)
  .join('\n')}

${globalOptionsHelp}
  -V, --version                                 the version

Run 'scratchgpt help <command>' (or 'scratchgpt <command> --help') for a command's options.`;
}
