export { PositionalEmbedding } from './learned-positions.js';
export { OutputHead, type OutputHeadOptions } from './output-head.js';
export { type AdditivePositions, checkPositionRange } from './positions.js';
export { RotaryEmbedding, type RotaryOptions } from './rotary.js';
export { checkLlama3Scaling, type Llama3RotaryScaling, scaleLlama3Frequency } from './rotary-scaling.js';
export { ShardedTable, type ShardedTableOptions } from './sharded-table.js';
export { ShardingError, shardRowCounts } from './shards.js';
export { SinusoidalPositionalEmbedding, sinusoidalTable } from './sinusoidal-positions.js';
export { TokenEmbedding, type TokenEmbeddingOptions } from './token-embedding.js';
