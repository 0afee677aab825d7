/**
 * LoRA on a 16-bit base: when a training command fine-tunes with `--lora-rank` and `--precision f16`
 * or `bf16`, the frozen model under the updates is stored in that precision (its Linear layers and
 * embedding tables; norms and positions stay f32), so its weights take half the memory, while the
 * updates and a classifier's head train in f32 under autocast. Without LoRA, `--precision` rounds the
 * products alone: every weight trains, so every weight stays f32.
 */
import type { LoRASettings } from '@scratchgpt/lora';
import {
  type AutocastPrecision,
  HalfRangeError,
  hasWeightStorage,
  type Module,
  type StoragePrecision,
} from '@scratchgpt/tensor';
import type { TrainingSnapshot } from '@scratchgpt/trainer';
import { CommandError } from './errors.js';
import { savedPrecision } from './training-precision-flag.js';

/** The precision a run trains in: a resumed run's own, else `--precision` (default f32). */
export function runPrecision(
  given: AutocastPrecision | undefined,
  resume: TrainingSnapshot | undefined,
): AutocastPrecision {
  return resume ? savedPrecision(resume) : (given ?? 'f32');
}

/** How the frozen base is stored: in the training precision under LoRA, else f32. */
export function frozenBasePrecision(
  lora: LoRASettings | null | undefined,
  precision: AutocastPrecision,
): StoragePrecision {
  return lora ? precision : 'f32';
}

/**
 * Stores the base's weights in `precision` once they are loaded (before or after the updates attach:
 * only the base's own weights change), but for the modules `trained` names (a classifier's new head).
 * f32 leaves them as loaded. A weight that f16 cannot hold is refused, naming it.
 */
export async function storeFrozenBase(
  model: Module,
  precision: StoragePrecision,
  trained: (name: string) => boolean = () => false,
): Promise<void> {
  if (precision === 'f32') return;
  for (const [name, module] of model.namedModules()) {
    if (!hasWeightStorage(module) || trained(name) || module.weightPrecision === precision) continue;
    try {
      await module.storeWeight(precision);
    } catch (error) {
      if (!(error instanceof HalfRangeError)) throw error;
      throw new CommandError(
        `--precision ${precision} with --lora-rank stores the frozen model in ${precision}, but '${name}.weight' cannot be: ${error.message}; use --precision bf16`,
      );
    }
  }
}

/** How a model's weights are stored: the 16-bit precision its layers hold, else f32. */
export function weightStorageOf(model: Module): StoragePrecision {
  for (const [, module] of model.namedModules()) {
    if (hasWeightStorage(module) && module.weightPrecision !== 'f32') return module.weightPrecision;
  }
  return 'f32';
}

/** The note's words for a base stored in 16 bits; nothing for f32. */
export function frozenBaseNote(precision: StoragePrecision): string {
  return precision === 'f32' ? '' : `; the frozen base is stored in ${precision}`;
}
