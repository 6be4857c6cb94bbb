// rules_test.js: checks rules.js (README "Keras conformance", rules Z and A). Rule Z's graph
// analysis is held to TF.js's own gradients on a small model: every tensor it calls
// analytically zero must come out as rounding noise, every other bias and beta clearly not.
// Rule A's patch must make each ReLU, fused relu and MaxPooling2D decide from the values it is
// given (closed forms, TF.js's own kernels on those values) and change nothing when the values
// are TF.js's own. Exit 0 only when every check passes.
'use strict';
const K = require('./tfjs_keras.js');
const R = require('./rules.js');
const tf = K.tf;

let failed = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
}

// Each bias/beta and whether its gradient is analytically zero (comment: why). A layer's own
// padding does not matter (its bias is added after the window); a later 'same' window does.
// absEps: the epsilon of g_abs, the BN that divides g_bn's scale out.
function buildModel(absEps = 1e-3) {
  const L = tf.layers;
  const x = tf.input({ shape: [8, 8, 3] });
  const a = L.conv2d({ filters: 4, kernelSize: 1, name: 'a' }).apply(x);          // 1x1 -> BN: zero
  const abn = L.batchNormalization({ name: 'a_bn' }).apply(a);                    // -> relu: not
  const ar = L.activation({ activation: 'relu', name: 'ar' }).apply(abn);
  const p = L.conv2d({ filters: 4, kernelSize: 1, name: 'p' }).apply(ar);         // -> 'same' 3x3: not
  const b = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' }).apply(p); // -> BN: zero
  const bbn = L.batchNormalization({ name: 'b_bn' }).apply(b);                    // -> c (valid), pool, BN: zero
  const c = L.conv2d({ filters: 4, kernelSize: 3, padding: 'valid', name: 'c' }).apply(bbn); // zero
  const cp = L.maxPooling2d({ poolSize: 2, padding: 'same', name: 'c_pool' }).apply(c);
  const cbn = L.batchNormalization({ name: 'c_bn' }).apply(cp);                   // -> frozen BN -> add -> BN: zero
  const cf = L.batchNormalization({ name: 'c_frozen' }).apply(cbn);
  const d = L.conv2d({ filters: 4, kernelSize: 3, strides: 2, name: 'd' }).apply(ar); // -> mask: not
  const dd = L.batchNormalization({ name: 'd_bn' }).apply(L.dropout({ rate: 0.5, name: 'd_drop' }).apply(d));
  const e = L.dense({ units: 4, name: 'e' }).apply(cp);                           // -> add -> BN: zero
  const s = L.add({ name: 's' }).apply([cf, e]);
  const sbn = L.batchNormalization({ name: 's_bn' }).apply(s);                    // -> GAP -> head: not
  // scale: beta 0 -> relu -> padding -> pool -> BN divides a factor out: gamma zero but for epsilon
  const gbn = L.batchNormalization({ name: 'g_bn' }).apply(p);
  const gr = L.activation({ activation: 'relu', name: 'g_relu' }).apply(gbn);
  const gp = L.maxPooling2d({ poolSize: 3, strides: 3, name: 'g_pool' }).apply(L.zeroPadding2d({ padding: 1, name: 'g_pad' }).apply(gr));
  const gabs = L.batchNormalization({ name: 'g_abs', epsilon: absEps }).apply(gp);
  const t = L.concatenate({ name: 't' }).apply([sbn, dd, gabs]);
  const g = L.globalAveragePooling2d({ name: 'gap' }).apply(t);
  const y = L.dense({ units: 3, name: 'head' }).apply(g);                         // head: not
  const model = tf.model({ inputs: x, outputs: y });
  model.getLayer('c_frozen').trainable = false;
  seedKernels(model);
  return model;
}

