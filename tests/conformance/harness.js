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
function normErr(a, b) {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; na += a[i] ** 2; nb += b[i] ** 2; }
  const den = Math.sqrt(na) + Math.sqrt(nb);
  return den > 0 ? Math.sqrt(d) / den : 0;
}
function l2(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * a[i]; return Math.sqrt(s); }
// Each element times 1 + 2^-23 or 1 - 2^-23 (a fixed pseudo-random pattern): one ulp.
function ulpPerturb(x, k) {
  let seed = 0x9e3779b9 * k >>> 0;
  return x.map((v) => {
    seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; // xorshift32
    return Math.fround(v * (seed & 0x100 ? 1 + 2 ** -23 : 1 - 2 ** -23));
  });
}
function sameBits(a, b) {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const T0 = Date.now();
function phase(what) { if (process.env.CONF_VERBOSE) console.log(`  [${((Date.now() - T0) / 1000).toFixed(1)} s] ${what}`); }

class Report {
  constructor(name) { this.name = name; this.checks = []; this.failed = 0; this.info = []; }
  // pass: by default value <= tol; a check judged by the float32 rule (F, Z) passes its own verdict
  add(check, level, value, tol, detail, extra, verdict) {
    const pass = verdict !== undefined ? verdict : Number.isFinite(value) && value <= tol;
    if (!pass) this.failed++;
    this.checks.push(Object.assign({ check, level, value, tol, pass, detail: detail || '' }, extra || {}));
    const rule = pass && !(value <= tol) ? ', passed by the float32 rule' : '';
    console.log(`${pass ? 'ok  ' : 'FAIL'} ${this.name} ${check}${level ? ' ' + level : ''}: ${value.toExponential(3)} (tolerance ${tol}${rule})${detail ? '  ' + detail : ''}`);
  }
}

function layerWeights(model) {
  const byName = new Map();
  for (const l of model.layers) for (const w of l.weights) byName.set(w.originalName, { layer: l, w });
  return byName;
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
    // c. gradients: the per-tensor tolerance first; a tensor over it is judged against
    // the whole gradient (Z) or TF.js's own float32 floor (F); README "Keras conformance"
    const errs = trainable.map((w) => [w.originalName, normErr(sky.get(`${tag}/grad/${w.originalName}`).data, main.grads.get(w.originalName))]);
    let gnorm = 0;
    for (const g of main.grads.values()) gnorm += l2(g) ** 2;
    gnorm = Math.sqrt(gnorm);
    let floors = null;
    const getFloors = () => {
      if (floors) return floors;
      phase(`${lv}: TF.js twice more on the input moved by one ulp`);
      floors = [1, 2].map((k) => { // each on the input moved by a random pattern of one ulp
        const xp = tf.tensor(ulpPerturb(sky.get('input').data, k), sky.get('input').shape);
        const r = pass(xp);
        xp.dispose();
        r.stats.forEach((u) => { u.mean.dispose(); u.variance.dispose(); });
        return r;
      });
      return floors;
    };
    const res = { strict: 0, strictName: '', z: 0, zWorst: 0, f: 0, fWorst: [0, 0, ''], over: 0 };
    for (const [name, e] of errs) {
      const sg = sky.get(`${tag}/grad/${name}`).data, tg = main.grads.get(name);
      if (process.env.CONF_VERBOSE) console.log(`  grad ${lv} ${name}: err ${e.toExponential(2)} |sky| ${l2(sg).toExponential(3)} |tfjs| ${l2(tg).toExponential(3)}`);
      if (e <= TOL.grad_norm) { if (e >= res.strict) { res.strict = e; res.strictName = name; } continue; }
      let diff = 0;
      for (let i = 0; i < sg.length; i++) diff += (sg[i] - tg[i]) ** 2;
      const z = Math.sqrt(diff) / gnorm;
      if (z <= TOL.grad_norm) { res.z++; res.zWorst = Math.max(res.zWorst, z); continue; }
      getFloors();
      const g1 = floors[0].grads.get(name), g2 = floors[1].grads.get(name);
      // skytune's distance to the nearest TF.js run against the spread of the TF.js runs
      const f = Math.max(normErr(tg, g1), normErr(tg, g2), normErr(g1, g2));
      const near = Math.min(e, normErr(sg, g1), normErr(sg, g2));
      if (near <= f) { res.f++; if (near / f >= res.fWorst[0] / (res.fWorst[1] || 1)) res.fWorst = [near, f, name]; continue; }
      res.over++;
      console.log(`  over: ${name} err ${e.toExponential(3)} (nearest TF.js run ${near.toExponential(3)}), whole-gradient ${z.toExponential(3)}, TF.js spread ${f.toExponential(3)}`);
    }
    const worstAll = Math.max(...errs.map(([, e]) => e));
    rep.add('c.grad_norm', lv, worstAll, TOL.grad_norm,
      `${errs.length} tensors: ${errs.length - res.z - res.f - res.over} within ${TOL.grad_norm} (worst ${res.strictName})` +
      (res.z ? `; Z ${res.z} (difference <= ${res.zWorst.toExponential(2)} of the whole gradient)` : '') +
      (res.f ? `; F ${res.f} (worst ${res.fWorst[2]}: nearest TF.js run ${res.fWorst[0].toExponential(2)} <= TF.js spread ${res.fWorst[1].toExponential(2)})` : '') +
      (res.over ? `; ${res.over} OVER` : ''), { z: res.z, f: res.f, worst_strict: res.strict, worst_f: res.fWorst[0], floor: res.fWorst[1] }, res.over === 0);
    // the formula on the whole gradient (every trainable tensor concatenated)
    const wholeErr = (ga, gb) => {
      let dd = 0, sa = 0, sb = 0;
      for (const [name] of errs) {
        const a = ga(name), b = gb(name);
        for (let i = 0; i < a.length; i++) { dd += (a[i] - b[i]) ** 2; sa += a[i] * a[i]; sb += b[i] * b[i]; }
      }
      return Math.sqrt(dd) / (Math.sqrt(sa) + Math.sqrt(sb));
    };
    const tfg = (nm) => main.grads.get(nm);
    const whole = wholeErr((nm) => sky.get(`${tag}/grad/${nm}`).data, tfg);
    let wfloor = 0, wnear = whole;
    if (whole > TOL.grad_norm) {
      const fl = getFloors(), f1 = (nm) => fl[0].grads.get(nm), f2 = (nm) => fl[1].grads.get(nm);
      wfloor = Math.max(wholeErr(tfg, f1), wholeErr(tfg, f2), wholeErr(f1, f2));
      const sk = (nm) => sky.get(`${tag}/grad/${nm}`).data;
      wnear = Math.min(whole, wholeErr(sk, f1), wholeErr(sk, f2));
    }
    const wpass = whole <= TOL.grad_norm || wnear <= wfloor;
    rep.add('c.grad_model', lv, whole, TOL.grad_norm,
      `all trainable tensors as one vector: ${whole.toExponential(3)}` +
      (wfloor ? `; nearest of 3 TF.js runs ${wnear.toExponential(3)}, their spread ${wfloor.toExponential(3)}${wnear <= wfloor ? ' (F)' : ''}` : ''),
      { measured: whole, floor: wfloor, nearest: wnear }, wpass);
    rep.info.push({ level: lv, grad_errors: errs });
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
