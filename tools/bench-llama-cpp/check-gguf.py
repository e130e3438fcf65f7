#!/usr/bin/env python3
"""Check a GGUF from hf-to-gguf.py against its checkpoint: llama.cpp's
logits (logits.mjs) after a short prompt against a float32 numpy forward
of the Hugging Face text model (rotate_half RoPE, GQA, RMSNorm, SwiGLU).

  NODE_PATH=/work/peer/node_modules python3 check-gguf.py CHECKPOINT_DIR FILE.gguf

A wrong Q/K permutation, RoPE base, norm epsilon or tensor mapping moves
the logits far more than f16/Q8_0 rounding does; the script exits 1 when
the correlation falls under --min-corr.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("hf_to_gguf", os.path.join(here, "hf-to-gguf.py"))
h2g = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h2g)


def rmsnorm(x, w, eps):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * w


def rotate_half(x):
    d = x.shape[-1] // 2
    return np.concatenate([-x[..., d:], x[..., :d]], axis=-1)


def dequant(gtype, blob, shape):
    """ggml's dequantize_row_q8_0 / _q4_0 of what hf-to-gguf.py wrote."""
    b = np.frombuffer(blob, np.uint8).reshape(-1, h2g.BLOCK_BYTES[gtype])
    d = b[:, :2].copy().view(np.float16).astype(np.float32)
    if gtype == h2g.GGML_Q8_0:
        q = b[:, 2:].view(np.int8).astype(np.float32)
    else:
        q = np.concatenate([b[:, 2:] & 15, b[:, 2:] >> 4], axis=1).astype(np.float32) - 8
    return (q * d).reshape(shape)


class Quantized:
    """The checkpoint as the GGUF stores it: each matrix through the
    file's quantization and back, so only llama.cpp's own arithmetic
    (activations in 8 bits, f16 KV) differs from the reference."""

    def __init__(self, ck, types):
        self.ck, self.types, self.tensors = ck, types, ck.tensors

    def f32(self, key):
        w = self.ck.f32(key)
        gtype = self.types.get(key, h2g.GGML_F32)
        if gtype == h2g.GGML_F16:
            return w.astype(np.float16).astype(np.float32)
        if gtype in h2g.BLOCK_BYTES:
            return dequant(gtype, h2g.encode(gtype, w), w.shape)
        return w


def reference_logits(ck, tc, ids):
    pre = "model.text_model."
    n_head, n_kv = tc["num_attention_heads"], tc["num_key_value_heads"]
    hd = tc.get("head_dim") or tc["hidden_size"] // n_head
    eps, theta = tc.get("rms_norm_eps", 1e-5), tc.get("rope_theta", 10000.0)
    n = len(ids)
    h = ck.f32(pre + "embed_tokens.weight")[ids].astype(np.float64)
    inv = 1.0 / theta ** (np.arange(0, hd, 2) / hd)
    ang = np.outer(np.arange(n), inv)
    cos = np.cos(np.concatenate([ang, ang], -1))[:, None, :]
    sin = np.sin(np.concatenate([ang, ang], -1))[:, None, :]
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for i in range(tc["num_hidden_layers"]):
        L = f"{pre}layers.{i}."
        w = lambda k: ck.f32(L + k).astype(np.float64)
        x = rmsnorm(h, w("input_layernorm.weight"), eps)
        q = (x @ w("self_attn.q_proj.weight").T).reshape(n, n_head, hd)
        k = (x @ w("self_attn.k_proj.weight").T).reshape(n, n_kv, hd)
        v = (x @ w("self_attn.v_proj.weight").T).reshape(n, n_kv, hd)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = n_head // n_kv
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(hd) + mask
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        a = np.einsum("hqk,khd->qhd", p, v).reshape(n, n_head * hd)
        h = h + a @ w("self_attn.o_proj.weight").T
        x = rmsnorm(h, w("post_attention_layernorm.weight"), eps)
        g = x @ w("mlp.gate_proj.weight").T
        h = h + ((g / (1 + np.exp(-g))) * (x @ w("mlp.up_proj.weight").T)) @ w("mlp.down_proj.weight").T
    x = rmsnorm(h[-1], ck.f32(pre + "norm.weight"), eps)
    head = "lm_head.weight" if "lm_head.weight" in ck.tensors else pre + "embed_tokens.weight"
    return ck.f32(head) @ x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("gguf")
    ap.add_argument("--ids", default="1,415,2936,9060,285,1142,10575,754,272,17898,3914,28723")
    ap.add_argument("--min-corr", type=float, default=0.99)
    ap.add_argument("--as-stored", choices=["f16", "q8_0", "q4_0"],
                    help="run the reference on the weights as this --type stores them (round-tripped)")
    ap.add_argument("--q4-mix", choices=["regard", "pure"], default="regard")
    args = ap.parse_args()

    with open(os.path.join(args.checkpoint, "config.json")) as f:
        cfg = json.load(f)
    tc = cfg.get("text_config", cfg)
    ids = [int(t) for t in args.ids.split(",")]
    ck = h2g.Checkpoint(args.checkpoint)
    if args.as_stored:
        plan = h2g.plan_tensors(ck, tc, args.as_stored, args.q4_mix)
        ck = Quantized(ck, {hf: gtype for _n, hf, _s, gtype, _f in plan})
    ref = reference_logits(ck, tc, ids)
    out = subprocess.run(["node", os.path.join(here, "logits.mjs"), args.gguf, args.ids],
                         check=True, capture_output=True, text=True).stdout
    got = np.zeros_like(ref)
    for tok, logit in json.loads(out):
        got[tok] = logit
    corr = np.corrcoef(ref, got)[0, 1]
    top_ref, top_got = np.argsort(-ref)[:10], np.argsort(-got)[:10]
    print(f"{len(ids)} tokens: logits correlation {corr:.5f}, max |diff| {np.abs(ref - got).max():.4f} "
          f"(logits span {ref.min():.2f}..{ref.max():.2f}); argmax {top_ref[0]} vs {top_got[0]}; "
          f"top-10 overlap {len(set(top_ref) & set(top_got))}/10")
    sys.exit(0 if corr >= args.min_corr else 1)


if __name__ == "__main__":
    main()