// Glorot-uniform kernels from fixed seeds: the layers' own initialisers are unseeded, and with
// one draw the control below (a_bn/gamma, whose gradient also flows through g_abs) moved by 11 %
// and failed the test, so every run now checks the same model.
function seedKernels(model) {
  let seed = 11;
  for (const w of model.weights) {
    if (!w.originalName.endsWith('/kernel')) continue;
    const sh = w.shape, recept = sh.length === 4 ? sh[0] * sh[1] : 1;
    const lim = Math.sqrt(6 / (recept * (sh[sh.length - 2] + sh[sh.length - 1])));
    w.write(tf.randomUniform(sh, -lim, lim, 'float32', seed++));
  }
}
const EXPECT_ZERO = ['a/bias', 'b/bias', 'c/bias', 'b_bn/beta', 'c_bn/beta', 'e/bias'];
const EXPECT_NONZERO = ['a_bn/beta', 'p/bias', 'd/bias', 'd_bn/beta', 's_bn/beta', 'head/bias'];
const EXPECT_SCALE = ['g_bn/gamma'];

function checkZ() {
  const model = buildModel();
  const masks = new Map([['d_drop', tf.tensor([1, 0, 2, 2], [4, 1, 1, 1])]]);
  K.patchBatchNorm(model, []);
  K.patchDropout(model, masks);
  const zero = R.zeroGradTensors(model, masks);
  const names = model.trainableWeights.map((w) => w.originalName);
  for (const nm of EXPECT_ZERO) check(zero.get(nm) === 'shift', `Z: ${nm} is analytically zero (shift)`);
  for (const nm of EXPECT_SCALE) check(zero.get(nm) === 'scale', `Z: ${nm} is zero but for epsilon (scale)`);
  for (const nm of EXPECT_NONZERO) check(names.includes(nm) && !zero.has(nm), `Z: ${nm} is not`);
  const nz = EXPECT_ZERO.length + EXPECT_SCALE.length;
  check(zero.size === nz, `Z: ${zero.size} zero tensors, expected ${nz}`);
  // TF.js's gradients: the zero ones are rounding noise, the others are not
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1);
  const vars = model.trainableWeights.map((w) => w.read());
  const { grads } = tf.variableGrads(() => K.weightedXent(model.apply(x, { training: true }), [0, 1, 2, 1], [1, 2, 1, 1]), vars);
  let whole = 0;
  const g = new Map();
  for (const w of model.trainableWeights) { const v = grads[w.read().name].dataSync(); g.set(w.originalName, v); whole += R.l2(v) ** 2; }
  whole = Math.sqrt(whole);
  for (const nm of EXPECT_ZERO) {
    const zn = R.zeroNoise(g.get(nm), g.get(nm), whole);
    check(zn.ratio < 1e-5, `TF.js: ||grad ${nm}|| = ${zn.ratio.toExponential(2)} of the whole gradient (noise)`);
  }
  for (const nm of EXPECT_NONZERO) {
    const r = R.l2(g.get(nm)) / whole;
    check(r > 1e-3, `TF.js: ||grad ${nm}|| = ${r.toExponential(2)} of the whole gradient (not noise)`);
    check(!R.zeroNoise(g.get(nm), g.get(nm), whole).pass, `Z's numbers refuse ${nm}`);
  }
  // scale: g_bn/gamma's gradient is the epsilon term: proportional to g_abs's epsilon
  const small = buildModel(1e-5);
  small.setWeights(model.getWeights());
  K.patchBatchNorm(small, []);
  K.patchDropout(small, masks);
  const gs = tf.variableGrads(() => K.weightedXent(small.apply(x, { training: true }), [0, 1, 2, 1], [1, 2, 1, 1]),
    small.trainableWeights.map((w) => w.read())).grads;
  const gsn = (nm) => R.l2(gs[small.trainableWeights.find((w) => w.originalName === nm).read().name].dataSync());
  const ratio = R.l2(g.get('g_bn/gamma')) / gsn('g_bn/gamma'), other = R.l2(g.get('a_bn/gamma')) / gsn('a_bn/gamma');
  check(ratio > 50 && ratio < 200 && Math.abs(other - 1) < 0.05,
    `TF.js: ||grad g_bn/gamma|| shrinks with g_abs's epsilon (1e-3 vs 1e-5: ${ratio.toFixed(1)} times; a_bn/gamma ${other.toFixed(3)})`);
  // a per-sample mask breaks the constant; the same factor for every sample keeps it
  masks.set('d_drop', tf.tensor([1.25, 1.25, 1.25, 1.25], [4, 1, 1, 1]));
  check(R.zeroGradTensors(model, masks).has('d/bias'), 'Z: d/bias is zero when its Dropout keeps every sample (same factor)');
  masks.delete('d_drop');
  check(R.zeroGradTensors(model, masks).has('d/bias'), 'Z: d/bias is zero once its Dropout applies no mask');
}

