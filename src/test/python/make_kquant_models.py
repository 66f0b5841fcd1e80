"""Writes src/test/resources/gguf/kquant-<TYPE>.gguf for TYPE in Q4_K, Q5_K, Q6_K: a whole small
Llama model whose every matrix (q, k, v, o, gate, up, down of both blocks, and the output
projection) is stored in that K-quant type, with reference logits computed here, independently
of actlab (KQuantModelTest).

gguf-py (llama.cpp's own Python package, `pip install gguf`, tested with 0.19.0) can dequantize
the K-quants but cannot quantize them, so the blocks are random valid blocks: random bytes for the
quants and the packed 6-bit (Q4_K/Q5_K) or int8 (Q6_K) sub-block scales, with the half-float super-
block scales d (and dmin) set to small positive values chosen so that the weights are roughly
zero-mean with a standard deviation near 0.05 (a sane scale for a 256-wide model). Every byte
pattern of the quants and sub-block scales is a valid block, so these exercise the whole decoder.

The reference: gguf-py's numpy dequantizer turns each matrix into float32 weights, and a plain
numpy Llama forward pass (float64: RMSNorm, RoPE on adjacent pairs as llama.cpp's LLAMA rope
type, grouped-query causal attention, SwiGLU) computes the logits of every position of the
prompt `test.tokens`. They are stored in the same file as metadata: `test.tokens` (int32 array)
and `test.logits` (float32 array, [positions x vocab] row-major).

Shape: dim 256 (one 256-weight super-block per row), 2 blocks, 4 heads of 64, 2 KV heads,
FFN 256, vocabulary 96, context 64; token_embd and the norms are float32.

Usage: python3 src/test/python/make_kquant_models.py  (deterministic: seed 2026)
"""
import os
import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants

DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, CTX = 256, 256, 2, 4, 2, 96, 64
HS = DIM // HEADS
EPS, THETA = 1e-5, 10000.0
TOKENS = [1, 17, 42, 5, 88, 63, 17, 9, 0, 95, 31, 42, 7, 50]

# per type: byte offsets of the half-float d (and dmin), and the d that gives weights of std ~0.05,
# dmin as a multiple of d that centres d*sc*q - dmin*m near zero (mean sc*q over mean m)
LAYOUT = {T.Q4_K: (0, 2, 2.3e-4, 7.5), T.Q5_K: (0, 2, 1.1e-4, 15.5), T.Q6_K: (208, None, 3.6e-5, None)}


