import { packageBuild } from '../../tsdown.shared.js';

// The main entry runs anywhere; only the `./node` entry imports Node built-ins.
export default packageBuild({ index: 'src/index.ts', node: 'src/node.ts' });
