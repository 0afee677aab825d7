import { packageBuild } from '../../tsdown.shared.js';

export default packageBuild({ index: 'src/index.ts' });
