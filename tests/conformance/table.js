#!/usr/bin/env node
// table.js: the README's conformance table from the harness's result files.
// node table.js RESULT.json...   (e.g. build/test-tmp/conformance/*/result.json)
'use strict';
const fs = require('fs');
const e = (v) => (v === undefined ? '' : v === 0 ? '0' : v.toExponential(1));
const rows = [];
for (const f of process.argv.slice(2)) {
  const r = JSON.parse(fs.readFileSync(f, 'utf8'));
  const max = (name, key = 'value') => {
    const c = r.checks.filter((x) => x.check === name);
    return c.length ? Math.max(...c.map((x) => (x[key] !== undefined ? x[key] : x.value))) : undefined;
  };
  const fail = r.checks.filter((x) => !x.pass).length;
  if (r.imagenet) {
    rows.push(`| ResNet50 ImageNet 224 px (e) | ${e(max('e.imagenet_abs'))} (bird, sunflower) | | | | | | | | | ${fail ? 'FAIL' : 'pass'} | ${r.seconds.toFixed(0)} |`);
    continue;
  }
  const grads = r.checks.filter((x) => x.check === 'c.grad_norm');
  const zf = grads.reduce((a, x) => [a[0] + (x.z || 0), a[1] + (x.f || 0)], [0, 0]);
  const name = r.arch + (r.rate0 ? ' (dropout rate 0)' : '') + ` ${r.size} px`;
  const wm = r.checks.filter((x) => x.check === 'c.grad_model');
  const whole = Math.max(...wm.map((x) => x.measured));
  const fl = wm.filter((x) => x.measured > x.tol).map((x) => ` (F: nearest TF.js run ${e(x.nearest)}, TF.js spread ${e(x.floor)})`).join('');
  rows.push(`| ${name} | ${e(max('a.probs_abs'))} | ${e(max('a.logits_rel'))} | ${e(max('b.loss_rel'))} | ` +
    `${e(max('c.grad_norm', 'worst_strict'))} | ${e(max('c.grad_norm'))} (Z ${zf[0]}, F ${zf[1]}) | ${e(whole)}${fl} | ` +
    `${e(max('d.adam_rel'))} | ${max('d.bn_stats_rel') === undefined ? 'no BN' : e(max('d.bn_stats_rel'))} | ${max('d.frozen_bits')} | ${fail ? 'FAIL' : 'pass'} | ${r.seconds.toFixed(0)} |`);
}
console.log('| model | a. probs abs | a. logits rel | b. loss rel | c. grad per tensor, worst of those within 1e-4 | c. grad per tensor, worst of all (Z, F: tensors passed by the float32 rule) | c. whole gradient | d. Adam rel | d. BN stats rel | d. frozen changed | result | TF.js s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
rows.forEach((x) => console.log(x));
