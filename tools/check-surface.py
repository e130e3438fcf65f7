#!/usr/bin/env python3
"""Checks that the documented surface is the real one:
- every REGARD_* variable in the README's Environment table is read by
  the code (a "REGARD_X" string literal outside tests/);
- every rg_op_* declared in engine/ops/rg-ops.h (but the helpers for op
  implementations) is called outside engine/ops/ and tests/, so no kernel
  is kept, built and tested that nothing runs.
Usage: check-surface.py SOURCE_ROOT"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
failures = []

def sources(*dirs):
    for d in dirs:
        for p in (root / d).rglob("*"):
            if p.suffix in (".c", ".h") and p.is_file():
                yield p

code = {p: p.read_text(encoding="utf-8", errors="replace")
        for p in sources("engine", "app", "tools")}

readme = (root / "README.md").read_text(encoding="utf-8")
env = readme.split("## Environment", 1)[1].split("\n## ", 1)[0]
for var in sorted(set(re.findall(r"`(REGARD_[A-Z0-9_]+)", env))):
    if not any(f'"{var}"' in text for text in code.values()):
        failures.append(f"README documents {var}, which no code reads")

ops_h = (root / "engine/ops/rg-ops.h").read_text(encoding="utf-8")
public = ops_h.split("---- For op implementations", 1)[0]
for op in sorted(set(re.findall(r"\b(rg_op_[a-z0-9_]+) \(", public))):
    users = [p for p, text in code.items()
             if "engine/ops/" not in str(p.relative_to(root)) and re.search(rf"\b{op}\b", text)]
    if not users:
        failures.append(f"{op} is declared in rg-ops.h but nothing outside engine/ops/ calls it")

for f in failures:
    print(f)
print(f"{'FAIL' if failures else 'ok'}: {len(failures)} problem(s)")
sys.exit(1 if failures else 0)
