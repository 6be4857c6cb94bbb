// tfjs_keras.js: TF.js layers (@tensorflow/tfjs 4.22, pure-JS CPU backend) made to compute
// what tf.keras 2.x computes, where the two differ. Every case is listed in the README
// ("Keras conformance") and each patch below says which one it is:
//   K1 a BatchNormalization with trainable=false runs in inference mode in training too (tf.keras
//      2.x); TF.js uses batch statistics and updates its moving statistics whenever training=true.
//   K2 tf.keras's fused BatchNormalization updates the moving variance with the unbiased batch
//      variance (m / (m - 1)); TF.js with the biased one. Updates are collected here and applied
//      after the step, with TensorFlow's FusedBatchNorm arithmetic.
//   K3 tf.keras's Adam is ResourceApplyAdam: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t),
//      p -= lr_t m / (sqrt(v) + eps); TF.js's AdamOptimizer adds eps to sqrt(v / (1 - b2^t)).
//   K4 loss: tf.keras computes the categorical cross-entropy of a softmax Dense from its logits
//      (the `_keras_logits` path), weights samples by class weight and divides by the batch size
//      (SUM_OVER_BATCH_SIZE); the head's activation is switched to linear and softmax applied here.
//   K5 TF.js has no Normalization layer (EfficientNet): registered below with Keras's formula
//      (x - mean) / max(sqrt(variance), 1e-7) and its three weights (count as float32).
//   K6 Dropout draws its own random masks; here it applies the masks skytune drew, read from a
//      file, so both sides drop the same units (identity when no mask was given: rate 0).
//   K7 TF.js 4.22's AvgPool gradient with padding 'same' divides by the whole window where its
//      forward (like TensorFlow's) divides by the number of elements inside the input: wrong at
//      the borders (a finite-difference check shows it). Such layers compute here the same
//      average as zero padding + 'valid' sum pooling / the count of real elements, whose
//      gradient TF.js derives correctly.
// Speed only, no change of arithmetic: S1 TF.js's CPU Conv2DBackpropFilter reads every element
// through TensorBuffer.get (most of the harness's time); it is replaced by the same loops, in
// the same order, with the same double accumulator, on flat indices; S2 its Conv2D forward the
// same loops with bounds and strides in locals (the same float32 accumulation order). Both are
// checked bit for bit against TF.js's own kernels (installFastKernels) before every run.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// K5
class Normalization extends tf.layers.Layer {
  static get className() { return 'Normalization'; }
  constructor(config) { super(config); this.axisCfg = config.axis; }
  build(inputShape) {
    const c = inputShape[inputShape.length - 1];
    const f32 = 'float32';
    this.mean = this.addWeight('mean', [c], f32, tf.initializers.zeros(), null, false);
    this.variance = this.addWeight('variance', [c], f32, tf.initializers.ones(), null, false);
    this.count = this.addWeight('count', [], f32, tf.initializers.zeros(), null, false);
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const denom = tf.maximum(tf.sqrt(this.variance.read()), 1e-7);
      return tf.div(tf.sub(x, this.mean.read()), denom);
    });
  }
  getConfig() { return Object.assign({ axis: this.axisCfg }, super.getConfig()); }
}
tf.serialization.registerClass(Normalization);

// A TF.js IOHandler over a model directory (model.json + shards), without fetch or tfjs-node.
function dirHandler(dir, editTopology) {
  return {
    load: async () => {
      const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const specs = [];
      const bufs = [];
      for (const g of m.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(bufs);
      const topo = editTopology ? editTopology(m.modelTopology) : m.modelTopology;
      return {
        modelTopology: topo, weightSpecs: specs, format: m.format,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

async function loadModel(dir, editTopology) {
  return tf.loadLayersModel(dirHandler(dir, editTopology));
}

// K4: the output layer computes logits; softmax is applied by the caller.
function logitsHead(model) {
  const head = model.layers[model.layers.length - 1];
  if (head.getClassName() !== 'Dense' || head.activation.getClassName() !== 'softmax') {
    throw new Error('expected a Dense softmax head, found ' + head.getClassName());
  }
  head.activation = tf.layers.dense({ units: 1 }).activation; // linear
}

// K1 + K2: BatchNormalization forced to tf.keras's semantics. pending collects, per training
// pass, the batch statistics of every BN that ran on them.
function patchBatchNorm(model, pending) {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.call = function (inputs, kwargs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const beta = this.beta.read(), gamma = this.gamma.read();
        if (!(kwargs && kwargs.training) || !this.trainable) { // K1
          return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), beta, gamma,
                              this.epsilon);
        }
        // TF.js's own training path (normalizeBatchInTraining): moments, then batchNorm
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        const y = tf.batchNorm(x, mean, variance, beta, gamma, this.epsilon);
        pending.push({ layer: this, mean: tf.keep(tf.clone(mean)),
                       variance: tf.keep(tf.clone(variance)),
                       rows: x.size / x.shape[x.shape.length - 1] });
        return y;
      });
    };
  }
}

