"""Leave-one-out evaluation of the join ranking on the real 2017 group memberships, beside two baselines.

    python benchmarks/match_eval.py [--limit N] [--seed 1]

For every member of a real group: take its membership out of the data (cloud status back
to 'none'; vendor and renewal re-drawn from its prefecture's non-members, so nothing of
its group is copied into it), **refit the ranking without it** (its group's features are
recomputed without it too), and rank the existing groups for it. Reported: hit@1, hit@3
and mean reciprocal rank of its real group, for

* **the model** (:mod:`optimizer.match.ranking`; with ``--trees`` also boosted trees, which were tried),
* **nearest group**: the group with the member nearest to it,
* **similar scale within 50 km**: among groups with a member within 50 km, the one whose
  median population is closest to its own (else the nearest group),

all on the same candidate groups, in the same run; and the time per query (refit included).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.config import Scenario  # noqa: E402
from optimizer.model.context import Context  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.match.ranking import FEATURES, GroupFrame, fit, fit_trees, pair_features  # noqa: E402

NEAR, GAP = FEATURES.index("log_near_km"), FEATURES.index("scale_gap")


def rank_of(scores: np.ndarray, truth: int) -> int:
    """1-based rank of ``truth`` when sorted by descending score (ties count against it)."""
    return int((scores > scores[truth]).sum() + (scores == scores[truth]).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=0, help="evaluate only the first N memberships")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trees", action="store_true", help="also refit and rank with gradient-boosted trees (slow)")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    data = load()
    base = Context(data, Scenario())
    _ = base.adjacency_matrix
    s = data.survey
    pool = s[s["cloud_status"] != "group"]
    rows = list(zip(data.members["group_id"], data.members["code"]))
    if args.limit:
        rows = rows[: args.limit]
    ranks = {"model (logistic)": [], "nearest group": [], "similar scale within 50 km": []}
    if args.trees:
        ranks["boosted trees (tried)"] = []
    secs, missing, misses = [], 0, []
    for gid, code in rows:
        local = pool[pool["code"].str[:2] == code[:2]]
        local = local if len(local) else pool
        survey = s.copy()
        survey.loc[code, "cloud_status"] = "none"
        survey.loc[code, "group_id"] = ""
        survey.loc[code, "vendor"] = local["vendor"].iloc[rng.integers(len(local))]
        survey.loc[code, "next_renewal_fy"] = int(local["next_renewal_fy"].iloc[rng.integers(len(local))])
        d = data.with_changes(survey=survey, members=data.members[data.members["code"] != code])
        ctx = Context(d, base.scenario, reuse=base)
        t0 = time.perf_counter()
        model = fit(ctx)  # refit without the held-out membership
        groups = GroupFrame.of(ctx)
        X, cand = pair_features(ctx, np.array([ctx.pos[code]]), groups)
        ks = np.nonzero(cand[0])[0]
        secs.append(time.perf_counter() - t0)
        if gid not in groups.ids or groups.ids.index(gid) not in ks:
            missing += 1  # its group is gone (it was the only member left) or not a candidate: a miss for all
            for r in ranks.values():
                r.append(10**6)
            continue
        truth = int(np.nonzero(ks == groups.ids.index(gid))[0][0])
        x = X[0, ks]
        scores = model.score(x)
        ranks["model (logistic)"].append(rank_of(scores, truth))
        pick = groups.ids[int(ks[np.argmax(scores)])]
        if pick != gid:
            misses.append(tuple(sorted((gid, pick))))
        if args.trees:
            ranks["boosted trees (tried)"].append(rank_of(fit_trees(ctx).decision_function(x), truth))
        ranks["nearest group"].append(rank_of(-x[:, NEAR], truth))
        near50 = np.expm1(x[:, NEAR]) <= 50.0
        pop = np.where(near50, -x[:, GAP], -np.inf)
        sim = pop if near50.any() else -x[:, NEAR]
        # within 50 km by scale, then the rest by distance
        key = np.where(near50, 1000.0 + sim, -x[:, NEAR]) if near50.any() else sim
        ranks["similar scale within 50 km"].append(rank_of(key, truth))
    n = len(rows)
    print(f"{n} memberships left out one at a time (refit each time); {missing} without a candidate real group")
    print(f"{'method':28} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}")
    for name, r in ranks.items():
        r = np.array(r)
        print(f"{name:28} {np.mean(r == 1):6.3f} {np.mean(r <= 3):6.3f} {np.mean(1.0 / r):6.3f}")
    print(f"time per query (fit + rank): median {np.median(secs) * 1000:.0f} ms")
    # where the model's first choice is wrong: which pairs of groups it confuses
    pairs = Counter(misses)
    both = sum(n for n in pairs.values() if n >= 2)
    print(f"model misses: {len(misses)}; {both} of them between pairs of groups confused at least twice:")
    for (a, b), n in pairs.most_common():
        if n < 2:
            break
        na, nb = (str(data.groups.at[g, "name"]) if str(data.groups.at[g, "name"]) not in ("", "nan") else "-"
                  for g in (a, b))
        print(f"  {n:3d}  {a} {na}  <->  {b} {nb}")


if __name__ == "__main__":
    main()
