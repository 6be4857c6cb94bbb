// dump.js: diagnosis. The training-mode output (tf.keras semantics) of one layer in TF.js against
// conf_driver --dump NODE [--level N]: node dump.js MODEL_DIR SKY_DIR NODE [N]
// N: the last N layers of model.layers trainable, as the harness sets a freeze level (the rest
// frozen: their BatchNormalizations in inference mode, K1); without it, all layers.
'use strict';
const fs = require('fs');
const path = require('path');
const K = require('./tfjs_keras.js');
const tf = K.tf;
(async () => {
  const [modelDir, skyDir, node, levelArg] = process.argv.slice(2);
  const index = JSON.parse(fs.readFileSync(path.join(skyDir, 'index.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(skyDir, 'tensors.bin'));
  const get = (n) => { const t = index.tensors[n]; const c = t.shape.reduce((a, b) => a * b, 1); return tf.tensor(new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + 4 * c)), t.shape); };
  const model = await K.loadModel(modelDir);
  K.patchBatchNorm(model, []);
  K.patchDropout(model, new Map());
  K.patchAvgPoolSame(model);
  const level = levelArg ? Number(levelArg) : model.layers.length;
  model.layers.forEach((l, i) => { l.trainable = i >= model.layers.length - level; });
  const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(node).output });
  const y = sub.apply(get('input'), { training: true });
  const a = get('dump').dataSync(), b = y.dataSync();
  let md = 0, mb = 0, zs = 0, zt = 0;
  for (let i = 0; i < a.length; i++) { md = Math.max(md, Math.abs(a[i] - b[i])); mb = Math.max(mb, Math.abs(b[i])); zs += a[i] === 0; zt += b[i] === 0; }
  console.log(`${node}: max|sky - tfjs| ${md.toExponential(3)}, max|tfjs| ${mb.toExponential(3)}, rel ${(md / mb).toExponential(3)}, exact zeros sky ${zs} tfjs ${zt} of ${a.length}`);
})();
