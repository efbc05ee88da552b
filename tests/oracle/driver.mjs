// Runs the real llama.cpp (node-llama-cpp's prebuilt CPU build) over a list of models and
// context settings and writes, per case, every buffer llama.cpp logged and the values its
// context resolved. vramplan's oracle test compares them with `vramplan estimate`.
//
//   node tests/oracle/driver.mjs CASES.json RESULTS.json
//   CASES.json: {"cases": [{"id", "gguf", "ctx", "ubatch", "seqs", "fa", "ctk", "ctv"}, ...]}
// ctx is llama.cpp's total n_ctx; node-llama-cpp takes a per-sequence size and sets
// n_batch = n_ubatch = batchSize, one KV stream per sequence.
import fs from "node:fs";
import path from "node:path";
import {createRequire} from "node:module";

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, "package.json"));
const {getLlama, LlamaLogLevel} = await import(require.resolve("node-llama-cpp"));

const [casesPath, outPath] = process.argv.slice(2);
const {cases} = JSON.parse(fs.readFileSync(casesPath, "utf8"));

let lines = [];
const drain = () => { const l = lines; lines = []; return l; };
const llama = await getLlama({
    gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
    logLevel: LlamaLogLevel.debug,
    logger: (_level, message) => lines.push(...message.split("\n")),
    vramPadding: 0, ramPadding: 0,
});

const buffer = /(\S+)\s+(model|KV|compute|output) buffer size\s*=\s*([\d.]+) MiB/;
const nodes = /graph: nodes\s*=\s*(\d+)/;
const context = /llama_context:\s+(n_ctx|n_ctx_seq|n_batch|n_ubatch|n_seq_max|flash_attn|n_outputs_max)\s*=\s*(\S+)/;
function parse(log) {
    const out = {buffers: [], context: {}, graph_nodes: undefined};
    for (const line of log) {
        let m;
        if ((m = line.match(buffer))) out.buffers.push({buffer: m[1], kind: m[2].toLowerCase(), mib: m[3]});        else if ((m = line.match(context))) out.context[m[1]] = m[2];
        else if ((m = line.match(nodes))) out.graph_nodes = Number(m[1]);
    }
    return out;
}

const results = {node_llama_cpp: null, llama_cpp_release: llama.llamaCppRelease, cases: []};
const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("node-llama-cpp")), "..", "package.json"), "utf8"));
results.node_llama_cpp = pkg.version;

const models = new Map();
for (const c of cases) {
    if (!models.has(c.gguf)) {
        for (const [, m] of models) await m.model.dispose();
        models.clear();
        drain();
        let model = null;
        let load = [];
        // The load's log lines occasionally miss the logger; load again until they arrive.
        for (let attempt = 0; attempt < 3 && !load.some((l) => buffer.test(l)); attempt++) {
            if (model) await model.dispose();
            model = await llama.loadModel({modelPath: c.gguf, gpuLayers: 0, useMmap: true, ignoreMemorySafetyChecks: true});
            await new Promise((r) => setTimeout(r, 100));
            load = drain();
        }
        models.set(c.gguf, {model, load: parse(load)});
    }
    const {model, load} = models.get(c.gguf);
    drain();
    const r = {...c, error: null};
    // Like a load's, a context's log lines reach the logger asynchronously, and on a busy
    // machine the compute buffer's line (the last one, with the graph's node count) can arrive
    // after the context is gone: wait for it, and create the context again if it never comes.
    let got = parse([]);
    for (let attempt = 0; attempt < 3; attempt++) {
        r.error = null;
        try {
            const ctx = await model.createContext({
                contextSize: Math.ceil(c.ctx / c.seqs), batchSize: c.ubatch, sequences: c.seqs,
                flashAttention: c.fa, experimentalKvCacheKeyType: c.ctk.toUpperCase(),
                experimentalKvCacheValueType: c.ctv.toUpperCase(),
                ignoreMemorySafetyChecks: true, failedCreationRemedy: false,
            });
            for (let waited = 0; waited < 2000 && !lines.some((l) => nodes.test(l)); waited += 50) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            await ctx.dispose();
        } catch (err) {
            r.error = String(err).split("\n")[0];
        }
        got = parse(drain());
        if (r.error !== null || got.graph_nodes !== undefined) {
            break;
        }
        process.stderr.write(`${c.id}: the context's log lines did not all arrive; again\n`);
    }
    r.buffers = [...load.buffers, ...got.buffers];    r.context = got.context;
    r.graph_nodes = got.graph_nodes ?? null;
    results.cases.push(r);
    process.stderr.write(`${r.id}: ${r.error ?? r.buffers.map((b) => `${b.buffer} ${b.kind} ${b.mib}`).join(", ")}\n`);
}
for (const [, m] of models) await m.model.dispose();
await llama.dispose();
fs.writeFileSync(outPath, JSON.stringify(results, null, 1));
