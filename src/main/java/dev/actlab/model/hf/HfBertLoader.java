package dev.actlab.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.actlab.io.FormatException;
import dev.actlab.model.bert.BertConfig;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.bert.BertWeights;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.model.tokenizer.WordPieceTokenizer;
import dev.actlab.tensor.F32PanelMatrix;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face BERT checkpoint directory: config.json (model_type "bert", hidden_act "gelu"),
 * one model.safetensors with BertModel's names (optionally under a "bert." prefix, as
 * BertFor... heads save them), and tokenizer.json (WordPiece). Linear weights are stored as
 * PyTorch does, [out, in], which is already actlab's row layout. Sharded checkpoints are not read.
 */
public final class HfBertLoader {
    private HfBertLoader() {}

    /** True when the directory's config.json says model_type "bert". */
    public static boolean isBert(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) return false;
        try { return "bert".equals(HfLlamaLoader.readJson(cfg).path("model_type").asText()); }
        catch (IOException e) { return false; }
    }

    public static BertModel load(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json");
        JsonNode cfg = HfLlamaLoader.readJson(configFile);
        String type = cfg.path("model_type").asText("");
        if (!type.equals("bert")) throw JsonFieldOffsets.error(configFile, "model_type", "is '" + type + "', expected bert");
        String act = cfg.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) throw JsonFieldOffsets.error(configFile, "hidden_act", "is '" + act + "'; only BERT's exact (erf) gelu is implemented");
        String embType = cfg.path("position_embedding_type").asText("absolute");
        if (!embType.equals("absolute")) throw JsonFieldOffsets.error(configFile, "position_embedding_type", "is '" + embType + "', only absolute is supported");
        BertConfig c = new BertConfig(integer(configFile, cfg, "vocab_size"), integer(configFile, cfg, "max_position_embeddings"),
                integer(configFile, cfg, "type_vocab_size"), integer(configFile, cfg, "hidden_size"), integer(configFile, cfg, "num_hidden_layers"),
                integer(configFile, cfg, "num_attention_heads"), integer(configFile, cfg, "intermediate_size"),
                layerNormEps(configFile, cfg));

        Path weightsFile = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(weightsFile))
            throw new FormatException(dir, "model.safetensors", 0, "is missing (sharded BERT checkpoints are not supported)");
        SafetensorsFile sf = SafetensorsFile.open(weightsFile);
        // matrices are repacked into panels (an outer-product GEMM layout) for batched encoding
        java.util.function.UnaryOperator<WeightMatrix> pack = F32PanelMatrix::of;
        String p = sf.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        int d = c.dModel(), L = c.layers(), m = c.dMlp();
        WeightMatrix[] wq = new WeightMatrix[L], wk = new WeightMatrix[L], wv = new WeightMatrix[L], wo = new WeightMatrix[L], wIn = new WeightMatrix[L], wOut = new WeightMatrix[L];
        float[][] bq = new float[L][], bk = new float[L][], bv = new float[L][], bo = new float[L][], bIn = new float[L][], bOut = new float[L][];
        float[][] ln1w = new float[L][], ln1b = new float[L][], ln2w = new float[L][], ln2b = new float[L][];
        for (int l = 0; l < L; l++) {
            String b = p + "encoder.layer." + l + ".";
            wq[l] = pack.apply(sf.matrix(b + "attention.self.query.weight", d, d)); bq[l] = sf.floats(b + "attention.self.query.bias", d);
            wk[l] = pack.apply(sf.matrix(b + "attention.self.key.weight", d, d)); bk[l] = sf.floats(b + "attention.self.key.bias", d);
            wv[l] = pack.apply(sf.matrix(b + "attention.self.value.weight", d, d)); bv[l] = sf.floats(b + "attention.self.value.bias", d);
            wo[l] = pack.apply(sf.matrix(b + "attention.output.dense.weight", d, d)); bo[l] = sf.floats(b + "attention.output.dense.bias", d);
            ln1w[l] = sf.floats(b + "attention.output.LayerNorm.weight", d); ln1b[l] = sf.floats(b + "attention.output.LayerNorm.bias", d);
            wIn[l] = pack.apply(sf.matrix(b + "intermediate.dense.weight", m, d)); bIn[l] = sf.floats(b + "intermediate.dense.bias", m);
            wOut[l] = pack.apply(sf.matrix(b + "output.dense.weight", d, m)); bOut[l] = sf.floats(b + "output.dense.bias", d);
            ln2w[l] = sf.floats(b + "output.LayerNorm.weight", d); ln2b[l] = sf.floats(b + "output.LayerNorm.bias", d);
        }
        String e = p + "embeddings.";
        BertWeights w = new BertWeights(
                sf.floats(e + "word_embeddings.weight", c.vocabSize(), d), sf.floats(e + "position_embeddings.weight", c.maxPositions(), d),
                sf.floats(e + "token_type_embeddings.weight", c.typeVocab(), d),
                sf.floats(e + "LayerNorm.weight", d), sf.floats(e + "LayerNorm.bias", d),
                wq, wk, wv, bq, bk, bv, wo, bo, ln1w, ln1b, wIn, bIn, wOut, bOut, ln2w, ln2b);

        Path tokFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokFile)) throw new FormatException(dir, "tokenizer.json", 0, "is missing (a BERT checkpoint needs its WordPiece vocabulary)");
        WordPieceTokenizer tok;
        try (InputStream in = Files.newInputStream(tokFile)) { tok = WordPieceTokenizer.fromJson(in, tokFile); }
        if (tok.vocabSize() != c.vocabSize())
            throw new FormatException(tokFile, "model.vocab", 0, "has " + tok.vocabSize() + " pieces, config.json vocab_size is " + c.vocabSize());
        return new BertModel(c, w, tok.withModelLimit(c.maxPositions()), dir.toString());
    }

    /** layer_norm_eps: finite and in (0, 1), 1e-12 when absent; a NaN or negative epsilon makes every output NaN. */
    private static float layerNormEps(Path file, JsonNode cfg) throws FormatException {
        JsonNode v = cfg.get("layer_norm_eps");
        if (v == null || v.isNull()) return 1e-12f;
        float x = (float) v.asDouble();
        if (!v.isNumber() || !(x > 0 && x < 1 && Float.isFinite(x)))
            throw JsonFieldOffsets.error(file, "layer_norm_eps", "'" + v + "' is not a finite number in (0.0, 1.0)");
        return x;
    }

    private static int integer(Path file, JsonNode cfg, String field) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0)
            throw JsonFieldOffsets.error(file, field, v == null ? "is missing" : "'" + v + "' is not a positive integer");
        return v.asInt();
    }
}
