// Side effects only, kept in a JavaScript file so the type bundler does not copy tfjs-core's internal
// module augmentations into this package's declarations. See tf.ts for why these are bundled.
// tfjs-core itself must load first: it creates the global engine and flags the registrations use.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
