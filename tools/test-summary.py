#!/usr/bin/env python3
"""Counts meson test results (testlog.json, one JSON object per line) and
prints 'N passed, N failed[, N skipped]'. Timeouts and unexpected passes
count as failures. Each failed test is named, with the end of its
output, just above that line: CI's report keeps only the tail of the log."""
import json
import sys

passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                entry = json.loads(line)
                result = entry.get("result", "")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                else:
                    failed += 1
                    failures.append((path, entry))
    except FileNotFoundError:
        failed += 1
        print(f"{path}: missing", file=sys.stderr)

for path, entry in failures:
    print(f"FAILED: {entry.get('name', '?')} ({entry.get('result', '?')}, "
          f"{entry.get('duration', 0):.1f} s) in {path}")
    tail = (entry.get("stdout") or "").splitlines()[-25:]
    for out in tail:
        print(f"  | {out[:300]}")

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
