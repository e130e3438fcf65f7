#!/usr/bin/env python3
"""Write the text model of an IDEFICS2 checkpoint as a llama GGUF file.

A peer-benchmark tool, not part of Regard (see README.md here): it lets
llama.cpp run the very weights `regard-cli bench` runs, e.g. the random
0.85B checkpoint from `build/tools/gen-checkpoint --preset 0.85b`.

  python3 hf-to-gguf.py CHECKPOINT_DIR OUT.gguf --type q8_0

Needs only Python 3 and numpy (Debian: python3-numpy). The GGUF writer,
the ggml Q8_0/Q4_0 block layouts and the Q/K permutation are written
here from the format's description, so no llama.cpp checkout or `gguf`
package is needed.

--type q4_0 writes Regard's mixed 4-bit format by default (the embedding,
lm_head and the k/v projections Q8_0, every other matrix Q4_0) so both
programs read the same bytes; --q4-mix pure makes every matrix Q4_0
(llama-quantize --pure). Norm weights stay f32, as llama.cpp keeps them.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

# ---- ggml / GGUF constants ---------------------------------------------

GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0 = 0, 1, 2, 8
QK = 32                                   # weights per Q4_0 / Q8_0 block
BLOCK_BYTES = {GGML_Q4_0: 2 + QK // 2, GGML_Q8_0: 2 + QK}
FILE_TYPE = {"f16": 1, "q4_0": 2, "q8_0": 7}  # llama_ftype MOSTLY_*

GGUF_U32, GGUF_I32, GGUF_F32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 7, 8, 9
ALIGN = 32                                # general.alignment's default

# llama.cpp's token types (llama_token_type)
TOK_NORMAL, TOK_UNKNOWN, TOK_CONTROL, TOK_USER, TOK_BYTE = 1, 2, 3, 4, 6


# ---- safetensors ---------------------------------------------------------

class Checkpoint:
    """The tensors of a (possibly sharded) safetensors checkpoint, mapped."""

    def __init__(self, d):
        index = os.path.join(d, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                files = sorted(set(json.load(f)["weight_map"].values()))
        else:
            files = ["model.safetensors"]
        self.tensors = {}
        for name in files:
            path = os.path.join(d, name)
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                if n > size - 8:
                    sys.exit(f"{path}: header of {n} bytes does not fit the file")
                header = json.loads(f.read(n))
            mm = np.memmap(path, dtype=np.uint8, mode="r")
            for key, info in header.items():
                if key == "__metadata__":
                    continue
                start, end = info["data_offsets"]
                if not 0 <= start <= end <= size - 8 - n:
                    sys.exit(f"{path}: {key} lies outside the file")
                self.tensors[key] = (info["dtype"], info["shape"], mm[8 + n + start:8 + n + end])

    def shape(self, key):
        return self.tensors[key][1]

    def f32(self, key):
        dtype, shape, raw = self.tensors[key]
        count = int(np.prod(shape))
        if dtype == "BF16":
            x = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif dtype == "F16":
            x = raw.view(np.float16).astype(np.float32)
        elif dtype == "F32":
            x = raw.view(np.float32).copy()
        else:
            sys.exit(f"{key}: dtype {dtype} not supported")
        if x.size != count:
            sys.exit(f"{key}: {raw.size} bytes for shape {shape}")
        return x.reshape(shape)


# ---- ggml quantization (quantize_row_q8_0_ref / quantize_row_q4_0_ref) ----

def round_away(x):
    """C's roundf: halves away from zero (numpy rounds them to even)."""
    return np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))


