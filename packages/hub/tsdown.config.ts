import { packageBuild } from '../../tsdown.shared.js';

// The main entry runs anywhere (fetch, Web Crypto, Cache Storage); `./node` and `./testing` import
// Node built-ins.
export default packageBuild({ index: 'src/index.ts', node: 'src/node.ts', testing: 'src/testing.ts' });