// K2: TensorFlow's FusedBatchNorm CPU kernel with exponential_avg_factor f = 1 - momentum:
// new = (1 - f) * old + f * batch_stat, the variance times m / (m - 1), all in float32.
function applyMovingUpdates(pending) {
  const f32 = Math.fround;
  for (const u of pending) {
    const l = u.layer;
    const f = f32(1 - l.momentum), keep = f32(1 - f);
    const adjust = f32(f32(u.rows) / f32(u.rows > 1 ? u.rows - 1 : 1));
    tf.tidy(() => {
      const mm = l.movingMean.read(), mv = l.movingVariance.read();
      l.movingMean.write(tf.add(tf.mul(keep, mm), tf.mul(f, u.mean)));
      l.movingVariance.write(tf.add(tf.mul(keep, mv), tf.mul(tf.mul(f, u.variance), adjust)));
    });
    u.mean.dispose();
    u.variance.dispose();
  }
  pending.length = 0;
}

// K6: Dropout applies the given masks (name -> tensor broadcastable to the layer output).
function patchDropout(model, masks) {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dropout') continue;
    layer.call = function (inputs, kwargs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const m = masks.get(this.name);
        if (!(kwargs && kwargs.training) || !m) return tf.clone(x);
        return tf.mul(x, m);
      });
    };
  }
}

// K7: AveragePooling2D 'same' as sum over the zero-padded input / count of real elements.
function patchAvgPoolSame(model) {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'AveragePooling2D' || layer.padding !== 'same') continue;
    layer.call = function (inputs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const [, h, w] = x.shape, [ph, pw] = this.poolSize, [sh, sw] = this.strides;
        const pads = (n, k, st) => { // TensorFlow's 'same': the odd one at the end
          const out = Math.ceil(n / st), tot = Math.max((out - 1) * st + k - n, 0);
          return [Math.floor(tot / 2), tot - Math.floor(tot / 2)];
        };
        const p = [[0, 0], pads(h, ph, sh), pads(w, pw, sw), [0, 0]];
        const sum = (v) => tf.mul(tf.avgPool(tf.pad(v, p), [ph, pw], [sh, sw], 'valid'), ph * pw);
        const count = sum(tf.ones([1, h, w, 1]));
        return tf.div(sum(x), count);
      });
    };
  }
}

// K4: mean over the batch of w_i * (logsumexp(z_i) - z_i[y_i]).
function weightedXent(logits, labels, weights) {
  const n = logits.shape[0], k = logits.shape[1];
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), k);
  const per = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(onehot, logits), 1));
  return tf.div(tf.sum(tf.mul(per, tf.tensor1d(weights))), n);
}

// K3: one step of tf.keras's Adam (ResourceApplyAdam) from zero moments, t = 1, in float32.
function kerasAdamStep(variable, grad, lr) {
  const f32 = Math.fround;
  const b1 = f32(0.9), b2 = f32(0.999), eps = f32(1e-7), t = 1;
  const b1p = f32(Math.pow(b1, t)), b2p = f32(Math.pow(b2, t));
  const alpha = f32(f32(f32(lr) * f32(Math.sqrt(f32(1 - b2p)))) / f32(1 - b1p));
  tf.tidy(() => {
    const m = tf.mul(grad, f32(1 - b1));               // m += (g - m) (1 - b1), m = 0
    const v = tf.mul(tf.square(grad), f32(1 - b2));     // v += (g^2 - v) (1 - b2), v = 0
    variable.assign(tf.sub(variable, tf.div(tf.mul(m, alpha), tf.add(tf.sqrt(v), eps))));
  });
}

