"""Checks actlab's SAE files with the Hugging Face safetensors package (pip install safetensors numpy).

  check DIR          read DIR/cfg.json and DIR/sae_weights.safetensors (SAELens layout); print as JSON the cfg,
                     every tensor's dtype and shape, and the reconstruction, computed here with numpy as SAELens
                     defines it, of the rows x[r, j] = sin(0.37 r d_in + 0.11 j) for r < 4
  write-sparsify DIR write an EleutherAI sparsify-layout SAE (cfg.json + sae.safetensors, d_in 8, 32 latents, k 4,
                     weights w[i] = cos(0.1 i) per tensor) for actlab to read

Written for actlab's tests (src/test/java/dev/actlab/sae/SaeSafetensorsPyTest.java); independent of actlab's code.
"""
import json
import sys

import numpy as np
from safetensors.numpy import load_file, save_file


def check(d):
    cfg = json.load(open(f"{d}/cfg.json"))
    t = load_file(f"{d}/sae_weights.safetensors")
    d_in = cfg["d_in"]
    r = np.arange(4, dtype=np.float64)[:, None]
    j = np.arange(d_in, dtype=np.float64)[None, :]
    x = np.sin(0.37 * r * d_in + 0.11 * j).astype(np.float32)
    w_enc, b_enc, w_dec, b_dec = (t[k].astype(np.float64) for k in ("W_enc", "b_enc", "W_dec", "b_dec"))
    xin = x - b_dec if cfg.get("apply_b_dec_to_input", True) else x
    pre = xin @ w_enc + b_enc
    if cfg["architecture"] == "topk":
        k = cfg["k"]
        f = np.zeros_like(pre)
        top = np.argsort(-pre, axis=1, kind="stable")[:, :k]
        np.put_along_axis(f, top, np.maximum(np.take_along_axis(pre, top, axis=1), 0), axis=1)
    elif cfg["architecture"] == "jumprelu":
        f = np.maximum(pre, 0) * (pre > t["threshold"].astype(np.float64))
    else:
        f = np.maximum(pre, 0)
    recon = f @ w_dec + b_dec
    print(json.dumps({
        "cfg": cfg,
        "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in t.items()},
        "l0": [int(c) for c in (f > 0).sum(axis=1)],
        "recon": recon.reshape(-1).tolist(),
    }))


def write_sparsify(d):
    import os
    os.makedirs(d, exist_ok=True)
    d_in, n = 8, 32
    def w(*shape):
        return np.cos(0.1 * np.arange(int(np.prod(shape)))).astype(np.float32).reshape(shape)
    save_file({"encoder.weight": w(n, d_in), "encoder.bias": w(n), "W_dec": w(n, d_in), "b_dec": w(d_in)}, f"{d}/sae.safetensors")
    json.dump({"expansion_factor": 4, "normalize_decoder": True, "num_latents": 0, "k": 4, "multi_topk": False,
               "skip_connection": False, "d_in": d_in}, open(f"{d}/cfg.json", "w"))


if __name__ == "__main__":
    {"check": check, "write-sparsify": write_sparsify}[sys.argv[1]](sys.argv[2])
