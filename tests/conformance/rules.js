// rules.js: how harness.js judges a gradient tensor whose error exceeds the 1e-4
// (README "Keras conformance", rules Z and A). Rule Z is a pure function of the model topology
// and of gradient vectors; rule A patches the TF.js model; rules_test.js checks both.
//
// Z (analytically zero): the tensor is a per-channel additive parameter (a bias, or the beta of
// a BatchNormalization in training mode) and every path from its layer's output to the loss
// carries that shift as a constant per channel (the same for every sample and position) into a
// BatchNormalization on batch statistics, which subtracts it again: its exact gradient is 0 and
// both implementations return rounding noise. Or (kind 'scale') the tensor is the gamma of a
// BatchNormalization in training mode whose beta is 0 everywhere (as initialised) and every path
// from its output to the loss carries a positive per-channel factor (ReLU, pooling, padding,
// Dropout, channel concatenation, bias-free depthwise convolution) into a BatchNormalization on
// batch statistics, which divides it out again but for its epsilon: its exact gradient is the
// epsilon term alone, the small remainder of sums that cancel, and float32 on either side
// computes it only to a few percent. Decided from the graph (and beta's values) alone
// (zeroGradTensors), and the numbers must agree: both sides' norms within ZERO_NOISE of the
// whole gradient's.
// A (aligned decisions): the backward of a ReLU, a ReLU6 and a MaxPooling2D takes a discrete
// decision from a forward value (x > 0, 0 < x < 6, the first maximum of a window). Where the two
// forwards agree to float32 rounding but straddle such a threshold, the two gradients follow
// different branches of a piecewise function. TF.js runs once more with every such decision
// taken, by tf.keras's rule, from skytune's forward values (conf_driver writes them) instead of
// its own; its forward values, and everything continuous, stay its own. The tensor passes when
// skytune's gradient is within the 1e-4 of that run. Every decision that changed is
// counted and reported with its distance from the threshold (patchDecisions' log).
'use strict';

const ZERO_NOISE = 1e-4; // Z: ||sky||, ||tfjs|| <= ZERO_NOISE * ||whole gradient (TF.js)||

function normErr(a, b) {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; na += a[i] ** 2; nb += b[i] ** 2; }
  const den = Math.sqrt(na) + Math.sqrt(nb);
  return den > 0 ? Math.sqrt(d) / den : 0;
}
function l2(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * a[i]; return Math.sqrt(s); }

const lastAxis = (axis, rank) => axis === -1 || axis === rank - 1 || (Array.isArray(axis) && axis.length === 1 && lastAxis(axis[0], rank));

// A Dropout mask (tensor of shape [n,1,1,1] or the layer's output shape) that multiplies each
// channel by one constant, the same for every sample and position.
function constantPerChannel(mask) {
  const v = mask.dataSync(), c = mask.shape[mask.shape.length - 1];
  for (let i = c; i < v.length; i++) if (v[i] !== v[i % c]) return false;
  return true;
}

// What `layer` does to an input shifted by a per-channel constant: 'absorb' (a BN on batch
// statistics removes it), 'pass' (its output is shifted by a per-channel constant too) or
// 'break' (anything else: non-linear, zero padding, masks, spatial mixing at borders).
function shiftKind(layer, masks) {
  const cls = layer.getClassName(), cfg = layer.getConfig(); // TF.js's camelCase config
  const linear = !cfg.activation || cfg.activation === 'linear';
  switch (cls) {
    case 'BatchNormalization':
      if (!lastAxis(cfg.axis, layer.input.shape.length)) return 'break';
      return layer.trainable ? 'absorb' : 'pass'; // K1: trainable = batch statistics in training
    case 'Conv2D': case 'DepthwiseConv2D': case 'SeparableConv2D': {
      // 'valid' windows, or 1x1 ones (no padding), see the whole shift at every output position
      const k = [].concat(cfg.kernelSize);
      return linear && (cfg.padding === 'valid' || k.every((v) => v === 1)) ? 'pass' : 'break';
    }
    case 'Dense': return linear ? 'pass' : 'break';
    case 'Activation': return linear ? 'pass' : 'break';
    case 'Add': case 'MaxPooling2D': case 'AveragePooling2D': // average over real elements (K7)
    case 'GlobalAveragePooling2D': case 'GlobalMaxPooling2D': case 'Rescaling': case 'Normalization':
      return 'pass';
    case 'Concatenate': return lastAxis(cfg.axis, layer.output.shape.length) ? 'pass' : 'break';
    case 'Dropout': { // a mask that differs between samples (or positions) breaks the constant
      const m = masks.get(layer.name);
      return !m || constantPerChannel(m) ? 'pass' : 'break';
    }
    default: return 'break';
  }
}

