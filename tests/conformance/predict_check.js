#!/usr/bin/env node
// predict_check.js: a trained cell's TF.js export (`skytune weights export --format tfjs`) run in
// TF.js on the same pixels `skytune predict` classified, compared with its preds.csv.
// Usage: node predict_check.js MODEL_DIR X.npy SCALING PREDS.csv
// X.npy: the images as `skytune dataset export --npy` writes them, (N, H, W, 3) uint8; SCALING:
// run.json's protocol.input_scaling (rescale_1_255: x * float32(1/255); raw_0_255: x), in
// float32 as skytune applies it; PREDS.csv:
// `skytune predict` over the same records in the same order. Exit 0 when every probability
// agrees within 1e-5 (issue 15) and every predicted class is the same.
'use strict';
const fs = require('fs');
const K = require('./tfjs_keras.js');
const tf = K.tf;
const TOL = 1e-5;

// NPY 1.0: magic, version, u16 header length, a Python dict literal, then the data.
function readNpyU8(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not an NPY file`);
  const hlen = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + hlen);
  if (!/'descr':\s*'\|u1'/.test(header)) throw new Error(`${file}: expected uint8 data, header ${header}`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  return { shape, data: new Uint8Array(b.buffer, b.byteOffset + 10 + hlen, shape.reduce((a, c) => a * c, 1)) };
}

function readPreds(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const pcols = head.map((h, i) => [h, i]).filter(([h]) => h.startsWith('p_'));
  const pred = head.indexOf('predicted');
  return lines.slice(1).map((l) => {
    const f = l.split(','); // ids of .skds records are digits: no quoted fields
    return { p: pcols.map(([, i]) => Number(f[i])), predicted: f[pred], names: pcols.map(([h]) => h.slice(2)) };
  });
}

async function main() {
  const [dir, npy, scaling, predsFile] = process.argv.slice(2);
  if (scaling !== 'rescale_1_255' && scaling !== 'raw_0_255') throw new Error(`unknown input scaling ${scaling}`);
  const scale = scaling === 'rescale_1_255' ? Math.fround(1 / 255) : 1;
  const x = readNpyU8(npy);
  const rows = readPreds(predsFile);
  if (rows.length !== x.shape[0]) throw new Error(`${predsFile}: ${rows.length} rows, ${npy} has ${x.shape[0]} images`);
  const model = await K.loadModel(dir);
  let worst = 0, differ = 0;
  const batch = 16;
  for (let first = 0; first < rows.length; first += batch) {
    const n = Math.min(batch, rows.length - first);
    const per = x.shape[1] * x.shape[2] * x.shape[3];
    const px = Float32Array.from(x.data.subarray(first * per, (first + n) * per), (v) => Math.fround(v * scale));
    const probs = tf.tidy(() => model.predict(tf.tensor4d(px, [n, x.shape[1], x.shape[2], x.shape[3]])).dataSync());
    const k = rows[0].p.length;
    for (let i = 0; i < n; i++) {
      const r = rows[first + i];
      let arg = 0;
      for (let c = 0; c < k; c++) {
        worst = Math.max(worst, Math.abs(probs[i * k + c] - r.p[c]));
        if (probs[i * k + c] > probs[i * k + arg]) arg = c;
      }
      if (r.names[arg] !== r.predicted) differ++;
    }
  }
  const ok = worst <= TOL && differ === 0;
  console.log(`${rows.length} objects: max |p_tfjs - p_skytune| = ${worst.toExponential(3)} (tolerance ${TOL}), ` +
              `${differ} predicted classes differ: ${ok ? 'PASS' : 'FAIL'}`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
