import { packageBuild } from '../../tsdown.shared.js';

// Node only: every module imports Node built-ins, which stay external.
export default packageBuild({ index: 'src/index.ts' });
