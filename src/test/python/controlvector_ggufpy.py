"""llama.cpp control vectors through llama.cpp's own Python package gguf-py (`pip install gguf`).

  python3 src/test/python/controlvector_ggufpy.py write
      writes src/test/resources/gguf/controlvector-ggufpy.gguf the way llama.cpp's cvector-generator
      lays one out (general.architecture "controlvector", controlvector.model_hint, controlvector.layer_count
      int32, F32 tensors direction.1 .. direction.3 of 16 values, direction.N[i] = N + i / 16);
      ControlVectorGgufPyTest reads it with actlab.

  python3 src/test/python/controlvector_ggufpy.py check FILE
      reads a control vector written by actlab with gguf-py's GGUFReader, asserts the keys, their
      kinds and the tensors' types and shapes, and prints them (with the values) as JSON for the
      Java test to compare with what it wrote.
"""
import importlib.metadata
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGUFReader, GGUFValueType, GGMLQuantizationType


def write():
    out = os.path.join(os.path.dirname(__file__), "..", "resources", "gguf", "controlvector-ggufpy.gguf")
    w = gguf.GGUFWriter(out, arch="controlvector")
    w.add_string("controlvector.model_hint", "llama")
    w.add_int32("controlvector.layer_count", 3)
    for n in (1, 2, 3):
        w.add_tensor(f"direction.{n}", (n + np.arange(16, dtype=np.float32) / 16).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(out)


def scalar(field):
    return field.parts[field.data[0]].tolist()[0]


def check(path):
    r = GGUFReader(path)
    arch = r.get_field("general.architecture")
    assert arch is not None and arch.types == [GGUFValueType.STRING], "general.architecture is a string"
    assert arch.contents() == "controlvector", arch.contents()
    hint = r.get_field("controlvector.model_hint")
    assert hint is not None and hint.types == [GGUFValueType.STRING], "controlvector.model_hint is a string"
    count = r.get_field("controlvector.layer_count")
    assert count is not None and count.types == [GGUFValueType.INT32], "controlvector.layer_count is an int32"
    assert scalar(count) == len(r.tensors), (scalar(count), len(r.tensors))
    tensors = {}
    n_embd = None
    for t in r.tensors:
        assert t.name.startswith("direction.") and int(t.name.split(".")[1]) >= 1, t.name
        assert t.tensor_type == GGMLQuantizationType.F32, (t.name, t.tensor_type)
        assert len(t.shape) == 1, (t.name, t.shape.tolist())
        n_embd = n_embd or int(t.shape[0])
        assert int(t.shape[0]) == n_embd, (t.name, t.shape.tolist())
        tensors[t.name] = {"type": t.tensor_type.name, "shape": [int(s) for s in t.shape],
                           "values": [float(v) for v in np.asarray(t.data, dtype=np.float32).reshape(-1)]}
    print(json.dumps({"architecture": arch.contents(), "model_hint": hint.contents(),
                      "layer_count": scalar(count), "layer_count_type": count.types[0].name,
                      "gguf_py": importlib.metadata.version("gguf"), "tensors": tensors}))


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        write()
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
