#!/usr/bin/env node
// Print llama.cpp's (CPU) logits after a prompt of token ids, as JSON:
// check-gguf.py compares them with a float32 forward of the checkpoint.
//   NODE_PATH=.../node_modules node logits.mjs FILE.gguf 1,330,450,...

import { createRequire } from "node:module";
import path from "node:path";

const [file, idList] = process.argv.slice(2);
if (!file || !idList) {
  console.error("usage: node logits.mjs FILE.gguf ID,ID,...");
  process.exit(2);
}
const require = createRequire(path.join(process.cwd(), "noop.js"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));
const ids = idList.split(",").map(Number);
const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: "error" });
const model = await llama.loadModel({ modelPath: path.resolve(file), gpuLayers: 0 });
const ctx = await model.createContext({ contextSize: 512, threads: 1, flashAttention: false });
const seq = ctx.getSequence();
const input = ids.map((t, i) => (i === ids.length - 1 ? [t, { generateNext: { logits: true } }] : t));
const out = await seq.controlledEvaluate(input);
const logits = out[ids.length - 1].next.logits;
console.log(JSON.stringify([...logits.entries()]));
await ctx.dispose();
await model.dispose();
await llama.dispose();
