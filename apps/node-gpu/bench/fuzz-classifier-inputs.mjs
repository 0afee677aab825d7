/**
 * The fine-tuning inputs of `fuzz-files.mjs`: classifier data, class heads, LoRA adapters, classifier
 * settings, and classifier and GPT directories on disk whose files are damaged or replaced by a FIFO, a
 * link to /dev/zero or a huge sparse file. Each category is a function from a case's random generator
 * to what it did: 'accepted' (and then the model it built must give finite outputs), or a thrown error.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const classifierCategories = [
  'classifier-data',
  'classifier-settings',
  'classifier-head',
  'adapter',
  'classifier-directory',
  'checkpoint-directory',
];

export const classifierErrorNames = [
  'LabelledDataError',
  'ClassifierFileError',
  'AdapterError',
  'FileKindError',
];

/** Builds the valid inputs once, then returns a runner per category. */
export async function classifierInputs({ tensor, gptModel, gptNode, tokenizer, classifier, classifierNode }) {
  const { Generator, parseSafetensors, serializeSafetensors, tf } = tensor;
  const config = { vocabSize: 50257, contextLength: 16, embDim: 8, nHeads: 2, nLayers: 1, dropRate: 0 };
  const gpt = new gptModel.GPTModel(
    { ...config, qkvBias: true, tieWeights: true },
    {
      generator: new Generator(5),
    },
  );
  const model = classifier.createClassifier(gpt, {
    numClasses: 2,
    lora: { rank: 2, alpha: 4, scaling: 'rank' },
    generator: new Generator(6),
  });
  const settings = {
    classes: ['ham', 'spam'],
    maxLength: 8,
    padTokenId: 50256,
    pooling: 'last',
    trainable: 'lora',
    lora: { rank: 2, alpha: 4, scaling: 'rank' },
  };
  const files = await classifier.serializeClassifier(model, settings);
  const work = mkdtempSync(join(tmpdir(), 'fuzz-classifier-'));
  const saved = join(work, 'saved');
  await classifierNode.saveClassifier(model, settings, saved);
  const plainGpt = join(work, 'gpt');
  await gptNode.saveCheckpoint(gpt, plainGpt);
  model.dispose();
  const tsv = readSms();
  const gpt2 = tokenizer.getGPT2Tokenizer();

  /** The classifier's outputs on a few tokens, all finite (a NaN accepted would be a silent failure). */
  const finite = (loaded) => {
    const logits = tf.tidy(() => loaded.forward(tf.tensor2d([[464, 3290, 318, 257]], [1, 4], 'int32'), [4]));
    const values = logits.dataSync();
    logits.dispose();
    loaded.dispose();
    return values.every(Number.isFinite);
  };

  return {
    cleanup: () => rmSync(work, { recursive: true, force: true }),
    'classifier-data': (random) => {
      const data = classifier.prepareClassificationData(mutateText(tsv, random), {
        format: 'tsv',
        tokenizer: gpt2,
        ...columns(random),
        source: 'sms.tsv',
      });
      return data.classes.length >= 2;
    },
    'classifier-settings': (random) => {
      classifier.parseClassifierSettings(tensor.parseStrictJson(mutateJson(files.settings, random)));
      return true;
    },
    'classifier-head': (random) =>
      finite(classifier.loadClassifier({ ...files, head: mutateSafetensors(files.head, random) }).classifier),
    adapter: (random) =>
      finite(
        classifier.loadClassifier({ ...files, adapters: mutateAdapter(files.adapters, random) }).classifier,
      ),
    'classifier-directory': async (random, index) => {
      const directory = join(work, `case-${index}`);
      execFileSync('cp', ['-r', saved, directory]);
      try {
        damageFile(
          directory,
          pick(
            [
              'classifier.json',
              'classifier.safetensors',
              'adapter.safetensors',
              'config.json',
              'model.safetensors',
            ],
            random,
          ),
          random,
        );
        return finite((await classifierNode.loadClassifierDirectory(directory)).classifier);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
    'checkpoint-directory': async (random, index) => {
      const directory = join(work, `case-${index}`);
      execFileSync('cp', ['-r', plainGpt, directory]);
      try {
        damageFile(directory, pick(['config.json', 'model.safetensors'], random), random);
        const loaded = await gptNode.loadCheckpoint(directory);
        const logits = tf.tidy(() => loaded.model.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')));
        const ok = logits.dataSync().every(Number.isFinite);
        logits.dispose();
        loaded.model.dispose();
        return ok;
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };

  function columns(random) {
    const choices = [
      {},
      { textColumn: 0, labelColumn: 1 },
      { textColumn: 1, labelColumn: 1 },
      { labelColumn: 2 },
    ];
    return choices[random.randint(0, choices.length)];
  }

  /** The SMS data cut to a few hundred lines, changed: bytes, NULs, padded labels, one class, many. */
  function mutateText(text, random) {
    const kind = random.randint(0, 7);
    if (kind === 0) return text;
    if (kind === 1) return text.replace(/^ham\t/gm, 'ham \t');
    if (kind === 2) return text.replace(/\t/, '\u0000');
    if (kind === 3)
      return text
        .split('\n')
        .map((line, i) => line.replace(/^\w+/, `c${i}`))
        .join('\n');
    if (kind === 4) return text.replace(/spam/g, 'ham');
    if (kind === 5) return text.slice(0, random.randint(0, text.length));
    const chars = [...text];
    for (let i = 0, n = random.randint(1, 50); i < n; i++)
      chars[random.randint(0, chars.length)] = pick(['\t', '\n', '"', '\r', '\uFFFD', ' ', ','], random);
    return chars.join('');
  }

  /** A safetensors file changed in its values (NaN, infinity, integers) or its structure. */
  function mutateSafetensors(bytes, random, metadataEdit) {
    const file = parseSafetensors(bytes);
    const tensors = new Map(
      [...file.tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data.slice() }]),
    );
    const names = [...tensors.keys()];
    const name = pick(names, random);
    const target = tensors.get(name);
    const kind = random.randint(0, 7);
    if (kind === 0) target.data[random.randint(0, target.data.length)] = Number.NaN;
    else if (kind === 1) target.data[random.randint(0, target.data.length)] = Number.NEGATIVE_INFINITY;
    else if (kind === 2)
      tensors.set(name, {
        shape: target.shape,
        data: Int32Array.from(target.data, (v) => Math.round(v * 10)),
      });
    else if (kind === 3) tensors.set(name, { shape: [...target.shape, 1], data: target.data });
    else if (kind === 4) tensors.delete(name);
    else if (kind === 5) tensors.set(`${name}.extra`, target);
    else {
      const out = Uint8Array.from(bytes);
      for (let i = 0, n = random.randint(1, 9); i < n; i++)
        out[random.randint(0, out.length)] = random.randint(0, 256);
      return out;
    }
    return serializeSafetensors(tensors, metadataEdit ? metadataEdit(file.metadata) : file.metadata);
  }

  /** An adapter whose metadata claims another rank (up to absurd ones), or whose values are changed. */
  function mutateAdapter(bytes, random) {
    if (random.randint(0, 2) === 0) return mutateSafetensors(bytes, random);
    const rank = pick(['0', '3', '8', '9', '100000', '99999999', '1e308', '-2', 'NaN', '2.5'], random);
    const file = parseSafetensors(bytes);
    return serializeSafetensors(file.tensors, { ...file.metadata, rank });
  }

  /** One file of a directory replaced: a FIFO, /dev/zero, a huge sparse file, truncated, changed. */
  function damageFile(directory, name, random) {
    const path = join(directory, name);
    const kind = random.randint(0, 6);
    if (kind <= 3) rmSync(path, { force: true });
    if (kind === 0) execFileSync('mkfifo', [path]);
    else if (kind === 1) symlinkSync('/dev/zero', path);
    else if (kind === 2) {
      writeFileSync(path, '');
      truncateSync(path, Math.floor(pick([150e6, 1.9 * 2 ** 30, 3 * 2 ** 30], random))); // sparse: no disk taken
    } else if (kind === 3)
      writeFileSync(path, name.endsWith('.json') ? ' '.repeat(random.randint(0, 6_000_000)) : '');
    else if (kind === 4) truncateSync(path, random.randint(0, 64));
    else writeFileSync(path, name.endsWith('.json') ? mutateJson({ a: 1 }, random) : new Uint8Array(9));
  }

  function mutateJson(value, random) {
    const copy = structuredClone(value);
    const keys = Object.keys(copy);
    const key = pick(keys, random);
    const replacements = [
      null,
      -1,
      0,
      1e9,
      '',
      [],
      {},
      ['ham', 'ham'],
      ['a'],
      'x'.repeat(100_000),
      2 ** 53,
      Array.from({ length: 20_000 }, (_, i) => `c${i}`),
    ];
    const kind = random.randint(0, 4);
    if (kind === 0) delete copy[key];
    else if (kind === 1) copy[key] = pick(replacements, random);
    else if (kind === 2) return JSON.stringify(copy).slice(0, random.randint(0, 40));
    else
      copy.lora = {
        rank: pick([1, 2, 99999999, -1, 0.5], random),
        alpha: pick([1, 0, -1], random),
        scaling: 'rank',
      };
    return JSON.stringify(copy);
  }
}

function pick(list, random) {
  return list[random.randint(0, list.length)];
}

/** The SMS data's first 300 lines: enough of both classes, quick to read. */
function readSms() {
  const text = readFileSync(new URL('../../../data/sms-spam-collection.tsv', import.meta.url), 'utf8');
  return `${text.split('\n').slice(0, 300).join('\n')}\n`;
}
