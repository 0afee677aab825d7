/**
 * TF.js core with every gradient and every chained op (`x.add(y)`) registered.
 *
 * tfjs-core's Node entry is a CommonJS bundle that registers neither, and its ESM build cannot be
 * loaded by Node. Both registrations are bundled into this package's build instead; they write into
 * tfjs-core's global registries and tensor class, so every copy of tfjs-core in a process (and every
 * backend) sees them. Some gradients call chained ops, so both are needed.
 */
import * as tf from '@tensorflow/tfjs-core';
import './tf-registrations.js';

export { tf };
