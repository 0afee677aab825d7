/** Test helpers: a Hugging Face Hub on loopback (Node only). */
export {
  type FakeHub,
  type FakeHubFaults,
  type FakeHubRequest,
  type FakeRepo,
  startFakeHub,
  unreachableEndpoint,
} from './testing/fake-hub.js';
export { folderTree } from './testing/folder-tree.js';
