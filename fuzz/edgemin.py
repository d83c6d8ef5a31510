#!/usr/bin/env python3
"""Minimises a fuzz corpus to edge coverage, far smaller than `cargo fuzz cmin` (which keeps
every libFuzzer feature): runs the built target's merge once for its control file (per input
the edges it covers, `COV` lines), then greedily picks inputs until every edge is covered,
preferring the most new edges per byte.

usage: fuzz/edgemin.py TARGET CORPUS_DIR OUT_DIR   (OUT_DIR may be CORPUS_DIR)
  the target binary is $FUZZ_BIN_DIR/TARGET (default: cargo fuzz's release output under
  $CARGO_TARGET_DIR, else fuzz/target).
"""
import os
import shutil
import subprocess
import sys
import tempfile

target, src, out = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
bin_dir = os.environ.get("FUZZ_BIN_DIR") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR") or os.path.join(here, "target"),
    "x86_64-unknown-linux-gnu",
    "release",
)
with tempfile.TemporaryDirectory() as tmp:
    control = os.path.join(tmp, "control")
    scratch = os.path.join(tmp, "out")
    os.makedirs(scratch)
    subprocess.run(
        [os.path.join(bin_dir, target), "-merge=1", f"-merge_control_file={control}",
         "-rss_limit_mb=2048", "-timeout=10", scratch, src],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )
    lines = open(control).read().split("\n")
    count = int(lines[0])
    files = lines[2:2 + count]
    cov = {}
    for line in lines[2 + count:]:
        parts = line.split()
        if parts and parts[0] == "COV":
            cov[int(parts[1])] = set(parts[2:])
sizes = {i: os.path.getsize(files[i]) for i in cov}
edges = set().union(*cov.values()) if cov else set()
left, chosen = set(edges), []
while left:
    best = max(cov, key=lambda i: (len(cov[i] & left) / (sizes[i] + 64), -sizes[i]))
    if not cov[best] & left:
        break
    chosen.append(best)
    left -= cov[best]
# Staged first, so OUT_DIR may be CORPUS_DIR itself.
stage = tempfile.mkdtemp()
for i in chosen:
    shutil.copy(files[i], stage)
shutil.rmtree(out, ignore_errors=True)
shutil.move(stage, out)
print(f"{target}: {len(files)} inputs, {len(edges)} edges -> {len(chosen)} files, "
      f"{sum(sizes[i] for i in chosen)} bytes")