// Rule A at the op level, against closed forms and TF.js's own kernels: the derivative of a
// ReLU6 layer, of a Conv2D with a fused relu and the routing of MaxPooling2D ('same' and
// 'valid') follow skytune's values (given here: TF.js's own with some decisions moved across
// the threshold, and an exact tie), and the log counts exactly the moved decisions.
function checkA() {
  const L = tf.layers;
  const dec = new Map(), log = [];
  const sum = (m, w) => (v) => tf.sum(tf.mul(m.apply(v, { training: true }), w));
  const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  { // ReLU6 layer: dx = w * [0 < sky < 6]
    const x = tf.mul(tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 5), 4);
    const inp = tf.input({ shape: [3, 3, 4] }), m = tf.model({ inputs: inp, outputs: L.reLU({ maxValue: 6, name: 'r6' }).apply(inp) });
    const patch = R.patchDecisions(tf, m, dec, log);
    const w = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 6);
    const xs = x.dataSync().slice(), sky = xs.slice();
    let moved = 0;
    for (let i = 0; i < sky.length; i += 7) { sky[i] = sky[i] > 3 ? 12 - sky[i] : -sky[i]; moved += (sky[i] > 0 && sky[i] < 6) !== (xs[i] > 0 && xs[i] < 6); }
    dec.set('r6', { data: sky, shape: x.shape });
    const dx = tf.grad(sum(m, w))(x).dataSync();
    const want = w.dataSync().map((v, i) => (sky[i] > 0 && sky[i] < 6 ? v : 0));
    check(same(dx, want), `A: ReLU6's gradient follows skytune's values (${moved} of ${xs.length} decisions moved)`);
    check(log.length === 1 && log[0].changed === moved, `A: the log counts them (${log.length ? log[0].changed : 'no entry'})`);
    dec.clear(); log.length = 0; patch.release();
    const own = tf.grad(sum(m, w))(x).dataSync();
    check(same(own, w.dataSync().map((v, i) => (xs[i] > 0 && xs[i] <= 6 ? v : 0))) && log.length === 0, 'A: without values the layer is TF.js\'s own');
  }
  { // Conv2D with a fused relu: the kernel's gradient is that of w * [sky > 0] * (conv + bias)
    const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 7);
    const inp = tf.input({ shape: [5, 5, 3] });
    const conv = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'cr' });
    const m = tf.model({ inputs: inp, outputs: conv.apply(inp) });
    const patch = R.patchDecisions(tf, m, dec, log);
    const [kern, bias] = conv.getWeights();
    const pre = tf.add(tf.conv2d(x, kern, 1, 'same'), bias), w = tf.randomNormal(pre.shape, 0, 1, 'float32', 8);
    const sky = pre.dataSync().map((v, i) => (i % 5 === 0 ? -v : v));
    dec.set('cr', { data: sky, shape: pre.shape });
    const { grads } = tf.variableGrads(sum(m, w).bind(null, x), [conv.kernel.read()]);
    const got = grads[conv.kernel.read().name].dataSync();
    const mask = tf.tensor(sky.map((v) => (v > 0 ? 1 : 0)), pre.shape);
    const want = tf.grad((k) => tf.sum(tf.mul(tf.mul(tf.add(tf.conv2d(x, k, 1, 'same'), bias), mask), w)))(kern).dataSync();
    check(R.normErr(got, want) < 1e-6, `A: a fused relu's kernel gradient follows skytune's values (${R.normErr(got, want).toExponential(1)})`);
    dec.clear(); log.length = 0; patch.release();
  }
  for (const [pool, ps, st] of [['same', 3, 2], ['valid', 2, 2]]) { // routing = TF.js's own on sky's values
    const x = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 9);
    const inp = tf.input({ shape: [7, 7, 3] });
    const m = tf.model({ inputs: inp, outputs: L.maxPooling2d({ poolSize: ps, strides: st, padding: pool, name: 'mp' }).apply(inp) });
    const patch = R.patchDecisions(tf, m, dec, log);
    const w = tf.randomNormal(m.outputs[0].shape.map((d) => d || 2), 0, 1, 'float32', 10);
    const sky = x.dataSync().slice();
    for (let i = 0; i < sky.length; i += 11) sky[i] += 0.8; // some windows change their maximum
    sky[3 * 7 * 3 + 3 * 3] = sky[3 * 7 * 3 + 4 * 3] = 5; // an exact tie: the first one wins
    dec.set('mp', { data: sky, shape: x.shape });
    const dx = tf.grad(sum(m, w))(x).dataSync();
    const want = tf.grad((v) => tf.sum(tf.mul(tf.maxPool(v, ps, st, pool), w)))(tf.tensor(sky, x.shape)).dataSync();
    // (an element that is the maximum of several windows sums their gradients in another order)
    const e = R.normErr(dx, want);
    check(e < 1e-7 && dx.every((v, i) => (v === 0) === (want[i] === 0)), `A: MaxPooling2D '${pool}' routes to skytune's maxima (${log[0].changed} of ${log[0].decisions} windows moved; ${e.toExponential(1)})`);
    check(log[0].changed > 0, 'A: and the log counts them');
    dec.clear(); log.length = 0; patch.release();
  }
}

