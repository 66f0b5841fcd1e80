"""Fixtures for actlab's Q4_1, Q5_0, Q5_1 and MXFP4 writers (and Q4_0, Q8_0 again), made with the
real tools: llama.cpp's llama-quantize (--pure) and its Python package gguf-py (`pip install gguf`,
tested with 0.19.0, whose numpy quantizers reproduce these types). Tests: LegacyQuantWriterTest.

1. src/test/resources/gguf/legacy-quant-rows.gguf (a few KB): a float32 matrix "src" [ROWS x 64]
   of real weights from stories260K (rows of blk.0 attn_q, blk.2 ffn_gate, blk.4 ffn_down and
   token_embd) followed by hand-made edge blocks (all zero, constant, exact ties between two codes
   or two rounding steps, the largest magnitude just below a power of two, which moves MXFP4's
   exponent floor(log2f(amax)), tiny and large magnitudes, +-equal extremes); and for each TYPE,
   "src.TYPE": the bytes llama-quantize --pure wrote for that matrix. The metadata key
   "test.ggufpy_agrees.TYPE" records whether gguf-py's numpy quantizer gave the same bytes.
2. src/test/resources/gguf/llama-quantize-stories260K-h160.json: a whole real model, stories260K
   with its FFN cut to the first 160 hidden units (its 172 are not whole 32-blocks, which
   llama-quantize --pure refuses), written as a float32 GGUF and quantized by llama-quantize --pure
   to each TYPE. For every tensor: its ggml type, dims and the sha256 of its data bytes (the
   quantized files are ~150-200 KB each, so only their digests are committed). The test builds
   the same float32 model from stories260K.bin (slicing only, so exactly the same floats) and
   compares actlab's writer's bytes with these digests. Also stored (in the rows file): the logits at
   the last position of ../shared/reference/stories260K/seq1.tokens.txt of each quantized file, as a
   float64 numpy forward pass over gguf-py's dequantization of llama-quantize's tensors computes them
   (test.stories260K_h160.last_logits.TYPE), an independent check of actlab's whole quantized model.

llama.cpp: the build at /tmp/peer/llama.cpp (ggml 0.9.7, CMake Release, GGML_NATIVE); its
ggml-quants.c quantize_row_*_ref are what llama-quantize --pure runs without an imatrix.

Usage: python3 src/test/python/make_legacy_quant_fixtures.py [path/to/llama-quantize]
(reads ../shared/models/stories260K/stories260K.bin relative to the repository; deterministic)
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
RES = os.path.join(REPO, "src", "test", "resources", "gguf")
BIN = os.path.join(REPO, "..", "shared", "models", "stories260K", "stories260K.bin")
QUANTIZE = sys.argv[1] if len(sys.argv) > 1 else "/tmp/peer/llama.cpp/build/bin/llama-quantize"
# ggml type -> llama-quantize's ftype name (MXFP4 is the MoE ftype; --pure makes every matrix MXFP4)
TYPES = {T.Q4_1: "Q4_1", T.Q5_0: "Q5_0", T.Q5_1: "Q5_1", T.MXFP4: "MXFP4_MOE", T.Q4_0: "Q4_0", T.Q8_0: "Q8_0"}
HIDDEN_KEPT = 160
TOKENS = os.path.join(REPO, "..", "shared", "reference", "stories260K", "seq1.tokens.txt")


def stories260k():
    """The llama2.c checkpoint as {gguf tensor name: float32 array [rows, cols]} and its config."""
    raw = np.fromfile(BIN, dtype=np.uint8)
    dim, hidden, layers, heads, kv_heads, vocab, seq = np.frombuffer(raw[:28].tobytes(), dtype=np.int32)
    vocab = abs(int(vocab))
    f = np.frombuffer(raw[28:].tobytes(), dtype=np.float32)
    kv_dim = dim * kv_heads // heads
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        a = f[pos:pos + n].reshape(shape)
        pos += n
        return a

    emb = take(vocab, dim)
    rms_att = take(layers, dim)
    wq, wk, wv, wo = take(layers, dim, dim), take(layers, kv_dim, dim), take(layers, kv_dim, dim), take(layers, dim, dim)
    rms_ffn = take(layers, dim)
    w1, w2, w3 = take(layers, hidden, dim), take(layers, dim, hidden), take(layers, hidden, dim)
    rms_final = take(dim)
    w = {"token_embd.weight": emb}
    for l in range(layers):
        b = "blk.%d." % l
        w[b + "attn_norm.weight"] = rms_att[l]
        w[b + "attn_q.weight"], w[b + "attn_k.weight"], w[b + "attn_v.weight"] = wq[l], wk[l], wv[l]
        w[b + "attn_output.weight"] = wo[l]
        w[b + "ffn_norm.weight"] = rms_ffn[l]
        w[b + "ffn_gate.weight"], w[b + "ffn_down.weight"], w[b + "ffn_up.weight"] = w1[l], w2[l], w3[l]
    w["output_norm.weight"] = rms_final
    cfg = dict(dim=int(dim), hidden=int(hidden), layers=int(layers), heads=int(heads), kv_heads=int(kv_heads), vocab=vocab, ctx=int(seq))
    return w, cfg


def edge_rows():
    """Hand-made 64-wide rows (two 32-blocks each) at the corners of the quantizers."""
    rows = []
    def row(a, b): rows.append(np.concatenate([np.asarray(a, np.float32), np.asarray(b, np.float32)]))
    rng = np.random.default_rng(15)
    z = np.zeros(32, np.float32)
    row(z, np.full(32, 0.75))                                    # all zero; constant
    one = z.copy(); one[7] = -0.3
    row(np.full(32, -2.5), one)                                  # constant negative; a single nonzero
    ramp = np.arange(-8, 8, 0.5, dtype=np.float32)               # Q4_0: d = 1, x + 8.5 on half steps
    row(ramp, ramp[::-1] * 2)                                    # Q5_0: d = 1 on the reversed doubled ramp
    ties = np.array([2.5, -2.5, 0.25, -0.25, 0.75, -0.75, 1.25, 5.0, -5.0, 3.5, 6.0, -6.0] + [0.1] * 20, np.float32)
    row(ties, ties * -1)                                         # MXFP4 (d = 0.5): values halfway between codes
    for k in (-3, -2, -1, 0, 1, 3):                              # amax just below / at a power of two
        a = rng.standard_normal(32).astype(np.float32) * np.float32(2.0 ** k) / 4
        b = a.copy()
        a[5] = np.nextafter(np.float32(2.0 ** k), np.float32(0))
        b[9] = -np.float32(2.0 ** k)
        row(a, b)
    for k in (-5, 2):                                            # a few ulps below the power of two
        a = rng.standard_normal(32).astype(np.float32) * np.float32(2.0 ** k) / 4
        a[0] = np.float32(2.0 ** k) * (1 - np.float32(3 * 2 ** -24))
        b = a * np.float32(-1)
        row(a, b)
    row(rng.standard_normal(32) * 1e-30, rng.standard_normal(32) * 3e3)   # tiny (f16 scale 0) and large
    eq = rng.standard_normal(32).astype(np.float32); eq[3], eq[20] = 1.5, -1.5
    eq2 = eq.copy(); eq2[3], eq2[20] = -1.5, 1.5
    row(eq, eq2)                                                 # equal +-extremes: the first one wins
    out = rng.standard_normal(32).astype(np.float32) * 0.02; out[11] = 0.9
    row(out, -out)                                               # one outlier
    return rows


def write_llama(path, tensors, cfg):
    """A float32 llama GGUF (the keys llama-quantize needs to load the hyper-parameters)."""
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_context_length(cfg["ctx"])
    w.add_embedding_length(cfg["dim"])
    w.add_feed_forward_length(cfg["hidden"])
    w.add_block_count(cfg["layers"])
    w.add_head_count(cfg["heads"])
    w.add_head_count_kv(cfg["kv_heads"])
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_vocab_size(cfg["vocab"])
    for name, a in tensors.items():
        w.add_tensor(name, np.ascontiguousarray(a, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def llama_quantize(src, dst, ftype):
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(QUANTIZE))
    subprocess.run([QUANTIZE, "--pure", src, dst, ftype], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {t.name: t for t in gguf.GGUFReader(dst).tensors}


def forward(w, tokens, cfg):
    """Logits [positions, vocab] of a llama model (float64 numpy: RMSNorm eps 1e-5, RoPE theta 10000 on
    adjacent pairs, grouped-query causal attention, SwiGLU, output tied to token_embd), independent of actlab."""
    dim, heads, kv_heads = cfg["dim"], cfg["heads"], cfg["kv_heads"]
    hs = dim // heads
    f = lambda n: w[n].astype(np.float64)

    def rms(x, g): return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5) * g

    def rope(x, nh):
        n = x.shape[0]
        x = x.reshape(n, nh, hs // 2, 2).copy()
        ang = np.arange(n)[:, None] * (10000.0 ** (-np.arange(0, hs, 2) / hs))[None, :]
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        a, b = x[..., 0].copy(), x[..., 1].copy()
        x[..., 0], x[..., 1] = a * cos - b * sin, a * sin + b * cos
        return x.reshape(n, nh * hs)

    x = f("token_embd.weight")[tokens]
    n = len(tokens)
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for l in range(cfg["layers"]):
        p = lambda s: f("blk.%d.%s.weight" % (l, s))
        h = rms(x, p("attn_norm"))
        q, k, v = rope(h @ p("attn_q").T, heads), rope(h @ p("attn_k").T, kv_heads), h @ p("attn_v").T
        z = np.zeros((n, dim))
        for hd in range(heads):
            kv = hd // (heads // kv_heads)
            s = q[:, hd * hs:(hd + 1) * hs] @ k[:, kv * hs:(kv + 1) * hs].T / np.sqrt(hs) + mask
            s = np.exp(s - s.max(axis=1, keepdims=True))
            z[:, hd * hs:(hd + 1) * hs] = (s / s.sum(axis=1, keepdims=True)) @ v[:, kv * hs:(kv + 1) * hs]
        x = x + z @ p("attn_output").T
        h = rms(x, p("ffn_norm"))
        g = h @ p("ffn_gate").T
        x = x + ((g / (1 + np.exp(-g))) * (h @ p("ffn_up").T)) @ p("ffn_down").T
    return rms(x, f("output_norm.weight")) @ f("token_embd.weight").T


def main():
    weights, cfg = stories260k()
    tmp = tempfile.mkdtemp(prefix="legacy-quants-")
    tokens = [int(t) for t in open(TOKENS).read().split()]

    # 2. (first) the whole model, FFN cut to HIDDEN_KEPT hidden units
    h = HIDDEN_KEPT
    cut = {}
    for name, a in weights.items():
        if name.endswith(("ffn_gate.weight", "ffn_up.weight")): a = a[:h]
        elif name.endswith("ffn_down.weight"): a = a[:, :h]
        cut[name] = a
    cut_cfg = dict(cfg, hidden=h)
    f32 = os.path.join(tmp, "stories260K-h160-f32.gguf")
    write_llama(f32, cut, cut_cfg)
    digests = {"source": "stories260K.bin (sha256 9414d5a2...c8d6), ffn_gate/ffn_up rows and ffn_down columns 0..159 kept",
               "tool": "llama-quantize --pure (ggml 0.9.7), generator src/test/python/make_legacy_quant_fixtures.py",
               "types": {}}
    last_logits = {}
    for t, ftype in TYPES.items():
        dst = os.path.join(tmp, "stories260K-h160-%s.gguf" % t.name)
        got = llama_quantize(f32, dst, ftype)
        per, deq = {}, {}
        agrees = True
        for name, ti in sorted(got.items()):
            data = np.asarray(ti.data).tobytes()
            per[name] = {"type": ti.tensor_type.name, "dims": [int(d) for d in ti.shape],
                         "sha256": hashlib.sha256(data).hexdigest()}
            if ti.tensor_type == t:
                agrees &= bool(np.array_equal(quants.quantize(cut[name], t).tobytes(), data))
                deq[name] = quants.dequantize(np.asarray(ti.data), t).reshape(cut[name].shape)
            else:
                deq[name] = np.asarray(ti.data, dtype=np.float32).reshape(cut[name].shape)
        with open(dst, "rb") as fh:
            file_sha = hashlib.sha256(fh.read()).hexdigest()
        digests["types"][t.name] = {"ftype": ftype, "file_sha256": file_sha, "file_bytes": os.path.getsize(dst),
                                    "ggufpy_agrees": agrees, "tensors": per}
        # reference logits of llama-quantize's file, dequantized by gguf-py, at the last position
        last_logits[t.name] = forward(deq, tokens, cut_cfg)[-1].astype(np.float32)
        print("model %-5s %7d bytes, llama-quantize == gguf-py for every matrix: %s" % (t.name, os.path.getsize(dst), agrees))
    with open(os.path.join(RES, "llama-quantize-stories260K-h160.json"), "w") as fh:
        json.dump(digests, fh, indent=1, sort_keys=True)
        fh.write("\n")

    # 1. rows: real weights, then edge blocks
    real = [weights["blk.0.attn_q.weight"][:8], weights["blk.2.ffn_gate.weight"][:8],
            weights["blk.4.ffn_down.weight"][:4, :64], weights["token_embd.weight"][100:104]]
    src = np.concatenate(real + [np.stack(edge_rows())]).astype(np.float32)
    f32 = os.path.join(tmp, "rows-f32.gguf")
    write_llama(f32, {"rows.weight": src}, dict(cfg, layers=1))
    out = gguf.GGUFWriter(os.path.join(RES, "legacy-quant-rows.gguf"), arch="llama")
    out.add_tensor("src", src)
    for t, ftype in TYPES.items():
        got = llama_quantize(f32, os.path.join(tmp, "rows-%s.gguf" % t.name), ftype)["rows.weight"]
        assert got.tensor_type == t, (t, got.tensor_type)
        expected = np.asarray(got.data, dtype=np.uint8).reshape(src.shape[0], -1)
        agrees = bool(np.array_equal(quants.quantize(src, t), expected))
        print("rows %-5s llama-quantize == gguf-py: %s" % (t.name, agrees))
        out.add_bool("test.ggufpy_agrees." + t.name, agrees)
        out.add_tensor("src." + t.name, expected, raw_shape=expected.shape, raw_dtype=t)
        out.add_array("test.stories260K_h160.last_logits." + t.name, [float(v) for v in last_logits[t.name]])
    out.add_array("test.stories260K_h160.tokens", tokens)
    out.add_string("test.provenance", "src/test/python/make_legacy_quant_fixtures.py: llama-quantize --pure (ggml 0.9.7) of src; "
                   "last_logits: numpy float64 forward of llama-quantize's stories260K-h160 file dequantized by gguf-py")
    out.write_header_to_file()
    out.write_kv_data_to_file()
    out.write_tensors_to_file()
    out.close()


if __name__ == "__main__":
    main()