// What `layer` does to an input multiplied by a positive per-channel factor: 'absorb' (a BN on
// batch statistics divides it out, but for its epsilon), 'pass' (its output is multiplied by a
// positive per-channel factor too) or 'break'.
function scaleKind(layer) {
  const cls = layer.getClassName(), cfg = layer.getConfig();
  const act = !cfg.activation || cfg.activation === 'linear' || cfg.activation === 'relu'; // positively homogeneous
  switch (cls) {
    case 'BatchNormalization':
      return lastAxis(cfg.axis, layer.input.shape.length) && layer.trainable ? 'absorb' : 'break';
    case 'Activation': return act ? 'pass' : 'break';
    case 'ReLU': return layer.maxValue == null ? 'pass' : 'break';
    case 'DepthwiseConv2D': return act && !cfg.useBias ? 'pass' : 'break'; // one input channel each
    case 'MaxPooling2D': case 'AveragePooling2D': case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': case 'ZeroPadding2D': case 'Cropping2D': case 'Dropout':
      return 'pass';
    case 'Concatenate': return lastAxis(cfg.axis, layer.output.shape.length) ? 'pass' : 'break';
    default: return 'break';
  }
}

// The originalName of every trainable tensor of `model` (at its current trainable flags and
// weights) whose gradient is zero by rule Z, mapped to its kind ('shift' or 'scale'). masks: the
// Dropout masks applied (layer name -> tensor).
function zeroGradTensors(model, masks) {
  const inModel = new Set(model.layers), outputs = new Set(model.outputLayers);
  // true if a change of `layer`'s output of this kind can reach the loss
  const reacher = (kindOf) => {
    const memo = new Map();
    const reaches = (layer) => {
      if (memo.has(layer)) return memo.get(layer);
      memo.set(layer, true); // (a cycle cannot occur in a functional model)
      let r = outputs.has(layer);
      for (const node of layer.outboundNodes) {
        const c = node.outboundLayer;
        if (r || !inModel.has(c)) continue;
        const kind = kindOf(c);
        r = kind === 'break' || (kind === 'pass' && reaches(c));
      }
      memo.set(layer, r);
      return r;
    };
    return reaches;
  };
  const shiftReaches = reacher((l) => shiftKind(l, masks)), scaleReaches = reacher(scaleKind);
  const zero = new Map();
  const add = (layer, param, kind) => {
    for (const w of layer.trainableWeights) if (w.originalName.endsWith('/' + param)) zero.set(w.originalName, kind);
  };
  for (const layer of model.layers) {
    if (!layer.trainable) continue;
    const cls = layer.getClassName(), cfg = layer.getConfig();
    if (cls === 'BatchNormalization') {
      if (!lastAxis(cfg.axis, layer.input.shape.length)) continue;
      if (!shiftReaches(layer)) add(layer, 'beta', 'shift');
      const beta = layer.beta ? layer.beta.read().dataSync() : null;
      if (layer.gamma && beta && beta.every((v) => v === 0) && !scaleReaches(layer)) add(layer, 'gamma', 'scale');
    } else if (['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense'].includes(cls) &&
               (!cfg.activation || cfg.activation === 'linear') && !shiftReaches(layer)) {
      add(layer, 'bias', 'shift');
    }
  }
  return zero;
}

// Z's numbers: both sides at rounding-noise level against the whole gradient's norm.
function zeroNoise(sky, tfjs, wholeNorm) {
  const worst = Math.max(l2(sky), l2(tfjs)) / wholeNorm;
  return { ratio: worst, pass: worst <= ZERO_NOISE };
}

