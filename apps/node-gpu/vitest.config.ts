import { sharedProject } from '../../vitest.shared.js';

export default sharedProject('scratchgpt-cli', { testTimeout: 180_000 });