def quant_q8_0(x):
    b = x.reshape(-1, QK).astype(np.float32)
    d = np.abs(b).max(axis=1) / np.float32(127)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = round_away(b * inv[:, None]).astype(np.int8)
    out = np.empty((b.shape[0], BLOCK_BYTES[GGML_Q8_0]), np.uint8)
    out[:, :2] = d.astype(np.float16)[:, None].view(np.uint8)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quant_q4_0(x):
    b = x.reshape(-1, QK).astype(np.float32)
    # the signed value of largest magnitude (the first, as the C loop keeps)
    m = b[np.arange(b.shape[0]), np.abs(b).argmax(axis=1)]
    d = m / np.float32(-8)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    # (int8_t)(v + 8.5f) truncates; v + 8.5 >= 0.5 here, so floor
    q = np.minimum(15, np.floor(b * inv[:, None] + np.float32(8.5))).astype(np.uint8)
    out = np.empty((b.shape[0], BLOCK_BYTES[GGML_Q4_0]), np.uint8)
    out[:, :2] = d.astype(np.float16)[:, None].view(np.uint8)
    out[:, 2:] = q[:, :QK // 2] | (q[:, QK // 2:] << 4)   # low nibbles: 0..15
    return out.tobytes()


def tensor_bytes(gtype, shape):
    n = int(np.prod(shape))
    if gtype == GGML_F32:
        return 4 * n
    if gtype == GGML_F16:
        return 2 * n
    return n // QK * BLOCK_BYTES[gtype]


def encode(gtype, x):
    if gtype == GGML_F32:
        return x.astype(np.float32).tobytes()
    if gtype == GGML_F16:
        return x.astype(np.float16).tobytes()
    if gtype == GGML_Q8_0:
        return quant_q8_0(x)
    return quant_q4_0(x)


# ---- the model -----------------------------------------------------------

def permute(w, n_head):
    """HF's q/k rows rotate halves (rotate_half); llama.cpp's LLAMA RoPE
    rotates adjacent pairs: interleave each head's two halves, as
    convert_hf_to_gguf.py's LlamaModel.permute does."""
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2)
            .reshape(w.shape))


def plan_tensors(ck, tc, ftype, q4_mix):
    """[(gguf name, hf name, shape, ggml type, transform)] in file order."""
    pre = "model.text_model."
    n_head, n_kv = tc["num_attention_heads"], tc["num_key_value_heads"]
    mat = {"f16": GGML_F16, "q8_0": GGML_Q8_0, "q4_0": GGML_Q4_0}[ftype]
    keep8 = GGML_Q8_0 if (ftype == "q4_0" and q4_mix == "regard") else mat
    lm_head = "lm_head.weight" if "lm_head.weight" in ck.tensors else pre + "embed_tokens.weight"

    plan = [("token_embd.weight", pre + "embed_tokens.weight", keep8, None)]
    for i in range(tc["num_hidden_layers"]):
        L = f"{pre}layers.{i}."
        plan += [
            (f"blk.{i}.attn_norm.weight", L + "input_layernorm.weight", GGML_F32, None),
            (f"blk.{i}.attn_q.weight", L + "self_attn.q_proj.weight", mat, lambda w: permute(w, n_head)),
            (f"blk.{i}.attn_k.weight", L + "self_attn.k_proj.weight", keep8, lambda w: permute(w, n_kv)),
            (f"blk.{i}.attn_v.weight", L + "self_attn.v_proj.weight", keep8, None),
            (f"blk.{i}.attn_output.weight", L + "self_attn.o_proj.weight", mat, None),
            (f"blk.{i}.ffn_norm.weight", L + "post_attention_layernorm.weight", GGML_F32, None),
            (f"blk.{i}.ffn_gate.weight", L + "mlp.gate_proj.weight", mat, None),
            (f"blk.{i}.ffn_up.weight", L + "mlp.up_proj.weight", mat, None),
            (f"blk.{i}.ffn_down.weight", L + "mlp.down_proj.weight", mat, None),
        ]
    plan += [("output_norm.weight", pre + "norm.weight", GGML_F32, None),
             ("output.weight", lm_head, keep8, None)]
    out = []
    for name, hf, gtype, fn in plan:
        if hf not in ck.tensors:
            sys.exit(f"the checkpoint has no {hf} (an idefics2 layout is expected)")
        shape = ck.shape(hf)
        if gtype in BLOCK_BYTES and shape[-1] % QK:
            sys.exit(f"{hf}: rows of {shape[-1]} are not whole blocks of {QK}")
        out.append((name, hf, shape, gtype, fn))
    return out


