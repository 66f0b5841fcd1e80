"""Writes src/test/resources/gguf/ggufpy-reference.gguf with llama.cpp's own Python package
(gguf-py, `pip install gguf`): the third-party reference that actlab's GGUF reader, quantizers
and dequantizers are tested against (GgufPyReferenceTest).

Contents: one metadata value of every kind (and arrays of every element kind); a float32 source
matrix "src" [4 x 256] quantized by gguf-py to F16, BF16, Q8_0, Q4_0, Q4_1 (tensors "src.<type>");
random K-quant blocks "rand.<type>" (Q4_K, Q5_K, Q6_K, Q8_0, Q4_1 with valid half-float scales) and
their gguf-py dequantization "rand.<type>.deq" as float32.

Usage: python3 src/test/python/make_ggufpy_fixture.py  (deterministic: seed 1234)
"""
import os
import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants

rng = np.random.default_rng(1234)
out = os.path.join(os.path.dirname(__file__), "..", "resources", "gguf", "ggufpy-reference.gguf")
w = gguf.GGUFWriter(out, arch="llama")
w.add_uint8("test.u8", 200)
w.add_int8("test.i8", -100)
w.add_uint16("test.u16", 60000)
w.add_int16("test.i16", -30000)
w.add_uint32("test.u32", 4000000000)
w.add_int32("test.i32", -2000000000)
w.add_float32("test.f32", 3.25)
w.add_uint64("test.u64", 18000000000000000000)
w.add_int64("test.i64", -9000000000000000000)
w.add_float64("test.f64", -1.0 / 3.0)
w.add_bool("test.bool", True)
w.add_string("test.string", "héllo ▁world")
w.add_array("test.arr_str", ["a", "", "ünï"])
w.add_array("test.arr_i32", [1, -2, 3])
w.add_array("test.arr_f32", [0.5, -1.5])
w.add_array("test.arr_bool", [True, False, True])

src = rng.standard_normal((4, 256)).astype(np.float32)
src[1] *= 0.01
src[2, :32] = 0.0                 # an all-zero block
src[3, 32:64] = 0.75              # a constant block
w.add_tensor("src", src)
for t in (T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1):
    q = quants.quantize(src, t)
    w.add_tensor("src." + t.name, q, raw_shape=q.shape, raw_dtype=t)

for t in (T.Q4_K, T.Q5_K, T.Q6_K, T.Q8_0, T.Q4_1):
    block_size, type_size = gguf.GGML_QUANT_SIZES[t]
    rows, cols = 4, 512
    raw = rng.integers(0, 256, size=(rows, cols // block_size, type_size), dtype=np.uint8)
    # half-float scales: small positive values so every decoded weight is finite
    halves = {T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208], T.Q8_0: [0], T.Q4_1: [0, 2]}[t]
    for h in halves:
        v = rng.uniform(0.001, 0.1, size=raw.shape[:2]).astype(np.float16)
        if t == T.Q4_1 and h == 2:
            v = -v
        raw[:, :, h:h + 2] = v.view(np.uint8).reshape(rows, cols // block_size, 2)
    raw = raw.reshape(rows, -1)
    w.add_tensor("rand." + t.name, raw, raw_shape=raw.shape, raw_dtype=t)
    w.add_tensor("rand." + t.name + ".deq", quants.dequantize(raw, t).astype(np.float32))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print("wrote", out, os.path.getsize(out), "bytes")
print({t.name: gguf.GGML_QUANT_SIZES[t] for t in T})
