#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into OUT/<target>/ from
tests/fixtures (small, valid inputs; large fixtures are cut down so each
run stays fast). Usage: fuzz-seeds.py FIXTURES OUT"""
import json
import pathlib
import shutil
import struct
import sys

fixtures = pathlib.Path(sys.argv[1])
out = pathlib.Path(sys.argv[2])
models = ["idefics2-tiny", "idefics1-tiny", "smolvlm-tiny"]


def target(name):
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def put(name, file, data):
    (target(name) / file).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors):
    header, blob = {"__metadata__": {"format": "pt"}}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + blob


# config.json
for m in models:
    p = fixtures / m / "config.json"
    if p.exists():
        put("fuzz-config", f"{m}.json", p.read_bytes())

# safetensors: small files of each dtype
put("fuzz-safetensors", "f32.safetensors", safetensors([("w", "F32", [2, 2], bytes(16)), ("b", "F32", [2], bytes(8))]))
put("fuzz-safetensors", "bf16.safetensors", safetensors([("x", "BF16", [3, 1], bytes(6))]))
put("fuzz-safetensors", "f16-i64.safetensors", safetensors([("h", "F16", [4], bytes(8)), ("i", "I64", [1], bytes(8))]))
put("fuzz-safetensors", "empty.safetensors", safetensors([("e", "F32", [0, 5], b"")]))

# tokenizer.json: the fixture's, cut to the first 400 ids and the merges
# among them (the whole file is 1.8 MB: one parse per input would crawl).
for m in models:
    p = fixtures / m / "tokenizer.json"
    if not p.exists():
        continue
    t = json.loads(p.read_text(encoding="utf-8"))
    model = t.get("model", {})
    if model.get("type") != "BPE":
        continue
    vocab = {k: v for k, v in model["vocab"].items() if v < 400}
    merges = []
    for mg in model.get("merges", []):
        a, b = mg.split(" ", 1) if isinstance(mg, str) else mg
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(mg)
    model["vocab"], model["merges"] = vocab, merges
    t["added_tokens"] = [a for a in t.get("added_tokens", []) if a["id"] < 400]
    put("fuzz-tokenizer", f"{m}.json", json.dumps(t, ensure_ascii=False))

# text to encode
for i, text in enumerate(["Hello world", "User:<image>What does it say?<end_of_utterance>\nAssistant:",
                          "  leading spaces\tand\ttabs\n\n", "naïve café 東京 🙂", "\x00\x01\xff bytes"]):
    put("fuzz-encode", f"text{i}.txt", text.encode("utf-8", "surrogateescape"))

# images: the small fixtures
for p in sorted((fixtures / "images").glob("*")):
    if p.stat().st_size <= 40000:
        shutil.copy(p, target("fuzz-image") / p.name)

# snapshot index
for m in models:
    p = fixtures / m / "model.safetensors.index.json"
    if p.exists():
        put("fuzz-snapshot-index", f"{m}.json", p.read_bytes())

# hub API answers (the shape of GET /api/models/{repo}/revision/{rev})
siblings = [{"rfilename": "config.json", "size": 1200},
            {"rfilename": "tokenizer.json", "size": 1795882},
            {"rfilename": "model.safetensors.index.json", "size": 8268},
            {"rfilename": "model-00001-of-00002.safetensors", "size": 4800000,
             "lfs": {"sha256": "a" * 64, "size": 4800000, "pointerSize": 135}},
            {"rfilename": "README.md", "size": 10}]
put("fuzz-hub", "revision.json", json.dumps({"id": "owner/name", "sha": "0123456789abcdef0123456789abcdef01234567",
                                             "siblings": siblings}))
put("fuzz-hub", "single.json", json.dumps({"id": "o/n", "sha": "f" * 40,
                                           "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}]}))
p = fixtures / "idefics2-tiny" / "model.safetensors.index.json"
put("fuzz-hub", "index.json", p.read_bytes())
