import { sharedProject } from '../../vitest.shared.js';

// The end-to-end test builds nothing itself when dist/ exists, starts `vite preview` and drives Chromium.
export default sharedProject('web-webgpu', { testTimeout: 480_000 });
