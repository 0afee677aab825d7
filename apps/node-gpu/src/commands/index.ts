/** Every `scratchgpt` command, by name: the router finds them here, and the help lists them in this order. */
import { bench } from './bench.js';
import { chat } from './chat.js';
import { classify } from './classify/index.js';
import type { Command } from './command.js';
import { convert } from './convert.js';
import { demo } from './demo.js';
import { download } from './download.js';
import { evaluate } from './evaluate.js';
import { generate } from './generate.js';
import { info } from './info.js';
import { instruct } from './instruct.js';
import { judge } from './judge.js';
import { serve } from './serve.js';
import { tokenize } from './tokenize.js';
import { train } from './train.js';

export const commands: Readonly<Record<string, Command>> = {
  info,
  tokenize,
  train,
  generate,
  eval: evaluate,
  convert,
  download,
  classify,
  bench,
  demo,
  instruct,
  judge,
  chat,
  serve,
};
