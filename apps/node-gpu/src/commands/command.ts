import type { CommandContext } from './context.js';

/** A `scratchgpt` subcommand: what `help` shows of it, and what it does. */
export interface Command {
  /** One line for the command list. */
  summary: string;
  /** How to call it: required flags bare, optional ones in brackets. */
  usage: string;
  /** What it does, each option with its default, and its `--json` shape. */
  help: string;
  run(args: string[], context: CommandContext): Promise<number>;
}
