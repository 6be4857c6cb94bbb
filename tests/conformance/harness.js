#!/usr/bin/env node
// harness.js: skytune against TF.js layers, an independent implementation of Keras.
// Usage: node harness.js model MODEL_DIR SKY_DIR RESULT.json
//        node harness.js imagenet NPM_MODEL_DIR SKY_DIR RESULT.json
// MODEL_DIR is the export of `skytune arch export` (the weights both sides start from), SKY_DIR
// what conf_driver wrote from that same export. TF.js computes the same quantities with
// tf.keras semantics (tfjs_keras.js) and every check below is compared with the tolerances of
// issue 14; the largest error of each check goes to RESULT.json and to stdout. Exit 0 only when
// every check passes.
'use strict';
const fs = require('fs');
const path = require('path');
const K = require('./tfjs_keras.js');
const R = require('./rules.js');
const tf = K.tf;

const TOL = {
  probs_abs: 1e-5,     // a. inference probabilities, absolute
  logits_rel: 1e-4,    // a. logits, relative (max |a - b| / max |b| over the batch)
  loss_rel: 1e-5,      // b. training-mode loss, relative
  grad_norm: 1e-4,     // c. ||a - b|| / (||a|| + ||b||) per trainable tensor
  step_rel: 1e-6,      // d. after one Adam step, max |a - b| / max |b| per tensor
  imagenet_abs: 1e-4,  // e. ImageNet probabilities, absolute
};

