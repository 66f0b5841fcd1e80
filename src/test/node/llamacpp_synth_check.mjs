// Loads a GGUF written by `actlab synth` in llama.cpp, through node-llama-cpp (its prebuilt
// llama.cpp binaries ship in the npm package), tokenizes a text and greedily generates a few tokens.
// The ids it printed for `actlab synth --shape 260K --dtype F32 --out s260.gguf` (seed 0) are the
// peer reference in SynthCommandTest.
//
//   mkdir /tmp/nlc && cd /tmp/nlc && npm i node-llama-cpp@3.22.1
//   cp .../src/test/node/llamacpp_synth_check.mjs . && node llamacpp_synth_check.mjs s260.gguf
//
// Printed on 2026-12-07 (node-llama-cpp 3.22.1, CPU build):
//   tokenized ids: [259,299,328,335,335,338,271,376,338,341,335,327,260,13,292,356,391,198,172]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.warn});
const model = await llama.loadModel({modelPath: process.argv[2]});
console.log("tokenized ids:", JSON.stringify(Array.from(model.tokenize("Hello, world!\nA café"))));
const ctx = await model.createContext({contextSize: 64});
const out = [];
for await (const t of ctx.getSequence().evaluate(model.tokenize("Hello"), {temperature: 0})) { out.push(t); if (out.length >= 5) break; }
console.log("generated", JSON.stringify(out), "bos", model.tokens.bos, "eos", model.tokens.eos);