// TF.js's own AdamOptimizer on a copy, for the README's measure of difference K3.
function tfjsAdamStep(variable, grad, lr) {
  const copy = tf.variable(variable.clone());
  const opt = tf.train.adam(lr, 0.9, 0.999, 1e-7);
  opt.applyGradients([{ name: copy.name, tensor: grad }]);
  const out = copy.dataSync().slice();
  opt.dispose();
  copy.dispose();
  return out;
}

// S1: TF.js 4.22's conv2DBackpropFilter (tfjs-backend-cpu), loop for loop, on flat indices.
function conv2DBackpropFilterFlat(args) {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const fmt = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (fmt !== 'channelsLast') throw new Error('conv2DBackpropFilterFlat: channels-last only');
  const ci = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad,
                                                dimRoundingMode, false, fmt);
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const top = ci.padInfo.top, left = ci.padInfo.left;
  const inH = ci.inHeight, inW = ci.inWidth, inC = ci.inChannels;
  const outH = ci.outHeight, outW = ci.outWidth, outC = ci.outChannels, nb = ci.batchSize;
  const xv = backend.data.get(x.dataId).values, dyv = backend.data.get(dy.dataId).values;
  const dw = new Float32Array(fh * fw * inC * outC);
  for (let wR = 0; wR < fh; ++wR) {
    const yRMin = Math.max(0, Math.ceil((top - wR) / sh));
    const yRMax = Math.min(outH, (inH + top - wR) / sh);
    for (let wC = 0; wC < fw; ++wC) {
      const yCMin = Math.max(0, Math.ceil((left - wC) / sw));
      const yCMax = Math.min(outW, (inW + left - wC) / sw);
      for (let d1 = 0; d1 < inC; ++d1) {
        for (let d2 = 0; d2 < outC; ++d2) {
          let dot = 0;
          for (let b = 0; b < nb; ++b) {
            for (let yR = yRMin; yR < yRMax; ++yR) {
              const xR = wR + yR * sh - top;
              const xRow = (b * inH + xR) * inW, yRow = (b * outH + yR) * outW;
              for (let yC = yCMin; yC < yCMax; ++yC) {
                const xC = wC + yC * sw - left;
                dot += xv[(xRow + xC) * inC + d1] * dyv[(yRow + yC) * outC + d2];
              }
            }
          }
          dw[((wR * fw + wC) * inC + d1) * outC + d2] = dot;
        }
      }
    }
  }
  return backend.makeTensorInfo(ci.filterShape, 'float32', dw);
}