// ---- rule A ----

// Per channel (last axis) standard deviation of v, for reporting distances in channel units.
function channelStd(v, c) {
  const n = v.length / c, m = new Float64Array(c), s = new Float64Array(c);
  for (let i = 0; i < v.length; i++) m[i % c] += v[i] / n;
  for (let i = 0; i < v.length; i++) s[i % c] += (v[i] - m[i % c]) ** 2 / n;
  return s.map(Math.sqrt);
}

// The ReLU kind of a layer's activation: 'relu', 'relu6' or null.
function reluKind(layer) {
  const cls = layer.getClassName();
  if (cls === 'ReLU') {
    const mv = layer.maxValue, ok = !layer.negativeSlope && !layer.threshold;
    return ok && mv == null ? 'relu' : ok && mv === 6 ? 'relu6' : null;
  }
  const a = layer.activation && layer.activation.getClassName ? layer.activation.getClassName().toLowerCase() : '';
  return a === 'relu' || a === 'relu6' ? a : null;
}

// tf.keras's derivative of relu / relu6 at x (TensorFlow's ReluGrad, Relu6Grad: 0 < x < 6).
const passes = (kind, x) => x > 0 && (kind === 'relu' || x < 6);

// The decision values of a ReLU layer: 0/1 mask from skytune's pre-activation, and the log entry
// comparing it with TF.js's own pre-activation x.
function reluDecisions(tf, kind, skyPre, x, name) {
  const xv = x.dataSync(), c = x.shape[x.shape.length - 1];
  const mask = new Float32Array(xv.length);
  const entry = { layer: name, kind, decisions: xv.length, changed: 0, margin: 0, gap: 0 };
  let sd = null;
  for (let i = 0; i < xv.length; i++) {
    mask[i] = passes(kind, skyPre[i]) ? 1 : 0;
    if (mask[i] === (passes(kind, xv[i]) ? 1 : 0)) continue;
    sd = sd || channelStd(xv, c);
    const s = sd[i % c] || 1, kink = kind === 'relu6' && xv[i] > 3 ? 6 : 0;
    entry.changed++;
    entry.margin = Math.max(entry.margin, Math.abs(xv[i] - kink) / s);
    entry.gap = Math.max(entry.gap, Math.abs(xv[i] - skyPre[i]) / s);
  }
  return { mask: tf.tensor(mask, x.shape), entry };
}

// Window geometry of a TF.js pooling layer on input shape [n, h, w, c]: for each output
// position, the clipped input rows and columns ('same': TensorFlow's padding, the odd one at the
// end; padded positions never win a maximum).
function poolWindows(layer, shape) {
  const [, h, w] = shape, [ph, pw] = layer.poolSize, [sh, sw] = layer.strides;
  const dim = (n, k, st) => {
    const same = layer.padding === 'same', out = same ? Math.ceil(n / st) : Math.floor((n - k) / st) + 1;
    const before = same ? Math.floor(Math.max((out - 1) * st + k - n, 0) / 2) : 0;
    return Array.from({ length: out }, (_, o) => [Math.max(o * st - before, 0), Math.min(o * st - before + k, n)]);
  };
  return { rows: dim(h, ph, sh), cols: dim(w, pw, sw) };
}

// First maximum (row-major, TensorFlow's and skytune's tie rule) of every window of v: flat
// input indices in output order [n, oh, ow, c].
function poolArgmax(v, shape, win) {
  const [n, h, w, c] = shape, out = new Int32Array(n * win.rows.length * win.cols.length * c);
  let o = 0;
  for (let b = 0; b < n; b++) for (const [y0, y1] of win.rows) for (const [x0, x1] of win.cols) for (let ch = 0; ch < c; ch++) {
    let best = -1, bv = -Infinity;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      const i = ((b * h + y) * w + x) * c + ch;
      if (best < 0 || v[i] > bv) { bv = v[i]; best = i; }
    }
    out[o++] = best;
  }
  return out;
}

