#!/usr/bin/env node
// llama.cpp's CPU backend as a peer for `regard-cli bench --model DIR`
// (docs/performance.md): the same prompt ids, the same timings, the same
// output lines. Not part of Regard; see README.md here for the setup
// (node-llama-cpp installed outside the repository, NODE_PATH to it).
//
//   NODE_PATH=/work/peer/node_modules node bench.mjs --model text-q8_0.gguf \
//       --prompt-tokens 128 --gen-tokens 16 --threads 2 --repeat 3

import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import path from "node:path";

const { values: opt } = parseArgs({
  options: {
    model: { type: "string", short: "m" },
    "prompt-tokens": { type: "string", default: "128" },
    "gen-tokens": { type: "string", default: "32" },
    context: { type: "string", default: "0" },
    threads: { type: "string", default: "2" },
    "batch-size": { type: "string", default: "512" },
    "flash-attention": { type: "boolean", default: false },
    repeat: { type: "string", default: "1" },
    "no-warmup": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (opt.help || !opt.model) {
  console.log(`Usage: node bench.mjs --model FILE.gguf [options]
  --prompt-tokens N   prefill length (128)
  --gen-tokens N      decoded tokens (32)
  --context N         KV cache length (default: max(2048, what the run needs))
  --threads N         CPU threads (2)
  --batch-size N      llama.cpp batch (512)
  --flash-attention   use llama.cpp's flash attention (off: node-llama-cpp's default)
  --repeat N          prefill and decode N times: the median and the best (1)
  --no-warmup         time the first evaluation too (default: one token first)
  --json              print JSON`);
  process.exit(opt.help ? 0 : 2);
}

const int = (name, min) => {
  const v = Number(opt[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} must be an integer >= ${min}`);
    process.exit(2);
  }
  return v;
};
const nPrompt = int("prompt-tokens", 1), nGen = int("gen-tokens", 1);
const threads = int("threads", 1), runs = int("repeat", 1), batchSize = int("batch-size", 1);
let context = int("context", 0);
if (context === 0) context = Math.max(2048, nPrompt + nGen + 64);
if (nPrompt + nGen + 1 > context) {
  console.error(`${nPrompt} + ${nGen} tokens do not fit a context of ${context}`);
  process.exit(2);
}

// node-llama-cpp lives outside the repository: resolve it through NODE_PATH
// (or a node_modules above the working directory), not next to this file.
const require = createRequire(path.join(process.cwd(), "noop.js"));
let nlc, nlcVersion;
try {
  const entry = require.resolve("node-llama-cpp");
  nlc = await import(entry);
  nlcVersion = require(path.join(entry.slice(0, entry.lastIndexOf("node_modules/node-llama-cpp") +
    "node_modules/node-llama-cpp".length), "package.json")).version;
} catch (e) {
  console.error("node-llama-cpp not found: see tools/bench-llama-cpp/README.md (NODE_PATH=.../node_modules)");
  console.error(String(e));
  process.exit(1);
}

const llama = await nlc.getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: "error" });
const model = await llama.loadModel({ modelPath: path.resolve(opt.model), gpuLayers: 0 });
const ctx = await model.createContext({
  contextSize: context,
  batchSize: Math.min(batchSize, context),
  threads: { ideal: threads, min: threads },
  flashAttention: opt["flash-attention"],
});
const seq = ctx.getSequence();

// The prompt regard-cli bench feeds: BOS, then ordinary tokens from the
// same LCG (engine/tools/regard-bench.c), so both read the same ids.
const ids = [1];
let s = 4321;
for (let i = 1; i < nPrompt; i++) {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  ids.push(3 + ((s >>> 8) % 31000));
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const prefillRuns = [], decodeRuns = [];
const now = () => Number(process.hrtime.bigint()) / 1e9;

// One token first, as llama-bench warms up: the mapped weights are read
// once before timing (Regard's load has already copied them to the device).
if (!opt["no-warmup"]) {
  await seq.evaluateWithoutGeneratingNewTokens([1]);
  await seq.clearHistory();
}

for (let r = 0; r < runs; r++) {
  await seq.clearHistory();
  // evaluate() prefills the prompt and samples (greedy) before its first
  // yield; each later yield is one decoded token, as regard-cli's
  // forward + argmax per token.
  const it = seq.evaluate(ids, { temperature: 0, yieldEogToken: true });
  let t0 = now();
  let step = await it.next();
  prefillRuns.push(now() - t0);
  t0 = now();
  for (let i = 0; i < nGen && !step.done; i++) step = await it.next();
  decodeRuns.push(now() - t0);
  if (step.done) {
    console.error("the sequence stopped early");
    process.exit(1);
  }
  await it.return();
}

const prefillS = median(prefillRuns), decodeS = median(decodeRuns);
const prefillTps = nPrompt / prefillS, tps = nGen / decodeS;
const bestPrefill = nPrompt / Math.min(...prefillRuns), best = nGen / Math.min(...decodeRuns);
const release = llama.llamaCppRelease;

if (opt.json) {
  console.log(JSON.stringify({
    peer: "llama.cpp CPU", node_llama_cpp: nlcVersion, llama_cpp: `${release.repo}@${release.release}`,
    build: llama.buildType, model: opt.model, threads, context, flash_attention: opt["flash-attention"],
    prompt_tokens: nPrompt, prefill_s: prefillS, prefill_tps: prefillTps, best_prefill_tps: bestPrefill,
    gen_tokens: nGen, decode_s: decodeS, decode_tps: tps, best_decode_tps: best, runs,
  }));
} else {
  console.log(`device: llama.cpp CPU (${release.repo} ${release.release}, node-llama-cpp ${nlcVersion}, ` +
    `${llama.buildType}), ${threads} threads`);
  console.log(`model: ${opt.model}, context ${ctx.contextSize}, batch ${ctx.batchSize}, ` +
    `flash attention ${opt["flash-attention"] ? "on" : "off"}`);
  let line = `prefill: ${nPrompt} tokens in ${prefillS.toFixed(2)} s = ${prefillTps.toFixed(2)} tokens/s`;
  if (runs > 1) line += ` (median of ${runs} runs; best ${bestPrefill.toFixed(2)})`;
  console.log(line);
  line = `decode: ${nGen} tokens in ${decodeS.toFixed(2)} s = ${tps.toFixed(3)} tokens/s`;
  if (runs > 1) line += ` (median of ${runs} runs; best ${best.toFixed(3)})`;
  console.log(line);
}

await ctx.dispose();
await model.dispose();
await llama.dispose();
