r"""Business-continuity score of a group, 0-100, with its components.

* **pairing** (40 points): share of the members exposed to a pairing hazard
  (``pairing_hazards``, :mod:`optimizer.inputs.hazard`) that have a safe partner for each of
  their hazards (a member not exposed to it within ``support_km``, or a member at least
  ``hazard_separation_km`` away; :func:`optimizer.model.rules.safe_partner_matrix`). A group
  without members exposed to a modelled hazard is **not assessed** (``assessed`` false): it scores
  0 here, since nothing was shown (沖縄's islands lie outside both modelled tsunami hazards). This is
  the 和歌山 arrangement: coastal 湯浅町 and 広川町 (Nankai tsunami) with inland かつらぎ町.
* **spread** (30 points): 15 unless every member is exposed to one same pairing hazard,
  plus :math:`15 \min(1, d_{max}/\text{spread\_km})`: members all within a short radius
  share one hazard.
* **reachability** (30 points): 30 when the largest distance between members is at most
  ``reach_km``, falling linearly to 0 at twice that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .context import Context
from .rules import exposed_matrix, pair_distances, safe_partner_matrix


@dataclass(frozen=True)
class Continuity:
    score: float
    pairing_ok: bool
    coastal: list[str]
    inland: list[str]
    max_distance_km: float
    components: dict[str, float]
    exposed: dict[str, list[str]] = None  # pairing hazard -> members exposed to it
    unpaired: list[str] = None  # exposed members without a safe partner
    assessed: bool = True  # some member is exposed to a modelled hazard (else pairing is not assessed: 0 points)

    def as_dict(self) -> dict:
        return {"score": self.score, "pairing_ok": self.pairing_ok, "pairing_assessed": self.assessed,
                "coastal": self.coastal, "inland": self.inland,
                "exposed": self.exposed, "unpaired": self.unpaired,
                "max_distance_km": self.max_distance_km, "components": self.components}


def continuity_batch(ctx: Context, M: np.ndarray) -> dict[str, np.ndarray]:
    """Scores and components for each row of member positions ``M`` (-1 pads)."""
    m = ctx.model
    valid = M >= 0
    P = np.where(valid, M, 0)
    exposed = exposed_matrix(ctx, M)
    partnered = safe_partner_matrix(ctx, M)
    n_exposed = exposed.sum(axis=1)
    paired = (partnered & exposed).sum(axis=1)
    pairing = np.where(n_exposed == 0, 0.0, 40.0 * paired / np.maximum(n_exposed, 1))  # not assessed: no points
    D, both = pair_distances(ctx, M)
    D = D * both
    dmax = D.max(axis=(1, 2)).astype(float)
    one_hazard = np.zeros(len(M), dtype=bool)
    for h in range(ctx.exposed.shape[1]):
        one_hazard |= np.all(ctx.exposed[P, h] | ~valid, axis=1)
    spread = np.where(one_hazard, 0.0, 15.0) + 15.0 * np.minimum(1.0, dmax / m.spread_km)
    reach = 30.0 * np.clip(2.0 - dmax / m.reach_km, 0.0, 1.0)
    return {"score": pairing + spread + reach, "pairing": pairing, "spread": spread, "reachability": reach,
            "pairing_ok": paired == n_exposed, "assessed": n_exposed > 0, "max_distance_km": dmax}


def continuity(ctx: Context, idx: np.ndarray, computed: dict | None = None) -> Continuity:
    """The continuity score of one member set, with its components.

    ``computed`` may carry the row already computed by :func:`continuity_batch`
    (keys prefixed ``continuity_``, as :func:`optimizer.model.scoring.batch_scores` returns them).
    """
    idx = np.asarray(idx, dtype=np.int64)
    if computed is not None:
        c = {"score": computed["continuity"][0], "pairing_ok": computed["pairing_ok"][0],
             **{k: computed[f"continuity_{k}"][0] for k in ("pairing", "spread", "reachability", "max_distance_km")}}
    else:
        c = {k: v[0] for k, v in continuity_batch(ctx, idx[None, :]).items()}
    coastal = ctx.coastal[idx]
    ok = safe_partner_matrix(ctx, idx[None, :])[0]
    exposed = {h: [ctx.codes[i] for i in idx[ctx.exposed[idx, k]]] for k, h in enumerate(ctx.pairing_hazards)}
    return Continuity(
        score=round(float(c["score"]), 2),
        pairing_ok=bool(c["pairing_ok"]),
        coastal=[ctx.codes[i] for i in idx[coastal]],
        inland=[ctx.codes[i] for i in idx[~coastal]],
        max_distance_km=round(float(c["max_distance_km"]), 2),
        components={k: round(float(c[k]), 2) for k in ("pairing", "spread", "reachability")},
        exposed={h: v for h, v in exposed.items() if v},
        unpaired=[ctx.codes[i] for i in idx[~ok]],
        assessed=any(exposed.values()),
    )
