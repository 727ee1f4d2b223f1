"""Time to load all data and build the national graph, in fresh processes.

    python benchmarks/load_graph.py [--runs 3]

Each run is a new Python process (cold caches of this program, warm OS file cache):
imports, loading and validating the CSVs, reading the TopoJSON, decoding arcs,
adjacency, coastline, sea links and the networkx graph. Prints per-stage seconds and
the median total; the target is under 3 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, time
t0 = time.perf_counter()
from optimizer.inputs.dataset import load
import networkx as nx
t1 = time.perf_counter()
d = load()
t2 = time.perf_counter()
d.topology; d.boundaries
t3 = time.perf_counter()
g = d.graph
t4 = time.perf_counter()
assert g.number_of_nodes() == 1741 and nx.is_connected(g)
print(json.dumps({"imports": t1 - t0, "tables": t2 - t1, "geometry": t3 - t2, "graph": t4 - t3,
                  "load_and_graph": t4 - t1, "total": t4 - t0, "edges": g.number_of_edges(),
                  "sea": sum(1 for *_, k in g.edges(data="kind") if k == "sea")}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    runs = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=ROOT, check=True)
        runs.append(json.loads(out.stdout))
    for key in ("imports", "tables", "geometry", "graph", "load_and_graph", "total"):
        print(f"{key:15} median {statistics.median(r[key] for r in runs):6.2f} s")
    r = runs[0]
    print(f"\nSUMMARY national graph: 1741 nodes, {r['edges']} edges ({r['sea']} sea); load + graph median "
          f"{statistics.median(x['load_and_graph'] for x in runs):.2f} s, with imports "
          f"{statistics.median(x['total'] for x in runs):.2f} s (target < 3 s)")


if __name__ == "__main__":
    main()