// Rule A at the model level: with decisions from TF.js's own forward values it changes nothing.
function checkAIdentity() {
  const model = buildModel();
  const masks = new Map([['d_drop', tf.tensor([1, 0, 2, 2], [4, 1, 1, 1])]]);
  K.patchBatchNorm(model, []);
  K.patchDropout(model, masks);
  const dec = new Map(), log = [];
  const patch = R.patchDecisions(tf, model, dec, log);
  check([...patch.layers].sort().join() === 'ar,c_pool,g_pool,g_relu', `A: patches the relus and the poolings (${[...patch.layers]})`);
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1);
  const vars = model.trainableWeights.map((w) => w.read());
  const grads = () => {
    const { grads: g } = tf.variableGrads(() => K.weightedXent(model.apply(x, { training: true }), [0, 1, 2, 1], [1, 2, 1, 1]), vars);
    return model.trainableWeights.map((w) => g[w.read().name].dataSync());
  };
  const own = grads();
  const from = { ar: 'a_bn', c_pool: 'c', g_relu: 'g_bn', g_pool: 'g_pad' }; // the values each decides on
  const sub = tf.model({ inputs: model.inputs, outputs: Object.values(from).map((n) => model.getLayer(n).output) });
  sub.apply(x, { training: true }).forEach((v, i) => dec.set(Object.keys(from)[i], { data: v.dataSync(), shape: v.shape }));
  const aligned = grads();
  const worst = Math.max(...own.map((g, i) => R.normErr(g, aligned[i])));
  check(worst === 0 && log.every((d) => d.changed === 0) && log.length === 4, `A: TF.js's own decisions give TF.js's own gradients (worst ${worst})`);
  patch.release();
}

(async () => {
  await tf.setBackend('cpu');
  checkZ();
  checkA();
  checkAIdentity();
  console.log(failed ? `${failed} check(s) FAILED` : 'rules: all checks passed');
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
