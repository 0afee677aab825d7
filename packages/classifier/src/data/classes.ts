/**
 * Labels as class indexes. The classes are the distinct labels in sorted order unless given, so the
 * SMS data's `ham` and `spam` become 0 and 1 as in the book, whatever order the file lists them in.
 */
import { LabelledDataError, type LabelledText } from './labelled-text.js';

export interface LabelledExamples {
  texts: string[];
  /** Class index of each text. */
  labels: number[];
  /** Class names by index. */
  classes: string[];
}

export function indexClasses(
  examples: readonly LabelledText[],
  options: { classes?: readonly string[]; source?: string } = {},
): LabelledExamples {
  const source = options.source ?? 'the data';
  const found = [...new Set(examples.map((example) => example.label))].sort();
  const classes = options.classes ? [...options.classes] : found;
  if (new Set(classes).size !== classes.length)
    throw new LabelledDataError(`The classes ${JSON.stringify(classes)} repeat a name`);
  if (!options.classes && classes.length < 2) {
    throw new LabelledDataError(
      `${source} has only one label, '${classes[0]}': a classifier needs texts of at least two classes`,
    );
  }
  if (!options.classes) checkPlausibleClasses(classes, examples.length, source);
  const index = new Map(classes.map((name, i) => [name, i]));
  const labels = examples.map((example, row) => {
    const label = index.get(example.label);
    if (label === undefined) {
      throw new LabelledDataError(
        `${source}: text ${row + 1} has the label '${example.label}', which is not one of the classes ${classes.map((c) => `'${c}'`).join(', ')}`,
      );
    }
    return label;
  });
  return { texts: examples.map((example) => example.text), labels, classes };
}

/** More classes than this is taken for a column of texts, not labels. */
export const MAX_CLASSES = 1000;

/**
 * Refuses labels that cannot be classes, before anything trains: more than {@link MAX_CLASSES}, or more
 * than half as many as there are texts (under two texts a class). That is a column of texts read as
 * labels, most often the text and label columns swapped; training on it would make every text a class.
 */
function checkPlausibleClasses(classes: readonly string[], rows: number, source: string): void {
  const tooMany = classes.length > MAX_CLASSES || (rows >= 10 && classes.length > rows / 2);
  if (!tooMany) return;
  const some = classes
    .slice(0, 3)
    .map((name) => JSON.stringify(name.length > 24 ? `${name.slice(0, 24)}…` : name))
    .join(', ');
  throw new LabelledDataError(
    `${source} has ${classes.length.toLocaleString('en-US')} different labels in ${rows.toLocaleString('en-US')} texts (${some}, …): the label column holds texts, not classes; are the text and label columns swapped?`,
  );
}

/** How many examples each class has, by class index. */
export function classCounts(labels: readonly number[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label] = (counts[label] as number) + 1;
  return counts;
}