def random_blocks(rng, t, rows, cols):
    block_size, type_size = gguf.GGML_QUANT_SIZES[t]
    d_at, dmin_at, d_scale, dmin_ratio = LAYOUT[t]
    raw = rng.integers(0, 256, size=(rows, cols // block_size, type_size), dtype=np.uint8)
    d = (d_scale * rng.uniform(0.5, 1.5, size=raw.shape[:2])).astype(np.float16)
    raw[:, :, d_at:d_at + 2] = d.view(np.uint8).reshape(rows, cols // block_size, 2)
    if dmin_at is not None:
        dmin = (d.astype(np.float64) * dmin_ratio * rng.uniform(0.7, 1.3, size=d.shape)).astype(np.float16)
        raw[:, :, dmin_at:dmin_at + 2] = dmin.view(np.uint8).reshape(rows, cols // block_size, 2)
    return raw.reshape(rows, -1)


def rmsnorm(x, w):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def rope(x, n_heads):
    # x [n, heads * HS]; pairs (2i, 2i+1) of each head rotate by pos * THETA^(-2i/HS)
    n = x.shape[0]
    x = x.reshape(n, n_heads, HS // 2, 2).copy()
    freq = THETA ** (-np.arange(0, HS, 2) / HS)
    ang = np.arange(n)[:, None] * freq[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., 0].copy(), x[..., 1].copy()
    x[..., 0] = a * cos - b * sin
    x[..., 1] = a * sin + b * cos
    return x.reshape(n, n_heads * HS)


def forward(w, tokens):
    x = w["token_embd.weight"][tokens].astype(np.float64)
    n = len(tokens)
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for l in range(LAYERS):
        p = lambda s: w["blk.%d.%s.weight" % (l, s)].astype(np.float64)
        h = rmsnorm(x, p("attn_norm"))
        q, k, v = rope(h @ p("attn_q").T, HEADS), rope(h @ p("attn_k").T, KV_HEADS), h @ p("attn_v").T
        z = np.zeros((n, DIM))
        for hd in range(HEADS):
            kv = hd // (HEADS // KV_HEADS)
            qh, kh, vh = q[:, hd * HS:(hd + 1) * HS], k[:, kv * HS:(kv + 1) * HS], v[:, kv * HS:(kv + 1) * HS]
            s = qh @ kh.T / np.sqrt(HS) + mask
            s = np.exp(s - s.max(axis=1, keepdims=True))
            z[:, hd * HS:(hd + 1) * HS] = (s / s.sum(axis=1, keepdims=True)) @ vh
        x = x + z @ p("attn_output").T
        h = rmsnorm(x, p("ffn_norm"))
        g = h @ p("ffn_gate").T
        x = x + ((g / (1 + np.exp(-g))) * (h @ p("ffn_up").T)) @ p("ffn_down").T
    return rmsnorm(x, w["output_norm.weight"].astype(np.float64)) @ w["output.weight"].astype(np.float64).T


def write(t, seed):
    rng = np.random.default_rng(seed)
    out = os.path.join(os.path.dirname(__file__), "..", "resources", "gguf", "kquant-%s.gguf" % t.name)
    wr = gguf.GGUFWriter(out, arch="llama")
    wr.add_context_length(CTX)
    wr.add_embedding_length(DIM)
    wr.add_feed_forward_length(HIDDEN)
    wr.add_block_count(LAYERS)
    wr.add_head_count(HEADS)
    wr.add_head_count_kv(KV_HEADS)
    wr.add_layer_norm_rms_eps(EPS)
    wr.add_rope_freq_base(THETA)
    wr.add_vocab_size(VOCAB)
    weights = {}

    def dense(name, shape, make):
        a = make(shape).astype(np.float32)
        weights[name] = a
        wr.add_tensor(name, a)

    def kquant(name, rows, cols):
        raw = random_blocks(rng, t, rows, cols)
        weights[name] = quants.dequantize(raw, t).astype(np.float32)
        wr.add_tensor(name, raw, raw_shape=raw.shape, raw_dtype=t)

    dense("token_embd.weight", (VOCAB, DIM), rng.standard_normal)
    for l in range(LAYERS):
        b = "blk.%d." % l
        dense(b + "attn_norm.weight", (DIM,), lambda s: rng.uniform(0.8, 1.2, s))
        kquant(b + "attn_q.weight", DIM, DIM)
        kquant(b + "attn_k.weight", KV_HEADS * HS, DIM)
        kquant(b + "attn_v.weight", KV_HEADS * HS, DIM)
        kquant(b + "attn_output.weight", DIM, DIM)
        dense(b + "ffn_norm.weight", (DIM,), lambda s: rng.uniform(0.8, 1.2, s))
        kquant(b + "ffn_gate.weight", HIDDEN, DIM)
        kquant(b + "ffn_up.weight", HIDDEN, DIM)
        kquant(b + "ffn_down.weight", DIM, HIDDEN)
    dense("output_norm.weight", (DIM,), lambda s: rng.uniform(0.8, 1.2, s))
    kquant("output.weight", VOCAB, DIM)

    logits = forward(weights, TOKENS)
    assert np.all(np.isfinite(logits))
    wr.add_array("test.tokens", [int(x) for x in TOKENS])
    wr.add_array("test.logits", [float(x) for x in logits.astype(np.float32).ravel()])
    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()
    print("wrote", out, os.path.getsize(out), "bytes; logits std %.3f, max |logit| %.3f" % (logits.std(), np.abs(logits).max()),
          "weight std", {k: round(float(v.std()), 4) for k, v in weights.items() if k.startswith("blk.0.attn_q") or k == "output.weight"})


for i, t in enumerate((T.Q4_K, T.Q5_K, T.Q6_K)):
    write(t, 2026 + i)
