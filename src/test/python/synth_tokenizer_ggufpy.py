"""Reads a GGUF written by `actlab synth` with llama.cpp's own Python package gguf-py
(`pip install gguf`) and checks the tokenizer keys llama.cpp's "llama" (SentencePiece) vocabulary
loader reads: tokenizer.ggml.model "llama"; tokens (array of strings), scores (float32) and
token_type (int32) of one entry per row of token_embd.weight; bos/eos/unknown ids (uint32) inside
the vocabulary; the byte-fallback tokens <0x00>..<0xFF> (type 6), <0x0A> among them for llama.cpp's
newline token. Prints a JSON summary for SynthCommandTest; exits non-zero on the first violation.

Usage: python3 src/test/python/synth_tokenizer_ggufpy.py FILE.gguf
"""
import json
import sys

from gguf import GGUFReader, GGUFValueType


def main(path):
    r = GGUFReader(path)
    f = r.fields

    def scalar(key, kind):
        fld = f[key]
        assert fld.types == [kind], "%s has types %s, expected %s" % (key, fld.types, kind)
        return fld.contents()

    def array(key, kind):
        fld = f[key]
        assert fld.types == [GGUFValueType.ARRAY, kind], "%s has types %s, expected array of %s" % (key, fld.types, kind)
        return fld.contents()

    assert scalar("tokenizer.ggml.model", GGUFValueType.STRING) == "llama"
    tokens = array("tokenizer.ggml.tokens", GGUFValueType.STRING)
    scores = array("tokenizer.ggml.scores", GGUFValueType.FLOAT32)
    types = array("tokenizer.ggml.token_type", GGUFValueType.INT32)
    embd = next(t for t in r.tensors if t.name == "token_embd.weight")
    vocab = int(embd.shape[1])   # gguf-py gives ggml's order: [n_embd, n_vocab]
    assert len(tokens) == len(scores) == len(types) == vocab, (len(tokens), len(scores), len(types), vocab)
    assert len(set(tokens)) == vocab, "tokens are not unique"
    ids = {k: scalar("tokenizer.ggml.%s_token_id" % k, GGUFValueType.UINT32) for k in ("bos", "eos", "unknown")}
    assert all(0 <= v < vocab for v in ids.values()), ids
    byte_tokens = [i for i, t in enumerate(types) if t == 6]
    assert sorted(tokens[i] for i in byte_tokens) == ["<0x%02X>" % b for b in range(256)], "byte tokens"
    assert "<0x0A>" in tokens
    print(json.dumps({"model": "llama", "vocab": vocab, "tokens": len(tokens), "byte_tokens": len(byte_tokens),
                      "bos": ids["bos"], "eos": ids["eos"], "unknown": ids["unknown"],
                      "bos_token": tokens[ids["bos"]], "eos_token": tokens[ids["eos"]],
                      "add_bos_token": bool(scalar("tokenizer.ggml.add_bos_token", GGUFValueType.BOOL))}))


main(sys.argv[1])
