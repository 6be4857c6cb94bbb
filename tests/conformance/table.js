#!/usr/bin/env node
// table.js: the README's conformance tables from the harness's result files.
// node table.js RESULT.json...   (e.g. build/test-tmp/conformance/*/result.json)
// First table: model x check, the largest error over the three freeze levels. Second: per model
// and level, the gradient check c. tensor by tensor: the worst normalised error, how many
// tensors are within the issue's 1e-4 and which rule (README "Keras conformance": Z, A) passed
// each of the others, with the numbers that decided it.
'use strict';
const fs = require('fs');
const e = (v) => (v === undefined ? '' : v === 0 ? '0' : v.toExponential(1));
const results = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const label = (r) => r.arch + (r.rate0 ? ' (dropout rate 0)' : '') + ` ${r.size} px`;
const worstOf = (list, key) => list.reduce((a, x) => Math.max(a, x[key]), 0);

const rows = [], gradRows = [];
for (const r of results) {
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
  const za = grads.reduce((a, x) => [a[0] + (x.z || 0), a[1] + (x.a || 0)], [0, 0]);
  const wm = r.checks.filter((x) => x.check === 'c.grad_model');
  const whole = Math.max(...wm.map((x) => x.measured));
  const wa = wm.filter((x) => x.aligned !== undefined).map((x) => ` (A: ${e(x.aligned)})`).join('');
  rows.push(`| ${label(r)} | ${e(max('a.probs_abs'))} | ${e(max('a.logits_rel'))} | ${e(max('b.loss_rel'))} | ` +
    `${e(max('c.grad_norm', 'worst_strict'))} | ${e(max('c.grad_norm'))} (Z ${za[0]}, A ${za[1]}) | ${e(whole)}${wa} | ` +
    `${e(max('d.adam_rel'))} | ${max('d.bn_stats_rel') === undefined ? 'no BN' : e(max('d.bn_stats_rel'))} | ${max('d.frozen_bits')} | ${fail ? 'FAIL' : 'pass'} | ${r.seconds.toFixed(0)} |`);
  for (const g of grads) {
    const errs = (r.info.find((i) => i.level === g.level) || { grad_errors: [] }).grad_errors;
    const worst = errs.reduce((a, x) => (x[1] > a[1] ? x : a), ['', -1]);
    const j = g.judged || [], z = j.filter((x) => x.rule === 'Z'), a = j.filter((x) => x.rule === 'A');
    const over = j.filter((x) => x.rule === 'over'), d = g.decisions;
    const wmod = wm.find((x) => x.level === g.level);
    gradRows.push(`| ${label(r)} | ${g.level} | ${errs.length} | ${e(worst[1])} ${worst[0]} | ${errs.length - j.length} (worst ${e(g.worst_strict)}) | ` +
      (z.length ? `${z.length}${z.some((x) => x.zero === 'scale') ? ` (${z.filter((x) => x.zero === 'scale').length} scale)` : ''}: norms <= ${e(worstOf(z, 'noise'))} of the whole gradient` : '0') + ' | ' +
      (a.length ? `${a.length}: err ${e(Math.min(...a.map((x) => x.err)))} to ${e(worstOf(a, 'err'))}, with skytune's decisions <= ${e(worstOf(a, 'aligned'))}` : '0') + ' | ' +
      (d ? `${d.changed} of ${d.of} (${d.layers.map((l) => `${l.layer} ${l.changed}`).join(', ')}); TF.js <= ${e(d.margin)} std from the threshold, skytune <= ${e(d.gap)} std from TF.js` : '') + ' | ' +
      `${over.length} | ${wmod ? e(wmod.measured) + (wmod.aligned !== undefined ? ` (A: ${e(wmod.aligned)})` : '') : ''} |`);
  }
}
console.log('| model | a. probs abs | a. logits rel | b. loss rel | c. grad per tensor, worst of those within 1e-4 | c. grad per tensor, worst of all (Z, A: tensors passed by rules Z and A) | c. whole gradient | d. Adam rel | d. BN stats rel | d. frozen changed | result | TF.js s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
rows.forEach((x) => console.log(x));
console.log('');
console.log('| model | level | tensors | c. worst normalised error (tensor) | within 1e-4 | passed by Z | passed by A | decisions rule A changed | over | whole gradient |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
gradRows.forEach((x) => console.log(x));
