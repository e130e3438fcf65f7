#!/usr/bin/env python3
"""Alternate `regard-cli bench` and bench.mjs runs on the same model and
print the medians as a Markdown table (docs/performance.md).

  NODE_PATH=/work/peer/node_modules python3 tools/bench-llama-cpp/alternate.py \
      --regard build/tools/regard-cli --checkpoint /tmp/ck085 \
      --gguf q8_0=/work/peer/ck085-q8_0.gguf --gguf q4_0=/work/peer/ck085-q4_0.gguf \
      --case 128:16 --case 32:16 --rounds 3

Each round runs Regard then llama.cpp once per format and case (each a
fresh process, --repeat 1), so a noisy minute hits both; the table gives
each figure's median over the rounds and, as a noise gauge, the largest
share of the CPUs other processes used during any of those runs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def busy_s():
    """CPU seconds all processes have spent busy (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")   # less idle and iowait


def run(cmd, log):
    """The run's JSON and how busy other processes kept the CPUs meanwhile
    (all busy time less this run's own, over wall time x CPUs): the load
    average would count our own previous run."""
    b0, t0, c0 = busy_s(), time.monotonic(), os.times()
    p = subprocess.run(cmd, capture_output=True, text=True)
    b1, t1, c1 = busy_s(), time.monotonic(), os.times()
    own = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    others = max(0.0, (b1 - b0 - own) / ((t1 - t0) * os.cpu_count()))
    print("$ " + " ".join(cmd), file=log)
    print(p.stdout.strip(), file=log)
    print(f"# others kept {100 * others:.0f}% of the CPUs busy; load {load1():.2f}", file=log)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    j = json.loads(p.stdout.strip().splitlines()[-1])
    return (j.get("prefill_tokens_per_s", j.get("prefill_tps")),
            j.get("decode_tokens_per_s", j.get("decode_tps")), others, j)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--regard", required=True, help="regard-cli binary")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--gguf", action="append", required=True, help="FORMAT=FILE (FORMAT as regard-cli --format)")
    ap.add_argument("--case", action="append", required=True, help="PROMPT:GEN tokens")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log", default="-", help="raw outputs (default stderr)")
    args = ap.parse_args()
    log = sys.stderr if args.log == "-" else open(args.log, "a")
    ggufs = [g.split("=", 1) for g in args.gguf]
    cases = [tuple(int(x) for x in c.split(":")) for c in args.case]

    print(f"load average at the start: {open('/proc/loadavg').read().strip()}", file=sys.stderr)
    res = {}   # (fmt, prompt, gen, who) -> [(prefill, decode, others)]
    meta = {}
    for _ in range(args.rounds):
        for fmt, gguf in ggufs:
            for n_prompt, n_gen in cases:
                common = ["--prompt-tokens", str(n_prompt), "--gen-tokens", str(n_gen), "--json"]
                r = run([args.regard, "bench", "--model", args.checkpoint, "--format", fmt] + common, log)
                res.setdefault((fmt, n_prompt, n_gen, "regard"), []).append(r[:3])
                meta["regard", fmt] = r[3]
                r = run(["node", os.path.join(here, "bench.mjs"), "--model", gguf,
                         "--threads", str(args.threads)] + common, log)
                res.setdefault((fmt, n_prompt, n_gen, "llama"), []).append(r[:3])
                meta["llama"] = r[3]

    m = meta["llama"]
    print(f"llama.cpp: {m['llama_cpp']} via node-llama-cpp {m['node_llama_cpp']} ({m['build']}), "
          f"{args.threads} threads; Regard: {meta['regard', ggufs[0][0]]['device']}; "
          f"medians of {args.rounds} alternated runs; load average at the end: "
          f"{open('/proc/loadavg').read().split()[:3]}\n")
    print("| format | prompt | figure | Regard | llama.cpp CPU | Regard / llama.cpp | others' CPU (max) |")
    print("|---|---|---|---|---|---|---|")
    for fmt, _ in ggufs:
        for n_prompt, n_gen in cases:
            a, b = res[fmt, n_prompt, n_gen, "regard"], res[fmt, n_prompt, n_gen, "llama"]
            others = max(x[2] for x in a + b)
            for i, name in ((0, f"prefill {n_prompt} tokens"), (1, f"decode {n_gen} tokens")):
                ra, rb = statistics.median(x[i] for x in a), statistics.median(x[i] for x in b)
                print(f"| {fmt} | {n_prompt} | {name} | {ra:.2f} tokens/s | {rb:.2f} tokens/s | "
                      f"{ra / rb:.2f}x | {100 * others:.0f}% |")


if __name__ == "__main__":
    main()