def vocab(ckdir, n_vocab):
    """tokens, scores and types for llama.cpp's SPM ("llama") tokenizer.

    The checkpoint's tokenizer.json is a byte-fallback BPE; SPM merges
    the adjacent pair whose merged piece has the highest score, so a
    piece made by merge r scores -r and BPE's merge order is kept."""
    with open(os.path.join(ckdir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    model = tj["model"]
    tokens = [None] * n_vocab
    for text, i in model["vocab"].items():
        if 0 <= i < n_vocab:
            tokens[i] = text
    added = {}
    for t in tj.get("added_tokens", []):
        if 0 <= t["id"] < n_vocab:
            tokens[t["id"]] = t["content"]
            added[t["id"]] = t.get("special", False)
    scores = np.full(n_vocab, -1e9, np.float32)  # pieces no merge makes
    rank = {}
    for r, m in enumerate(model.get("merges", [])):
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        rank.setdefault(a + b, r)
    types = np.full(n_vocab, TOK_NORMAL, np.int32)
    unk = model.get("unk_token")
    for i, text in enumerate(tokens):
        if text is None:                  # rows the tokenizer does not name
            tokens[i] = f"[PAD{i}]"
            types[i] = TOK_USER
            continue
        if text in rank:
            scores[i] = -float(rank[text])
        if text == unk:
            types[i] = TOK_UNKNOWN
        elif i in added:
            types[i] = TOK_CONTROL if added[i] else TOK_USER
        elif len(text) == 6 and text.startswith("<0x") and text.endswith(">"):
            types[i] = TOK_BYTE
    return tokens, scores, types


# ---- GGUF writer ---------------------------------------------------------

def gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gstr(key) + struct.pack("<I", vtype)
    if vtype == GGUF_STRING:
        return out + gstr(value)
    if vtype == GGUF_ARRAY:
        etype, items = value
        out += struct.pack("<IQ", etype, len(items))
        if etype == GGUF_STRING:
            return out + b"".join(gstr(s) for s in items)
        return out + np.asarray(items, {GGUF_F32: "<f4", GGUF_I32: "<i4"}[etype]).tobytes()
    fmt = {GGUF_U32: "<I", GGUF_I32: "<i", GGUF_F32: "<f", GGUF_BOOL: "<?"}[vtype]
    return out + struct.pack(fmt, value)


def pad(n):
    return (ALIGN - n % ALIGN) % ALIGN


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="Hugging Face idefics2 checkpoint folder")
    ap.add_argument("output", help="GGUF file to write")
    ap.add_argument("--type", choices=["f16", "q8_0", "q4_0"], default="q8_0")
    ap.add_argument("--q4-mix", choices=["regard", "pure"], default="regard",
                    help="q4_0: keep embedding, lm_head, k/v at Q8_0 as Regard does (default), or all Q4_0")
    args = ap.parse_args()

    with open(os.path.join(args.checkpoint, "config.json")) as f:
        cfg = json.load(f)
    tc = cfg.get("text_config", cfg)
    ck = Checkpoint(args.checkpoint)
    n_embd = tc["hidden_size"]
    n_head = tc["num_attention_heads"]
    head_dim = tc.get("head_dim") or n_embd // n_head
    n_vocab = ck.shape("model.text_model.embed_tokens.weight")[0]
    if head_dim * n_head != n_embd:
        sys.exit("head_dim * heads != hidden size: llama.cpp's llama graph needs them equal")
    plan = plan_tensors(ck, tc, args.type, args.q4_mix)
    tokens, scores, types = vocab(args.checkpoint, n_vocab)

    meta = [
        kv("general.architecture", GGUF_STRING, "llama"),
        kv("general.name", GGUF_STRING, os.path.basename(os.path.normpath(args.checkpoint)) + " text model"),
        kv("general.file_type", GGUF_U32, FILE_TYPE[args.type]),
        kv("general.quantization_version", GGUF_U32, 2),
        kv("llama.vocab_size", GGUF_U32, n_vocab),
        kv("llama.context_length", GGUF_U32, tc.get("max_position_embeddings", 4096)),
        kv("llama.embedding_length", GGUF_U32, n_embd),
        kv("llama.block_count", GGUF_U32, tc["num_hidden_layers"]),
        kv("llama.feed_forward_length", GGUF_U32, tc["intermediate_size"]),
        kv("llama.rope.dimension_count", GGUF_U32, head_dim),
        kv("llama.attention.head_count", GGUF_U32, n_head),
        kv("llama.attention.head_count_kv", GGUF_U32, tc["num_key_value_heads"]),
        kv("llama.attention.layer_norm_rms_epsilon", GGUF_F32, tc.get("rms_norm_eps", 1e-5)),
        kv("llama.rope.freq_base", GGUF_F32, tc.get("rope_theta", 10000.0)),
        kv("tokenizer.ggml.model", GGUF_STRING, "llama"),
        kv("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, tokens)),
        kv("tokenizer.ggml.scores", GGUF_ARRAY, (GGUF_F32, scores)),
        kv("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_I32, types)),
        kv("tokenizer.ggml.bos_token_id", GGUF_U32, tc.get("bos_token_id", 1)),
        kv("tokenizer.ggml.eos_token_id", GGUF_U32, tc.get("eos_token_id", 2)),
        kv("tokenizer.ggml.unknown_token_id", GGUF_U32, 0),
        kv("tokenizer.ggml.padding_token_id", GGUF_U32, tc.get("pad_token_id", 0)),
        kv("tokenizer.ggml.add_bos_token", GGUF_BOOL, True),
        kv("tokenizer.ggml.add_eos_token", GGUF_BOOL, False),
    ]
    infos, offset = [], 0
    for name, _hf, shape, gtype, _fn in plan:
        # ggml lists dimensions innermost first: [rows, cols] -> ne = {cols, rows}
        infos.append(gstr(name) + struct.pack("<I", len(shape))
                     + b"".join(struct.pack("<Q", d) for d in reversed(shape))
                     + struct.pack("<IQ", gtype, offset))
        offset += tensor_bytes(gtype, shape)
        offset += pad(offset)

    tmp = args.output + ".part"
    with open(tmp, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(plan), len(meta)))
        for m in meta:
            f.write(m)
        for t in infos:
            f.write(t)
        f.write(b"\0" * pad(f.tell()))
        data_start = f.tell()
        for name, hf, shape, gtype, fn in plan:
            w = ck.f32(hf)
            if fn is not None:
                w = fn(w)
            # a few MB of rows at a time: the checkpoint stays mapped, not copied
            rows = max(1, (16 << 20) // (4 * int(np.prod(shape[1:]))))
            for r in range(0, shape[0], rows):
                f.write(encode(gtype, np.ascontiguousarray(w[r:r + rows])))
            f.write(b"\0" * pad(f.tell() - data_start))
            print(f"{name:28} {str(shape):14} {['f32', 'f16', 'q4_0', '', '', '', '', '', 'q8_0'][gtype]}",
                  file=sys.stderr)
        if f.tell() - data_start != offset:
            sys.exit(f"wrote {f.tell() - data_start} data bytes, planned {offset}")
    os.replace(tmp, args.output)
    print(f"{args.output}: {len(plan)} tensors, {offset / 1e9:.2f} GB of weights, vocab {n_vocab}")


if __name__ == "__main__":
    main()