function readSky(dir) {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, 'tensors.bin'));
  const cache = new Map();
  index.get = (name) => {
    if (cache.has(name)) return cache.get(name);
    const t = index.tensors[name];
    if (!t) throw new Error(`${dir}: no tensor ${name}`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const bytes = bin.subarray(t.offset, t.offset + 4 * n);
    const v = { shape: t.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
    cache.set(name, v);
    return v;
  };
  index.has = (name) => name in index.tensors;
  return index;
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
function maxAbs(a) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
function relInf(sky, ref) { const s = maxAbs(ref); return s > 0 ? maxAbsDiff(sky, ref) / s : maxAbsDiff(sky, ref); }
function sameBits(a, b) {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const T0 = Date.now();
function phase(what) { if (process.env.CONF_VERBOSE) console.log(`  [${((Date.now() - T0) / 1000).toFixed(1)} s] ${what}`); }

class Report {
  constructor(name) { this.name = name; this.checks = []; this.failed = 0; this.info = []; }
  // pass: by default value <= tol; a check judged by rules Z and A passes its own verdict
  add(check, level, value, tol, detail, extra, verdict) {
    const pass = verdict !== undefined ? verdict : Number.isFinite(value) && value <= tol;
    if (!pass) this.failed++;
    this.checks.push(Object.assign({ check, level, value, tol, pass, detail: detail || '' }, extra || {}));
    const rule = pass && !(value <= tol) ? ', passed by rules Z/A' : '';
    console.log(`${pass ? 'ok  ' : 'FAIL'} ${this.name} ${check}${level ? ' ' + level : ''}: ${value.toExponential(3)} (tolerance ${tol}${rule})${detail ? '  ' + detail : ''}`);
  }
}

function layerWeights(model) {
  const byName = new Map();
  for (const l of model.layers) for (const w of l.weights) byName.set(w.originalName, { layer: l, w });
  return byName;
}

// c. Every trainable tensor's gradient: within the issue's 1e-4 of TF.js, or passed by rule Z
// (zero analytically, or but for a BN's epsilon, see rules.js, and tiny on both sides) or rule A (within 1e-4 of TF.js run
// with the ReLU/MaxPooling decisions taken from skytune's forward values), else a failure. Then
// the issue's formula on the whole gradient, judged the same way (no Z). aligned() runs rule A's
// pass (at most once) and returns { grads: Map, log: decision entries }.
function judgeGradients(rep, lv, names, skyGrad, tfGrads, aligned, zeroSet) {
  let wholeNorm = 0;
  for (const nm of names) wholeNorm += R.l2(tfGrads.get(nm)) ** 2;
  wholeNorm = Math.sqrt(wholeNorm);
  let run = null;
  const alignedRun = () => (run = run || aligned());
  const errs = [], judged = [];
  let strict = 0, strictName = '';
  const count = { Z: 0, A: 0, over: 0 };
  for (const nm of names) {
    const sg = skyGrad(nm), tg = tfGrads.get(nm), e = R.normErr(sg, tg);
    errs.push([nm, e]);
    if (process.env.CONF_VERBOSE) console.log(`  grad ${lv} ${nm}: err ${e.toExponential(2)} |sky| ${R.l2(sg).toExponential(3)} |tfjs| ${R.l2(tg).toExponential(3)}`);
    if (e <= TOL.grad_norm) { if (e >= strict) { strict = e; strictName = nm; } continue; }
    const j = { name: nm, err: e, zero: zeroSet.get(nm) };
    if (j.zero) {
      const zn = R.zeroNoise(sg, tg, wholeNorm);
      j.noise = zn.ratio;
      if (zn.pass) j.rule = 'Z';
    }
    if (!j.rule) {
      j.aligned = R.normErr(sg, alignedRun().grads.get(nm));
      j.rule = j.aligned <= TOL.grad_norm ? 'A' : 'over';
    }
    count[j.rule]++;
    judged.push(j);
    console.log(`  ${j.rule === 'over' ? 'OVER' : j.rule + '   '} ${lv} ${nm}: err ${e.toExponential(3)}` +
      (j.noise !== undefined ? `; ${j.zero === 'scale' ? 'zero but for the epsilon of a BN' : 'analytically zero'} (${j.zero}), norms ${j.noise.toExponential(2)} of the whole gradient` : '') +
      (j.aligned !== undefined ? `; against TF.js with skytune's decisions ${j.aligned.toExponential(3)}` : ''));
  }
  const worstAll = Math.max(...errs.map(([, e]) => e));
  // the issue's formula on the whole gradient (every trainable tensor as one vector)
  const cat = (get) => {
    const parts = names.map(get), out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const skyAll = cat(skyGrad), whole = R.normErr(skyAll, cat((nm) => tfGrads.get(nm)));
  const wholeAligned = whole > TOL.grad_norm ? R.normErr(skyAll, cat((nm) => alignedRun().grads.get(nm))) : undefined;
  // the decisions rule A changed (none when it did not run)
  const log = run ? run.log.filter((d) => d.changed) : [];
  const changed = log.reduce((a, d) => a + d.changed, 0);
  const decisions = run ? run.log.reduce((a, d) => a + d.decisions, 0) : 0;
  const margin = log.reduce((a, d) => Math.max(a, d.margin), 0), gap = log.reduce((a, d) => Math.max(a, d.gap), 0);
  const wa = judged.filter((x) => x.rule === 'A').reduce((a, x) => Math.max(a, x.aligned), 0);
  const aText = run ? `; A ${count.A} (worst ${wa.toExponential(2)} against TF.js with skytune's decisions: ${changed} of ${decisions} ` +
    `decisions changed, in ${log.map((d) => `${d.layer} ${d.changed}`).join(', ') || 'no layer'}; TF.js within ${margin.toExponential(2)} ` +
    `channel std of the threshold there, skytune ${gap.toExponential(2)} from TF.js)` : '';
  rep.add('c.grad_norm', lv, worstAll, TOL.grad_norm,
    `${names.length} tensors: ${names.length - judged.length} within ${TOL.grad_norm} (worst ${strictName})` +
    (count.Z ? `; Z ${count.Z}${judged.some((x) => x.rule === 'Z' && x.zero === 'scale') ? ` (scale ${judged.filter((x) => x.rule === 'Z' && x.zero === 'scale').length})` : ''}` : '') + aText + (count.over ? `; ${count.over} OVER` : ''),
    { tensors: names.length, z: count.Z, a: count.A, over: count.over, worst_strict: strict, judged,
      decisions: run ? { changed, of: decisions, margin, gap, layers: log } : undefined }, count.over === 0);
  rep.info.push({ level: lv, grad_errors: errs });
  rep.add('c.grad_model', lv, whole, TOL.grad_norm,
    `all trainable tensors as one vector: ${whole.toExponential(3)}` +
    (wholeAligned !== undefined ? `; against TF.js with skytune's decisions ${wholeAligned.toExponential(3)}${wholeAligned <= TOL.grad_norm ? ' (A)' : ''}` : ''),
    { measured: whole, aligned: wholeAligned }, whole <= TOL.grad_norm || wholeAligned <= TOL.grad_norm);
}

// Runs a. and, per level, b. c. d. on the model and its skytune results.
async function runModel(modelDir, skyDir, rep) {
  const sky = readSky(skyDir);
  const n = sky.n;
  const model = await K.loadModel(modelDir);
  K.logitsHead(model);
  const pending = [];
  K.patchBatchNorm(model, pending);
  const masks = new Map();
  K.patchDropout(model, masks);
  K.patchAvgPoolSame(model);
  const decisions = new Map(), decisionLog = [];
  const decisionPatch = R.patchDecisions(tf, model, decisions, decisionLog);
  const weights = layerWeights(model);
  const initial = new Map();
  for (const [name, e] of weights) initial.set(name, e.w.read().dataSync().slice());
  const restore = () => { for (const [name, e] of weights) e.w.write(tf.tensor(initial.get(name), e.w.shape)); };
  const x = tf.tensor(sky.get('input').data, sky.get('input').shape);

  phase('loaded');
  // a. inference
  const logits = model.apply(x, { training: false });
  const probs = tf.softmax(logits);
  rep.add('a.probs_abs', '', maxAbsDiff(sky.get('infer/probs').data, probs.dataSync()), TOL.probs_abs);
  rep.add('a.logits_rel', '', relInf(sky.get('infer/logits').data, logits.dataSync()), TOL.logits_rel);
  tf.dispose([logits, probs]);

  for (const tag of sky.levels) {
    const sc = sky.tensors[tag + '/scalars'];
    const lv = `${sc.what}(${sc.level})`;
    restore();
    // freeze level: the last `level` layers of TF.js's own model.layers are trainable
    const L = model.layers.length;
    model.layers.forEach((l, i) => { l.trainable = i >= L - sc.level; });
    const tfNames = model.layers.filter((l) => l.trainable).map((l) => l.name);
    const sameList = JSON.stringify(tfNames) === JSON.stringify(sc.trainable_names);
    rep.add('freeze.layers', lv, sameList ? 0 : 1, 0, sameList ? `${tfNames.length} trainable layers` : `TF.js ${tfNames.length} vs skytune ${sc.trainable_names.length}`);
    masks.clear();
    for (const l of model.layers) {
      const key = `${tag}/mask/${l.name}`;
      if (!sky.has(key)) continue;
      const m = sky.get(key);
      masks.set(l.name, tf.tensor(m.data, m.shape.length === 1 ? [n, 1, 1, 1] : m.shape));
    }
    const trainable = model.trainableWeights;
    // the training pass: loss, gradients, batch statistics (K1, K2, K4, K6)
    const pass = (xin) => {
      const vars = trainable.map((w) => w.read());
      const { value, grads } = tf.variableGrads(() => K.weightedXent(model.apply(xin, { training: true }), sky.labels, sky.sample_weights), vars);
      const out = { loss: value.dataSync()[0], grads: new Map(), stats: pending.splice(0) };
      for (const w of trainable) out.grads.set(w.originalName, grads[w.read().name].dataSync().slice());
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    phase(`${lv}: forward + backward`);
    const main = pass(x);
    phase(`${lv}: compare`);
    // b. loss
    rep.add('b.loss_rel', lv, Math.abs(sc.loss - main.loss) / Math.abs(main.loss), TOL.loss_rel, `loss ${main.loss.toPrecision(8)}`);
    // c. gradients (README "Keras conformance": the issue's tolerance, then rules Z and A)
    phase(`${lv}: compare gradients`);
    const aligned = () => { // rule A: TF.js once more, with skytune's decisions
      phase(`${lv}: TF.js with skytune's ReLU/MaxPooling decisions (rule A)`);
      for (const k of Object.keys(sky.tensors)) {
        if (!k.startsWith(`${tag}/kink/`)) continue;
        const layer = k.slice(tag.length + 6);
        if (!decisionPatch.layers.has(layer)) throw new Error(`rule A: skytune decides at ${layer}, which TF.js does not patch`);
        decisions.set(layer, sky.get(k));
      }
      decisionLog.length = 0;
      const r = pass(x);
      decisions.clear();
      decisionPatch.release();
      r.stats.forEach((u) => { u.mean.dispose(); u.variance.dispose(); });
      return { grads: r.grads, log: decisionLog.splice(0) };
    };
    judgeGradients(rep, lv, trainable.map((w) => w.originalName), (nm) => sky.get(`${tag}/grad/${nm}`).data,
                   main.grads, aligned, R.zeroGradTensors(model, masks));
    // d. one Adam step (K3) from the same gradients (skytune's, from the file) and the exported
    // weights; the BN moving statistics (K2) from TF.js's own batch statistics
    let worst = 0, worstName = '';
    for (const w of trainable) {
      const v = w.read(), g = tf.tensor(sky.get(`${tag}/grad/${w.originalName}`).data, v.shape);
      K.kerasAdamStep(v, g, sky.lr);
      const err = relInf(sky.get(`${tag}/after/${w.originalName}`).data, v.dataSync());
      if (err >= worst || !Number.isFinite(err)) { worst = err; worstName = w.originalName; }
      g.dispose();
    }
    rep.add('d.adam_rel', lv, worst, TOL.step_rel, `${trainable.length} tensors, worst ${worstName}`);
    // BN moving statistics: tf.keras's fused update (K2) from skytune's batch statistics (file)
    const bnIn = [];
    let statErr = 0;
    for (const u of main.stats) {
      const key = `${tag}/bnstat/${u.layer.name}`;
      const sm = sky.get(`${key}/mean`).data, sv = sky.get(`${key}/variance`).data;
      const tm = u.mean.dataSync(), tv = u.variance.dataSync();
      for (let i = 0; i < sm.length; i++) { // batch statistics, in units of the channel's std
        const sd = Math.sqrt(Math.max(tv[i], 1e-30));
        statErr = Math.max(statErr, Math.abs(sm[i] - tm[i]) / sd, Math.abs(sv[i] - tv[i]) / Math.max(tv[i], 1e-30));
      }
      bnIn.push({ layer: u.layer, rows: u.rows, mean: tf.keep(tf.tensor(sm)), variance: tf.keep(tf.tensor(sv)) });
      u.mean.dispose();
      u.variance.dispose();
    }
    K.applyMovingUpdates(bnIn);
    worst = 0; worstName = '';
    let nstats = 0, unchanged = 0, frozen = 0;
    for (const [name, e] of weights) {
      const key = `${tag}/after/${name}`;
      const now = e.w.read().dataSync();
      if (!sky.has(key)) {
        frozen++;
        if (!sameBits(now, initial.get(name))) unchanged++;
        continue;
      }
      if (!/\/moving_(mean|variance)$/.test(name)) continue;
      const err = relInf(sky.get(key).data, now);
      nstats++;
      if (err >= worst || !Number.isFinite(err)) { worst = err; worstName = name; }
    }
    if (nstats) {
      rep.add('d.bn_stats_rel', lv, worst, TOL.step_rel, `${nstats} moving statistics, worst ${worstName}; batch statistics TF.js vs skytune ${statErr.toExponential(2)} (in channel std)`);
    }
    rep.add('d.frozen_bits', lv, sc.frozen_changed + unchanged, 0, `${sc.frozen_tensors} frozen tensors (skytune), ${frozen} (TF.js)`);
    tf.dispose([...masks.values()]);
  }
  tf.dispose(x);
  return { arch: sky.arch, size: sky.size, real_images: sky.real_images, layers: sky.layers, rate0: sky.rate0 };
}

// e. ResNet50 with the npm ImageNet weights, tf.keras's BN epsilon 1.001e-5 (the file says 1e-3).
async function runImagenet(npmDir, skyDir, rep) {
  const sky = readSky(skyDir);
  const model = await K.loadModel(npmDir, (topo) => {
    for (const l of topo.model_config.config.layers) {
      if (l.class_name === 'BatchNormalization') l.config.epsilon = 1.001e-5;
    }
    return topo;
  });
  const inp = sky.get('input');
  const p = model.predict(tf.tensor(inp.data, inp.shape)).dataSync();
  const s = sky.get('infer/probs').data;
  rep.add('e.imagenet_abs', '', maxAbsDiff(s, p), TOL.imagenet_abs);
  const top = (a, off) => { let b = 0; for (let i = 1; i < 1000; i++) if (a[off + i] > a[off + b]) b = i; return b; };
  const cls = [top(p, 0), top(p, 1000)];
  rep.add('e.classes', '', cls[0] === 19 && cls[1] === 985 ? 0 : 1, 0, `TF.js top-1 ${cls[0]} (p ${p[cls[0]].toFixed(4)}), ${cls[1]} (p ${p[1000 + cls[1]].toFixed(4)}); skytune ${s[19].toFixed(4)}, ${s[1985].toFixed(4)}`);
  return { arch: 'resnet50', size: 224, imagenet: true };
}

async function main() {
  const [mode, modelDir, skyDir, out] = process.argv.slice(2);
  if (!out || !['model', 'imagenet'].includes(mode)) {
    console.error('usage: node harness.js model|imagenet MODEL_DIR SKY_DIR RESULT.json');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  K.installFastKernels();
  const rep = new Report(path.basename(skyDir));
  const t0 = Date.now();
  const info = mode === 'model' ? await runModel(modelDir, skyDir, rep) : await runImagenet(modelDir, skyDir, rep);
  const result = Object.assign(info, { tfjs: tf.version.tfjs, backend: tf.getBackend(), seconds: (Date.now() - t0) / 1000, checks: rep.checks, info: rep.info });
  const tmp = `${out}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(result, null, 1) + '\n');
  fs.renameSync(tmp, out);
  console.log(`${rep.name}: ${rep.checks.length - rep.failed} passed, ${rep.failed} failed (TF.js ${tf.version.tfjs} ${tf.getBackend()}, ${result.seconds.toFixed(1)} s)`);
  process.exit(rep.failed ? 1 : 0);
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
