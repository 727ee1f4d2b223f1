r"""What a sweep's draws say: how often pairs and groups form, what is firm, what is open and why.

With :math:`D` draws, each solved exactly, and :math:`S_d` the groups of draw *d*'s optimal plan:

* a **pair** of municipalities :math:`\{a, b\}` (at least one of them moving) has frequency
  :math:`\frac1D \#\{d : a, b \text{ in one group of } S_d\}`; a **group** (its existing group and its
  movers) the share of draws whose plan contains it;
* a pair or group is **firm** at frequency :math:`\ge` ``firm_share`` (0.9); every municipality placed in
  some draw whose most frequent placement (a group, or alone) falls below that share is **open**;
* an open municipality **hinges on** the drawn inputs that best separate its placements: for each input
  *x* (a parameter, or a survey value of the municipality or of a possible partner) the correlation ratio

  .. math:: \eta^2 = \frac{\sum_k n_k (\bar x_k - \bar x)^2}{\sum_d (x_d - \bar x)^2}

  over its placements *k* (the share of the input's variance that the placement explains; 1: the input
  alone decides), adjusted for chance (:func:`correlation_ratio`), listed strongest first from 0.05; an
  input that moves in fewer than 3 draws is not listed.

The **robust plan** is chosen among the draws' optimal plans (and the base plan) by the scenario's
``robust_criterion``, each valued under every draw (its groups at their best option there; a group not
admissible in a draw counts 0): ``expected`` (best mean value), ``p10`` (best 10th percentile) or
``most_often`` (optimal in most draws; ties by mean).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

MIN_STRENGTH = 0.05
#: An input that moves in fewer draws than this cannot be said to decide anything.
MIN_VARYING = 3
HINGES_LISTED = 3
OPTIONS_LISTED = 4


def placements(results: list[dict], data) -> list[dict[str, tuple]]:
    """Per draw: each municipality that moves -> its group key."""
    return [{c: key for key in r["groups"] for c in key[1]} for r in results]


def members_of(key, data) -> list[str]:
    """All members of a group key (the existing group's with the movers)."""
    base, codes = key
    return sorted((data.group_members.get(base, []) if base else []) + list(codes))


def pair_frequencies(results: list[dict], data) -> list[dict]:
    """Every pair ever grouped (at least one of the two moving), with its frequency, most frequent first."""
    count: Counter = Counter()
    for r in results:
        for key in r["groups"]:
            movers = set(key[1])
            everyone = members_of(key, data)
            for i, a in enumerate(everyone):
                for b in everyone[i + 1:]:
                    if a in movers or b in movers:
                        count[(a, b)] += 1
    n = len(results)
    return [{"a": a, "b": b, "frequency": round(k / n, 4)} for (a, b), k in
            sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))]


def group_frequencies(results: list[dict], data) -> list[dict]:
    count: Counter = Counter(key for r in results for key in r["groups"])
    n = len(results)
    return [{"members": members_of(key, data), "base_group_id": key[0], "movers": list(key[1]),
             "frequency": round(k / n, 4)} for key, k in sorted(count.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def correlation_ratio(categories: list, x: np.ndarray) -> float:
    r""":math:`\eta^2` of ``x`` explained by ``categories``, adjusted for the number of categories (the
    :math:`\varepsilon^2` estimate: the between-category variance less what chance alone gives); 0 when ``x``
    varies in fewer than :data:`MIN_VARYING` draws."""
    x = np.asarray(x, dtype=float)
    values, counts = np.unique(x, return_counts=True)
    if len(values) < 2 or len(x) - counts.max() < MIN_VARYING:
        return 0.0
    total = float(((x - x.mean()) ** 2).sum())
    cats = np.array([str(c) for c in categories])
    labels = np.unique(cats)
    k, n = len(labels), len(x)
    if k < 2 or n <= k:
        return 0.0
    between = float(sum((cats == c).sum() * (x[cats == c].mean() - x.mean()) ** 2 for c in labels))
    within = (total - between) / (n - k)
    return float(max(0.0, (between - (k - 1) * within) / total))


def open_decisions(results: list[dict], data, firm_share: float) -> tuple[list[str], list[dict]]:
    """(municipalities placed firmly, open decisions ``[{code, options, hinges_on}]``)."""
    place = placements(results, data)
    n = len(results)
    everyone = sorted({c for p in place for c in p})
    inputs = [r["inputs"] for r in results]
    global_keys = sorted({k for i in inputs for k in i if ":" not in k})
    firm, open_ = [], []
    for c in everyone:
        outcome = [p.get(c, ("alone",)) for p in place]
        counts = Counter(outcome)
        top, k = counts.most_common(1)[0]
        if k / n >= firm_share and top != ("alone",):
            firm.append(c)
            continue
        if k / n >= firm_share:  # alone in most draws: not a grouping decision
            continue
        partners = {x for key in counts if key != ("alone",) for x in members_of(key, data)} | {c}
        keys = global_keys + sorted({f"{kind}:{p}" for p in partners for kind in ("renewal", "vendor", "willing")
                                     if any(f"{kind}:{p}" in i for i in inputs)})
        hinges = []
        for key in keys:
            x = np.array([i.get(key, 0.0) for i in inputs])
            s = correlation_ratio(outcome, x)
            if s >= MIN_STRENGTH:
                hinges.append({"input": key, "strength": round(s, 3)})
        hinges.sort(key=lambda h: (-h["strength"], h["input"]))
        options = [{"members": members_of(key, data) if key != ("alone",) else [], "base_group_id":
                    key[0] if key != ("alone",) else None, "alone": key == ("alone",), "frequency": round(v / n, 4)}
                   for key, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))][:OPTIONS_LISTED]
        open_.append({"code": c, "name": data.name(c), "options": options, "hinges_on": hinges[:HINGES_LISTED]})
    return firm, open_


def choose(values: np.ndarray, optimal: np.ndarray, criterion: str) -> list[int]:
    """Candidate plans (rows of ``values``: plans x draws) in order of preference under ``criterion``;
    ``optimal`` (plans x draws) marks where a plan is the draw's own optimum."""
    mean = values.mean(axis=1)
    if criterion == "p10":
        score = np.percentile(values, 10, axis=1)
    elif criterion == "most_often":
        score = optimal.sum(axis=1).astype(float)
    else:
        score = mean
    return sorted(range(len(values)), key=lambda k: (-score[k], -mean[k], k))


def quantiles(x) -> dict[str, int]:
    x = np.asarray(x, dtype=float)
    return {"p10": int(round(np.percentile(x, 10))), "p50": int(round(np.percentile(x, 50))),
            "p90": int(round(np.percentile(x, 90)))}
