import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { balanceClasses } from './data/balance.js';
import { indexClasses } from './data/classes.js';
import { ClassificationDataset, padTokenIdOf } from './data/dataset.js';
import { readDelimited } from './data/delimited.js';
import { formatOfFileName, LabelledDataError, readLabelledTexts } from './data/labelled-text.js';
import { createClassificationLoader } from './data/loader.js';
import { prepareClassificationData } from './data/prepare.js';
import { smsContent } from './test-support/sms.js';

const tokenizer = getGPT2Tokenizer();
const fields = (content: string, delimiter = '\t') =>
  readDelimited(content, delimiter).map((row) => row.fields);

describe('readDelimited (quoting as pandas reads it)', () => {
  it('reads quoted fields across delimiters and lines, with doubled quotes and text after the closing quote', () => {
    const content = 'a\t"x\ty"\nb\t"one\ntwo"\nc\t"say ""hi"""\nd\t"quoted" then more\ne\tmid "quote" kept\n';
    expect(fields(content)).toEqual([
      ['a', 'x\ty'],
      ['b', 'one\ntwo'],
      ['c', 'say "hi"'],
      ['d', 'quoted then more'],
      ['e', 'mid "quote" kept'],
    ]);
    expect(readDelimited(content, '\t').map((row) => row.line)).toEqual([1, 2, 4, 5, 6]);
  });

  it('takes CRLF and a byte-order mark, skips blank lines, and keeps a last line without a break', () => {
    expect(fields('\uFEFFlabel,text\r\n\r\nspam,"win, now"\r\nham,ok', ',')).toEqual([
      ['label', 'text'],
      ['spam', 'win, now'],
      ['ham', 'ok'],
    ]);
  });
});

