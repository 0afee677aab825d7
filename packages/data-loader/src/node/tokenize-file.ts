import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { writeFileAtomicWith } from '@scratchgpt/files';
import type { EncodeOptions, Tokenizer } from '@scratchgpt/tokenizer';
import { lastSafeSplit } from '../stream/safe-split.js';
import {
  assertLittleEndian,
  dtypeForVocabulary,
  HEADER_BYTES,
  type TokenDtype,
  writeHeader,
} from './token-file-format.js';

export interface TokenizeFileOptions extends EncodeOptions {
  /** Bytes read at a time. Default 256 KiB: memory stays near a few times this, whatever the file size. */
  chunkBytes?: number;
  /**
   * How much text may wait for a safe place to cut (a single space or newline between words) before
   * giving up. Default 64 Mi characters.
   */
  maxPendingChars?: number;
  onProgress?: (progress: { bytesRead: number; totalBytes: number; tokens: number }) => void;
}

export interface TokenFileSummary {
  path: string;
  tokens: number;
  dtype: TokenDtype;
  bytesRead: number;
}

/**
 * Tokenizes a text file of any size into a binary token file (see `TokenFile`), in bounded memory:
 * the text is read in chunks, decoded as streaming UTF-8 (a character split between chunks is
 * joined), cut only where pieces tokenize independently (see `lastSafeSplit`), so the ids equal
 * those of encoding the whole text at once. The file appears at `outputPath` only when complete.
 */
export async function tokenizeFileToTokenFile(
  inputPath: string,
  outputPath: string,
  tokenizer: Tokenizer,
  options: TokenizeFileOptions = {},
): Promise<TokenFileSummary> {
  const { chunkBytes = 256 << 10, maxPendingChars = 64 << 20, onProgress } = options;
  const encodeOptions: EncodeOptions =
    options.allowedSpecial === undefined ? {} : { allowedSpecial: options.allowedSpecial };
  assertLittleEndian();
  const totalBytes = await inputSize(inputPath);
  const dtype = dtypeForVocabulary(tokenizer.vocabSize);
  let tokens = 0;
  let bytesRead = 0;
  // A temporary file beside the output, flushed and renamed into place when complete; removed on failure.
  await writeFileAtomicWith(outputPath, async (output) => {
    await output.write(new Uint8Array(HEADER_BYTES), 0, HEADER_BYTES, 0); // filled in at the end
    let position = HEADER_BYTES;
    const writeIds = async (text: string): Promise<void> => {
      if (text === '') return;
      const ids = tokenizer.encode(text, encodeOptions);
      const typed = dtype === 'uint16' ? Uint16Array.from(ids) : Uint32Array.from(ids);
      const bytes = new Uint8Array(typed.buffer);
      await output.write(bytes, 0, bytes.length, position);
      position += bytes.length;
      tokens += ids.length;
    };

    const decoder = new TextDecoder('utf-8');
    let pending = '';
    for await (const chunk of createReadStream(inputPath, { highWaterMark: chunkBytes })) {
      const bytes = chunk as Uint8Array;
      bytesRead += bytes.length;
      const searched = pending.length;
      pending += decoder.decode(bytes, { stream: true });
      // Only the new text can complete a cut: a space at the old end needed the character after it.
      const cut = lastSafeSplit(pending, searched - 1);
      if (cut > 0) {
        await writeIds(pending.slice(0, cut));
        pending = pending.slice(cut);
      } else if (pending.length > maxPendingChars) {
        throw new Error(
          `tokenizeFileToTokenFile: ${inputPath} has ${pending.length} characters with no single space or ` +
            'newline between words to cut at; raise maxPendingChars or add line breaks to the text',
        );
      }
      onProgress?.({ bytesRead, totalBytes, tokens });
    }
    await writeIds(pending + decoder.decode());
    await output.write(writeHeader({ dtype, count: tokens }), 0, HEADER_BYTES, 0);
  });
  return { path: outputPath, tokens, dtype, bytesRead };
}

async function inputSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`tokenizeFileToTokenFile: ${path} does not exist; check the path`);
    }
    throw error;
  }
}
