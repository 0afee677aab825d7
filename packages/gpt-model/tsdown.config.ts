import { packageBuild } from '../../tsdown.shared.js';

// `node` (checkpoint directories on disk) is a separate entry so the main one stays browser-safe;
// built together, both share one copy of the model code.
export default packageBuild({ index: 'src/index.ts', node: 'src/node.ts' });