// The gradient of a MaxPooling2D routed to skytune's maxima, and the log entry.
function poolDecisions(layer, skyIn, x, name) {
  const xv = x.dataSync(), c = x.shape[3], win = poolWindows(layer, x.shape);
  const sky = poolArgmax(skyIn, x.shape, win), own = poolArgmax(xv, x.shape, win);
  const entry = { layer: name, kind: 'maxpool', decisions: sky.length, changed: 0, margin: 0, gap: 0 };
  let sd = null;
  for (let o = 0; o < sky.length; o++) {
    if (sky[o] === own[o]) continue;
    sd = sd || channelStd(xv, c);
    const s = sd[sky[o] % c] || 1;
    entry.changed++;
    entry.margin = Math.max(entry.margin, Math.abs(xv[own[o]] - xv[sky[o]]) / s); // TF.js's own gap
    entry.gap = Math.max(entry.gap, Math.abs(skyIn[sky[o]] - xv[sky[o]]) / s, Math.abs(skyIn[own[o]] - xv[own[o]]) / s);
  }
  return { route: sky, entry };
}

// Installs rule A on every ReLU, ReLU6 and MaxPooling2D layer of `model` (activation layers and
// layers with a fused relu). While `current` (layer name -> {data, shape}: skytune's
// pre-activation, or the pooling input) holds a layer, its backward takes the decisions from
// those values and appends an entry to `log`; otherwise the layer is TF.js's own. Returns the
// names of the patched layers and release(), which frees the masks of the passes so far.
function patchDecisions(tf, model, current, log) {
  const patched = new Set(), kept = [];
  const check = (name, sky, x) => {
    if (sky.data.length !== x.size) throw new Error(`rule A: ${name}: skytune's values have ${sky.data.length} elements, TF.js's ${x.size}`);
  };
  for (const layer of model.layers) {
    const name = layer.name, kind = reluKind(layer);
    if (kind) {
      // value and gradient of f(x) (TF.js's own relu/relu6) with the derivative from skytune
      const wrap = (f) => (x) => {
        const sky = current.get(name);
        if (!sky) return f(x);
        check(name, sky, x);
        const { mask, entry } = reluDecisions(tf, kind, sky.data, x, name);
        kept.push(tf.keep(mask)); // used by the backward, after the forward's tidy scopes
        log.push(entry);
        return tf.customGrad((xin) => ({ value: f(xin), gradFunc: (dy) => tf.mul(dy, mask) }))(x);
      };
      if (layer.getClassName() === 'ReLU') {
        const call = layer.call.bind(layer);
        const f = wrap((x) => call(x));
        layer.call = (inputs) => f(Array.isArray(inputs) ? inputs[0] : inputs);
      } else {
        // (TF.js's Conv2D runs a relu inside its fused kernel, chosen by the activation's class
        // name; while aligned, the name maps to no fused kernel and the layer calls apply())
        const act = layer.activation, f = wrap((x) => act.apply(x));
        const cls = () => (current.has(name) ? `${act.getClassName()} (rule A)` : act.getClassName());
        layer.activation = Object.assign(Object.create(act), { apply: f, getClassName: cls });
      }
      patched.add(name);
    } else if (layer.getClassName() === 'MaxPooling2D') {
      const pool = layer.poolingFunction.bind(layer);
      layer.poolingFunction = (x, ...rest) => {
        const sky = current.get(name);
        if (!sky) return pool(x, ...rest);
        check(name, sky, x);
        const { route, entry } = poolDecisions(layer, sky.data, x, name);
        log.push(entry);
        return tf.customGrad((xin) => ({
          value: pool(xin, ...rest),
          gradFunc: (dy) => {
            const g = dy.dataSync(), dx = new Float32Array(x.size);
            for (let o = 0; o < route.length; o++) dx[route[o]] += g[o];
            return tf.tensor(dx, x.shape);
          },
        }))(x);
      };
      patched.add(name);
    }
  }
  return { layers: patched, release: () => tf.dispose(kept.splice(0)) };
}

module.exports = { ZERO_NOISE, normErr, l2, shiftKind, scaleKind, zeroGradTensors, zeroNoise, patchDecisions, poolWindows, poolArgmax };
