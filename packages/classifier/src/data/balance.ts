/**
 * Class balancing by undersampling, as the book's `create_balanced_dataset`: every class keeps as many
 * examples as the smallest has. A larger class is sampled with NumPy's `RandomState(seed).choice(n, k,
 * replace=False)` over its examples in file order, so with seed 123 the SMS data gives the book's exact
 * 747 ham messages. The result lists the classes in index order (the book: the ham sample, then spam).
 */
import { RandomState } from '@scratchgpt/tensor';
import { classCounts } from './classes.js';

/** Row numbers of a balanced subset of examples labelled `labels` (class indexes). */
export function balanceClasses(labels: readonly number[], numClasses: number, seed = 123): number[] {
  const counts = classCounts(labels, numClasses);
  const smallest = Math.min(...counts.filter((count) => count > 0));
  const random = new RandomState(seed);
  const rows: number[] = [];
  for (let label = 0; label < numClasses; label++) {
    const members = labels.flatMap((value, row) => (value === label ? [row] : []));
    if (members.length <= smallest) rows.push(...members);
    else rows.push(...random.choice(members.length, smallest).map((index) => members[index] as number));
  }
  return rows;
}
