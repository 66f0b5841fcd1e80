"""Builds spm_bpe_fixture.json, the SentencePiece reference for SentencePieceBpeTokenizerTest.

Trains a small BPE model with the real SentencePiece library using Llama's settings (BPE,
byte_fallback, split_digits, identity normalization, dummy prefix, whitespace kept), then records
its vocabulary (piece, score, GGUF token type) and SentencePiece's own ids for a set of texts.
Run: python3 make_spm_fixture.py   (needs `pip install sentencepiece`; written with 0.2.2)
"""
import json, os, random, tempfile
import sentencepiece as spm

TRAIN = """Once upon a time, there was a little girl named Lily. She liked to play outside in the park.
One day, she saw a big red ball under a tree. She ran to the ball and picked it up.
Her mother said, "Lily, be careful! Don't run too fast." Lily smiled and said, "I'm fine, Mom."
The sun was shining and the birds were singing. They played together all day long.
Tom had a small dog. The dog's name was Max. Max liked to run and jump in the grass.
In 2024 there were 365 days, 12 months and 52 weeks; 3.14 is close to pi.
Der kleine Hund spielt im Garten. Die Straße ist groß und schön. Äpfel und Übungen.
Le café est très bon. La façade de l'hôtel est belle. Où est la gare?
小猫在花园里玩。今天天气很好。我们一起去公园吧。
def add(a, b):\n    return a + b\nprint(add(1, 2))
"""

TEXTS = [
    "Hello world", "Once upon a time, there was a little girl named Lily.", " leading space", "trailing space ",
    "  two leading", "a  b   c    d", "I'm sure they'll say it's fine.", "DON'T SHOUT", "line one\nline two\n\nline four",
    "\n", "tabs\there\t\tand\t", "1234567890", "3.14159 and 2,718,281", "café naïve résumé façade",
    "e\u0301 combining", "Straße Größe Äpfel Übung", "日本語のテキストです。", "小猫在花园里玩。", "Привет, как дела?",
    "emoji 😀 😃 ok", "family 👨\u200d👩\u200d👧 zwj", "math ∑ ∫ √ ≠", "def f(x):\n    return x ** 2\n", "{\"key\": [1, 2]}",
    "https://example.com/path?q=1", "$100 €50 £20", "The quick brown fox jumps over the lazy dog.", "a", " ", "",
    "the the the the", "playplayplay", "Lily and Tom played with the ball in the park.", "<sep> at the start",
    "middle <sep> of text", "end<sep>", "<sep><sep>", "don't<sep>do", "\u00a0non-breaking", "zero\u200bwidth",
]
random.seed(7)
POOLS = ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJ", "0123456789", " ", "  \n\t", ".,;:!?'\"()-", "éèàçñß", "中文字词语句", "ДЖЗИЙ", "😀🎉", "<sep>"]
for _ in range(120):
    s = ""
    for _ in range(random.randint(1, 12)):
        pool = random.choice(POOLS)
        s += pool if pool == "<sep>" else "".join(random.choice(pool) for _ in range(random.randint(1, 6)))
    TEXTS.append(s)

with tempfile.TemporaryDirectory() as d:
    corpus = os.path.join(d, "train.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        for _ in range(20):
            f.write(TRAIN)
    prefix = os.path.join(d, "m")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=600, byte_fallback=True,
        split_digits=True, normalization_rule_name="identity", add_dummy_prefix=True,
        remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, character_coverage=0.9995,
        user_defined_symbols=["<sep>"], unk_id=0, bos_id=1, eos_id=2, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")

def gguf_type(i):   # llama.cpp's token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
    if sp.is_unknown(i): return 2
    if sp.is_control(i): return 3
    if sp.is_byte(i): return 6
    if sp.is_unused(i): return 5
    if sp.id_to_piece(i) == "<sep>": return 4
    return 1

fixture = {
    "generator": "make_spm_fixture.py with sentencepiece " + spm.__version__,
    "pieces": [sp.id_to_piece(i) for i in range(sp.get_piece_size())],
    "scores": [sp.get_score(i) for i in range(sp.get_piece_size())],
    "types": [gguf_type(i) for i in range(sp.get_piece_size())],
    "bos": sp.bos_id(), "eos": sp.eos_id(), "unk": sp.unk_id(),
    "cases": [{"text": t, "ids": sp.encode(t), "decoded": sp.decode(sp.encode(t))} for t in TEXTS],
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "spm_bpe_fixture.json"), "w", encoding="utf-8") as f:
    json.dump(fixture, f, ensure_ascii=False, indent=0)
print(len(fixture["pieces"]), "pieces,", len(TEXTS), "texts")
