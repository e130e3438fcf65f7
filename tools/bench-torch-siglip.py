#!/usr/bin/env python3
"""The peer figure for Regard's image encoding (docs/performance.md): the
SigLIP vision tower of idefics2 (hidden 1152, 27 layers, 16 heads, MLP
4304, patch 14, 70 x 70 positions) with random weights, in PyTorch on the
CPU, float32, 2 threads, on the sub-images one 980 x 980 image gives:
the whole image (70 x 70 patches) and, with --split, also its 4 crops
(35 x 35 patches each), one forward per sub-image as Regard encodes them.
Not part of the product: Debian's python3-torch, with libopenblas0-pthread
(without it Debian's torch multiplies through the reference BLAS, many
times slower; `torch.__config__.show()` says BLAS_INFO=generic either way).

  /usr/bin/python3 tools/bench-torch-siglip.py [--layers N] [--split] [--repeat N] [--threads N]
"""
import argparse
import math
import time

import torch
import torch.nn.functional as F

HIDDEN, MLP, HEADS, PATCH, SIDE = 1152, 4304, 16, 14, 70


def make_layer(gen):
    def mat(rows, cols):
        return (torch.rand(rows, cols, generator=gen) * 0.07 - 0.035).contiguous()

    return {
        "ln1": (torch.ones(HIDDEN), torch.zeros(HIDDEN)),
        "qkv": (mat(3 * HIDDEN, HIDDEN), torch.zeros(3 * HIDDEN)),
        "o": (mat(HIDDEN, HIDDEN), torch.zeros(HIDDEN)),
        "ln2": (torch.ones(HIDDEN), torch.zeros(HIDDEN)),
        "fc1": (mat(MLP, HIDDEN), torch.zeros(MLP)),
        "fc2": (mat(HIDDEN, MLP), torch.zeros(HIDDEN)),
    }


def attention(x, layer):
    n = x.shape[0]
    hd = HIDDEN // HEADS
    qkv = F.linear(x, *layer["qkv"]).view(n, 3, HEADS, hd).permute(1, 2, 0, 3)
    q, k, v = qkv[0], qkv[1], qkv[2]
    out = torch.empty(HEADS, n, hd)
    # a few heads at a time: the score matrices of 4900 patches are 96 MB each
    for h in range(0, HEADS, 4):
        s = torch.matmul(q[h:h + 4], k[h:h + 4].transpose(1, 2)) * (1.0 / math.sqrt(hd))
        out[h:h + 4] = torch.matmul(torch.softmax(s, dim=-1), v[h:h + 4])
    return F.linear(out.permute(1, 0, 2).reshape(n, HIDDEN), *layer["o"])


def encode(pixels, patch_w, patch_b, pos, layers, post_ln):
    side = pixels.shape[-1] // PATCH
    x = F.conv2d(pixels[None], patch_w, patch_b, stride=PATCH)[0].flatten(1).t()
    # positions as idefics2 buckets them: the sub-image's grid spread over 70 x 70
    idx = torch.arange(side) * SIDE // side
    x = x + pos[(idx[:, None] * SIDE + idx[None, :]).flatten()]
    for layer in layers:
        x = x + attention(F.layer_norm(x, (HIDDEN,), *layer["ln1"]), layer)
        h = F.gelu(F.linear(F.layer_norm(x, (HIDDEN,), *layer["ln2"]), *layer["fc1"]), approximate="tanh")
        x = x + F.linear(h, *layer["fc2"])
    return F.layer_norm(x, (HIDDEN,), *post_ln)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", type=int, default=27)
    ap.add_argument("--split", action="store_true", help="also the 4 crops of 490 x 490")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    patch_w = torch.rand(HIDDEN, 3, PATCH, PATCH, generator=gen) * 0.07 - 0.035
    patch_b = torch.zeros(HIDDEN)
    pos = torch.rand(SIDE * SIDE, HIDDEN, generator=gen) * 0.07 - 0.035
    layers = [make_layer(gen) for _ in range(args.layers)]
    post_ln = (torch.ones(HIDDEN), torch.zeros(HIDDEN))
    subs = [torch.rand(3, 980, 980, generator=gen) * 2 - 1]
    if args.split:
        subs = [torch.rand(3, 490, 490, generator=gen) * 2 - 1 for _ in range(4)] + subs

    times = []
    with torch.inference_mode():
        for _ in range(args.repeat):
            t0 = time.monotonic()
            for px in subs:
                encode(px, patch_w, patch_b, pos, layers, post_ln)
            times.append((time.monotonic() - t0) * 1e3)
    times.sort()
    print(f"torch {torch.__version__}, {args.threads} threads, float32: SigLIP {args.layers} layers, "
          f"{len(subs)} sub-image(s) of one 980 x 980 image: {times[len(times) // 2]:.0f} ms "
          f"(median of {len(times)}; best {times[0]:.0f} ms)")


if __name__ == "__main__":
    main()