// S2: TF.js 4.22's conv2D (tfjs-backend-cpu), loop for loop and in the same order of
// accumulation into the float32 output, with the loop bounds and strides in locals.
function conv2DFlat(args) {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const fmt = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (fmt !== 'channelsLast') throw new Error('conv2DFlat: channels-last only');
  const ci = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, strides, dilations, pad,
                                                dimRoundingMode, false, fmt);
  const fh = ci.filterHeight, fw = ci.filterWidth, dh = ci.dilationHeight, dw = ci.dilationWidth;
  const left = ci.padInfo.left, top = ci.padInfo.top, sh = ci.strideHeight, sw = ci.strideWidth;
  const inH = ci.inHeight, inW = ci.inWidth, inC = ci.inChannels, outC = ci.outChannels;
  const outH = ci.outHeight, outW = ci.outWidth, nb = ci.batchSize;
  const xv = backend.data.get(x.dataId).values, wv = backend.data.get(filter.dataId).values;
  const yv = new Float32Array(nb * outH * outW * outC);
  const wRowStride = fw * inC * outC;
  for (let b = 0; b < nb; ++b) {
    for (let yR = 0; yR < outH; ++yR) {
      const yOff2 = ((b * outH) + yR) * outW * outC;
      const xRCorner = yR * sh - top;
      for (let wR = 0; wR < fh; ++wR) {
        const xR = xRCorner + wR * dh;
        if (xR < 0 || xR >= inH) continue;
        const xOff2 = ((b * inH) + xR) * inW * inC;
        for (let yC = 0; yC < outW; ++yC) {
          const yOff3 = yOff2 + yC * outC;
          const xCCorner = yC * sw - left;
          for (let wC = 0; wC < fw; ++wC) {
            const xC = xCCorner + wC * dw;
            if (xC < 0 || xC >= inW) continue;
            let wOff3 = wR * wRowStride + wC * inC * outC;
            const xOff3 = xOff2 + xC * inC;
            for (let d1 = 0; d1 < inC; ++d1) {
              const xVal = xv[xOff3 + d1];
              for (let d2 = 0; d2 < outC; ++d2) yv[yOff3 + d2] += xVal * wv[wOff3 + d2];
              wOff3 += outC;
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(ci.outShape, 'float32', yv);
}

// S1, S2: each replacement and TF.js's own kernel on a few strided/padded cases must agree bit
// for bit; then the replacement is installed. Returns the number of cases checked.
function installFastKernels() {
  const cases = [
    [[2, 9, 7, 3], [3, 3, 3, 4], 2, 'same'], [[1, 8, 8, 5], [1, 1, 5, 6], 1, 'valid'],
    [[2, 11, 11, 2], [5, 5, 2, 3], 2, 'valid'], [[3, 6, 5, 4], [3, 3, 4, 2], 1, 'same'],
  ];
  const origFwd = tf.getKernel('Conv2D', 'cpu');
  for (const [xs, fs, st, pad] of cases) {
    const x = tf.randomNormal(xs, 0, 1, 'float32', 3), w = tf.randomNormal(fs, 0, 1, 'float32', 4);
    const backend = tf.backend();
    const args = { inputs: { x, filter: w }, backend,
                   attrs: { strides: [st, st], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined } };
    const a = origFwd.kernelFunc(args), b = conv2DFlat(args);
    const va = backend.data.get(a.dataId).values, vb = backend.data.get(b.dataId).values;
    for (let i = 0; i < va.length; i++) {
      if (!Object.is(va[i], vb[i])) throw new Error(`S2: flat Conv2D differs from TF.js's at ${xs}/${fs}/${st}/${pad} [${i}]`);
    }
    backend.disposeData(a.dataId);
    backend.disposeData(b.dataId);
    tf.dispose([x, w]);
  }
  tf.unregisterKernel('Conv2D', 'cpu');
  tf.registerKernel({ kernelName: 'Conv2D', backendName: 'cpu', kernelFunc: conv2DFlat });
  return cases.length + installConv2DBackpropFilter(cases);
}

function installConv2DBackpropFilter(cases) {
  const orig = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  for (const [xs, fs, st, pad] of cases) {
    const x = tf.randomNormal(xs, 0, 1, 'float32', 7);
    const y = tf.conv2d(x, tf.randomNormal(fs, 0, 1, 'float32', 8), st, pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 9);
    const backend = tf.backend();
    const args = { inputs: { x, dy }, backend,
                   attrs: { strides: [st, st], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: fs } };
    const a = orig.kernelFunc(args), b = conv2DBackpropFilterFlat(args);
    const va = backend.data.get(a.dataId).values, vb = backend.data.get(b.dataId).values;
    for (let i = 0; i < va.length; i++) {
      if (Object.is(va[i], vb[i])) continue;
      throw new Error(`S1: flat Conv2DBackpropFilter differs from TF.js's at ${xs}/${fs}/${st}/${pad} [${i}]`);
    }
    backend.disposeData(a.dataId);
    backend.disposeData(b.dataId);
    tf.dispose([x, y, dy]);
  }
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: conv2DBackpropFilterFlat });
  return cases.length;
}

module.exports = {
  installFastKernels, patchAvgPoolSame,
  tf, loadModel, logitsHead, patchBatchNorm, applyMovingUpdates, patchDropout, weightedXent,
  kerasAdamStep, tfjsAdamStep,
};