describe('readLabelledTexts', () => {
  it('picks columns by header name or index, and JSON lines by key', () => {
    const csv = 'id,review,sentiment\n1,"Great, loved it",pos\n2,Dull,neg\n';
    const byName = readLabelledTexts(csv, { format: 'csv', textColumn: 'review', labelColumn: 'sentiment' });
    expect(byName).toEqual([
      { text: 'Great, loved it', label: 'pos' },
      { text: 'Dull', label: 'neg' },
    ]);
    expect(readLabelledTexts(csv, { format: 'csv', header: true, textColumn: 1, labelColumn: 2 })).toEqual(
      byName,
    );
    const jsonl = '{"text": "Great", "label": 1}\n\n{"text": "Dull", "label": 0}\n';
    expect(readLabelledTexts(jsonl, { format: 'jsonl' })).toEqual([
      { text: 'Great', label: '1' },
      { text: 'Dull', label: '0' },
    ]);
    expect(readLabelledTexts('text\tlabel\nhi\tx\n', { format: 'tsv' })).toEqual([
      { text: 'hi', label: 'x' },
    ]);
    expect([
      formatOfFileName('a.TSV'),
      formatOfFileName('b.csv'),
      formatOfFileName('c.jsonl'),
      formatOfFileName('d'),
    ]).toEqual(['tsv', 'csv', 'jsonl', undefined]);
  });

  it('says what is wrong with bad input, in one line naming the file and the fix', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [
        () => readLabelledTexts('  \n', { format: 'tsv', source: 'e.tsv' }),
        /^e\.tsv is empty: it needs one labelled text per line \(label<TAB>text\)$/,
      ],
      [
        () =>
          readLabelledTexts('text,label\nhi,x\n', {
            format: 'csv',
            labelColumn: 'category',
            source: 'c.csv',
          }),
        /^c\.csv has no label column 'category': its first row is "text", "label" \(name a column of its header, or give a 0-based index\)$/,
      ],
      [
        () =>
          readLabelledTexts('text,label,category\nhi,x,y\n', {
            format: 'csv',
            labelColumn: 'kind',
            textColumn: 'text',
            header: true,
            source: 'c.csv',
          }),
        /^c\.csv has no label column 'kind': its columns are 'text', 'label', 'category'$/,
      ],
      [
        () => readLabelledTexts('ham\n', { format: 'tsv', source: 's.tsv' }),
        /^s\.tsv line 1 has 1 field, but the text is column 1 \(0-based\): is the file tab-separated\?$/,
      ],
      [
        () => readLabelledTexts('{"text": "a", "class": 1}', { format: 'jsonl', source: 'j.jsonl' }),
        /^j\.jsonl line 1 has no label key 'label': its keys are 'text', 'class'$/,
      ],
      [
        () => readLabelledTexts('{"text": "a",', { format: 'jsonl', source: 'j.jsonl' }),
        /^j\.jsonl line 1 is not valid JSON/,
      ],
      [
        () => readLabelledTexts('ham\t\n', { format: 'tsv', source: 's.tsv' }),
        /^s\.tsv line 1 has an empty text$/,
      ],
      [
        () => readLabelledTexts('a\tb\n', { format: 'tsv', textColumn: 5, source: 's.tsv' }),
        /^s\.tsv has no text column 5: its rows have 2 columns/,
      ],
    ];
    for (const [read, message] of cases) {
      expect(read).toThrow(LabelledDataError);
      expect(read).toThrow(message);
    }
  });

  it('trims labels: "ham " and "ham" are one class', () => {
    const examples = readLabelledTexts('ham \thi\n spam\tWin\nham\tyo\n', { format: 'tsv' });
    expect(indexClasses(examples).classes).toEqual(['ham', 'spam']);
  });

  it('refuses a label column of texts (the columns swapped) before anything trains', () => {
    const swapped = () =>
      prepareClassificationData(smsContent(), {
        format: 'tsv',
        tokenizer,
        textColumn: 0,
        labelColumn: 1,
        source: 'sms.tsv',
      });
    expect(swapped).toThrow(LabelledDataError);
    expect(swapped).toThrow(
      /^sms\.tsv has 5,158 different labels in 5,572 texts \("[^"]+", "[^"]+", "[^"]+", …\): the label column holds texts, not classes; are the text and label columns swapped\?$/,
    );
    const many = Array.from({ length: 3000 }, (_, i) => ({ text: `t${i}`, label: `c${i % 1001}` }));
    expect(() => indexClasses(many, { source: 'm.tsv' })).toThrow(
      /^m\.tsv has 1,001 different labels in 3,000 texts/,
    );
  });

  it('refuses data with one class only', () => {
    expect(() => indexClasses([{ text: 'a', label: 'ham' }], { source: 'one.tsv' })).toThrow(
      /^one\.tsv has only one label, 'ham': a classifier needs texts of at least two classes$/,
    );
    expect(() =>
      prepareClassificationData('ham\ta\nham\tb\n', { format: 'tsv', tokenizer, source: 'one.tsv' }),
    ).toThrow(/one\.tsv has only one label, 'ham'/);
  });
});

