package dev.actlab.model.onnx;

import java.util.List;
import java.util.Map;

/**
 * One operator of an ONNX graph: its type, the names of the values it reads and writes, and its
 * tensor-valued attributes (a Constant node's {@code value}).
 */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs, Map<String, OnnxTensor> tensorAttributes) {
    public String input(int i) { return i < inputs.size() ? inputs.get(i) : ""; }

    public String output() { return outputs.isEmpty() ? "" : outputs.get(0); }
}
