"""Leave-one-out evaluation of matchmaking on the real 2017 group memberships.

    python benchmarks/match_eval.py [--limit N]

For every member of a real group: take it out of its group (cloud status back to
'none'), re-draw its synthetic vendor and renewal year from its prefecture's
non-member municipalities (so the answer is not leaked through values copied from its
group), ask ``match`` and record whether its real group is ranked first (hit@1) or in
the top three (hit@3). Prints the figures overall and by prefecture, and the time per
query.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.config import Scenario  # noqa: E402
from optimizer.context import Context  # noqa: E402
from optimizer.data import load  # noqa: E402
from optimizer.matchmaking import match  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="evaluate only the first N memberships")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    data = load()
    base = Context(data, Scenario())
    _ = base.adjacency_matrix  # build once, shared by every query
    s = data.survey
    pool = s[s["cloud_status"] != "group"]
    rows = list(zip(data.members["group_id"], data.members["code"]))
    if args.limit:
        rows = rows[: args.limit]
    hits1, hits3, by_pref, secs, ranks = 0, 0, defaultdict(lambda: [0, 0, 0]), [], []
    for gid, code in rows:
        local = pool[pool["code"].str[:2] == code[:2]]
        local = local if len(local) else pool
        survey = s.copy()
        survey.loc[code, "cloud_status"] = "none"
        survey.loc[code, "group_id"] = ""
        survey.loc[code, "vendor"] = local["vendor"].iloc[rng.integers(len(local))]
        survey.loc[code, "next_renewal_fy"] = int(local["next_renewal_fy"].iloc[rng.integers(len(local))])
        survey.loc[code, "willing"] = True
        d = data.with_changes(survey=survey, members=data.members[data.members["code"] != code])
        ctx = Context(d, base.scenario, reuse=base)
        t0 = time.perf_counter()
        res = match(ctx, code, top=10)
        secs.append(time.perf_counter() - t0)
        rank = next((c["rank"] for c in res["candidates"] if c["kind"] == "join" and c["group_id"] == gid), None)
        ranks.append(rank)
        h1, h3 = rank == 1, rank is not None and rank <= 3
        hits1 += h1
        hits3 += h3
        p = by_pref[data.municipalities.at[code, "prefecture"]]
        p[0] += 1
        p[1] += h1
        p[2] += h3
    n = len(rows)
    print(f"{'prefecture':10} {'n':>3} {'hit@1':>6} {'hit@3':>6}")
    for pref, (k, a, b) in sorted(by_pref.items(), key=lambda t: data.municipalities.index[
            data.municipalities["prefecture"] == t[0]][0]):
        print(f"{pref:10} {k:3d} {a / k:6.2f} {b / k:6.2f}")
    missing = sum(r is None for r in ranks)
    print(f"\nSUMMARY leave-one-out over {n} memberships: hit@1 {hits1 / n:.3f}, hit@3 {hits3 / n:.3f}; "
          f"real group not offered at all: {missing}; match time median {np.median(secs):.3f} s, max {max(secs):.3f} s")


if __name__ == "__main__":
    main()