describe('balancing, datasets and loaders', () => {
  it('undersamples every class to the smallest, classes in index order', () => {
    const labels = [2, 0, 0, 1, 0, 2, 1, 0, 2, 2];
    const rows = balanceClasses(labels, 3, 7);
    expect(rows).toHaveLength(6);
    expect(rows.map((row) => labels[row])).toEqual([0, 0, 1, 1, 2, 2]);
    expect(rows.slice(2, 4)).toEqual([3, 6]); // the smallest class keeps every row, in order
    expect(balanceClasses(labels, 3, 7)).toEqual(rows);
    expect(balanceClasses(labels, 3, 8)).not.toEqual(rows);
  });

  it('pads with the end-of-text id, truncates to a given length, and records each length', () => {
    const dataset = new ClassificationDataset(['Do you have time', 'Hi'], [1, 0], {
      tokenizer,
      maxLength: 3,
    });
    expect(dataset.longest).toBe(4);
    expect(dataset.get(0)).toEqual({ ids: Int32Array.from([5211, 345, 423]), length: 3, label: 1 });
    expect(dataset.get(1)).toEqual({ ids: Int32Array.from([17250, 50256, 50256]), length: 1, label: 0 });
  });

  it('gives the same batches from any (epoch, batch), shuffled per epoch when asked', () => {
    const texts = Array.from({ length: 11 }, (_, i) => `text number ${i}`);
    const dataset = new ClassificationDataset(
      texts,
      texts.map((_, i) => i % 2),
      { tokenizer },
    );
    const loader = createClassificationLoader(dataset, {
      batchSize: 4,
      shuffle: true,
      seed: 3,
      dropLast: true,
    });
    expect([loader.length, loader.examples]).toEqual([2, 8]);
    const epoch1 = [...loader.batches(1)];
    expect([...loader.batches(1, 1)]).toEqual(epoch1.slice(1));
    expect([...loader.order(0)]).not.toEqual([...loader.order(1)]);
    const ordered = createClassificationLoader(dataset, { batchSize: 4 });
    expect(ordered.length).toBe(3);
    expect([...ordered.batches(0)].map((batch) => batch.batchSize)).toEqual([4, 4, 3]);
    expect([...ordered.batches(0)][2]!.lengths).toEqual(Int32Array.from([3, 3, 3]));
  });

  it('refuses texts longer than the model context unless a maximum length truncates them', () => {
    const long = 'word '.repeat(40).trim();
    const content = Array.from(
      { length: 20 },
      (_, i) => `${i % 2 ? 'spam' : 'ham'}\t${i === 3 ? long : `short ${i}`}`,
    ).join('\n');
    const options = {
      format: 'tsv' as const,
      tokenizer,
      contextLength: 16,
      batchSize: 2,
      source: 'long.tsv',
    };
    expect(() => prepareClassificationData(content, options)).toThrow(
      /^The longest training text of long\.tsv has 40 tokens, more than the model's context of 16: give a maximum length of at most 16 to truncate longer texts$/,
    );
    expect(prepareClassificationData(content, { ...options, maxLength: 16 }).maxLength).toBe(16);
    expect(() => prepareClassificationData(content, { ...options, maxLength: 17 })).toThrow(
      /exceeds the model's context of 16/,
    );
    expect(() => prepareClassificationData(content, { ...options, batchSize: 64 })).toThrow(
      /training split of long\.tsv has 14 texts, fewer than one batch of 64/,
    );
    const two = { ...options, source: 'two.tsv', batchSize: 8 };
    expect(() => prepareClassificationData('ham\thi\nspam\tyo\n', two)).toThrow(
      /^The training split of two\.tsv has 1 text, fewer than one batch of 8:/,
    );
  });
});

describe('padTokenIdOf', () => {
  const tokenizerWith = (
    special: Record<string, number>,
    ids: { padId?: number | null; eosId?: number | null },
  ) => ({
    ...ids,
    name: 'test',
    vocabSize: 300,
    specialTokens: new Map(Object.entries(special)),
    encode: () => [],
    decode: () => '',
  });

  it("pads with a tokenizer's own pad token, else <|endoftext|> as the book does, else its end of sequence", () => {
    expect(padTokenIdOf(tokenizer)).toBe(50256);
    expect(padTokenIdOf(tokenizerWith({ '<|endoftext|>': 7, '<pad>': 0 }, { padId: 0, eosId: 1 }))).toBe(0);
    expect(padTokenIdOf(tokenizerWith({ '<|endoftext|>': 7 }, { padId: null, eosId: 1 }))).toBe(7);
    expect(padTokenIdOf(tokenizerWith({ '<|end_of_text|>': 9 }, { padId: null, eosId: 9 }))).toBe(9);
    expect(() => padTokenIdOf(tokenizerWith({}, { padId: null, eosId: null }))).toThrow(
      'The tokenizer test has no pad token, no <|endoftext|> and no end-of-sequence token: give padTokenId',
    );
  });
});
