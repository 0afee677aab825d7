export { type ChatAnswer, ChatSession, type ChatSessionOptions } from './chat-session.js';
export {
  CHAT_TEMPLATE,
  type ChatTemplateFormat,
  type ChatTemplateFormatOptions,
  chatTemplateFormat,
} from './chat-template-format.js';
export {
  type CollateOptions,
  collateInstructions,
  END_OF_TEXT_ID,
  IGNORE_INDEX,
} from './collate.js';
export {
  answerReserve,
  type ChatPrompt,
  type ChatPromptOptions,
  chatPrompt,
} from './conversation.js';
export { InstructionDataError, type InstructionEntry, parseInstructionData } from './entry.js';
export { InstructionDataset, type InstructionDatasetOptions } from './instruction-dataset.js';
export {
  createInstructionLoader,
  type InstructionLoader,
  type InstructionLoaderOptions,
  type PaddingUse,
} from './instruction-loader.js';
export {
  chatEndpoint,
  createJudgeClient,
  DEFAULT_ENDPOINT,
  type JudgeApi,
  type JudgeClient,
  type JudgeClientOptions,
} from './judge/client.js';
export { JudgeError, type JudgeFailure } from './judge/errors.js';
export { MAX_BACKOFF_MS, MAX_TIMEOUT_MS, type RequestPolicy } from './judge/http.js';
export {
  type FailedEntry,
  type JudgedEntry,
  type JudgeOptions,
  type JudgeProgress,
  type JudgeSummary,
  judgeResponses,
  parseJudgedEntries,
  type SkippedAnswer,
  summarize,
  summarizeVerdicts,
  type Verdict,
} from './judge/judge.js';
export { parseScore, scoringPrompt } from './judge/scoring-prompt.js';
export {
  collatePreferences,
  encodePreference,
  type PreferenceBatch,
  type PreferenceCollateOptions,
  type PreferencePair,
  type PreferenceSequences,
} from './preference/collate.js';
export {
  type DpoLoss,
  dpoBatchLoss,
  dpoLoss,
  dpoObjective,
  type PreferenceLogProbs,
  type ReferenceModel,
  type RewardSummary,
  summarizeRewards,
} from './preference/dpo-loss.js';
export { type PreferenceEntry, parsePreferenceData } from './preference/entry.js';
export { evaluatePreferences, type PreferenceEvaluation } from './preference/evaluate.js';
export { responseLogProbs, sequenceLogProbs } from './preference/log-probs.js';
export {
  alpaca,
  type ChatTurn,
  isPromptFormatName,
  type PromptFormat,
  type PromptFormatName,
  phi3,
  promptFormat,
  promptFormats,
  trainingText,
} from './prompt-format.js';
export { extractResponse, type RespondOptions, type Response, respond } from './response.js';
export { type InstructionSplit, type SplitOptions, splitInstructionData } from './split.js';
