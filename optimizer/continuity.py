r"""Business-continuity score of a group, 0-100, with its components.

* **pairing** (40 points): share of coastal members with a safe partner (an inland member
  within ``support_km``, or a member at least ``hazard_separation_km`` away); a group
  without coastal members scores 40. This is the 和歌山 arrangement: coastal 湯浅町 and
  広川町 with inland かつらぎ町.
* **spread** (30 points): 15 if not all members are coastal, plus
  :math:`15 \min(1, d_{max}/\text{spread\_km})`: members all within a short radius
  share one hazard.
* **reachability** (30 points): 30 when the largest distance between members is at most
  ``reach_km``, falling linearly to 0 at twice that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .context import Context
from .rules import safe_partners


@dataclass(frozen=True)
class Continuity:
    score: float
    pairing_ok: bool
    coastal: list[str]
    inland: list[str]
    max_distance_km: float
    components: dict[str, float]

    def as_dict(self) -> dict:
        return {"score": self.score, "pairing_ok": self.pairing_ok, "coastal": self.coastal, "inland": self.inland,
                "max_distance_km": self.max_distance_km, "components": self.components}


def continuity(ctx: Context, idx: np.ndarray) -> Continuity:
    m = ctx.model
    idx = np.asarray(idx, dtype=np.int64)
    coastal = ctx.coastal[idx]
    partnered = safe_partners(ctx, idx)
    n_coastal = int(coastal.sum())
    pairing = 40.0 if n_coastal == 0 else 40.0 * float(partnered[coastal].mean())
    dmax = float(ctx.distance[np.ix_(idx, idx)].max()) if len(idx) > 1 else 0.0
    spread = (0.0 if coastal.all() else 15.0) + 15.0 * min(1.0, dmax / m.spread_km)
    reach = 30.0 * float(np.clip(2.0 - dmax / m.reach_km, 0.0, 1.0))
    return Continuity(
        score=round(pairing + spread + reach, 2),
        pairing_ok=bool(partnered.all()),
        coastal=[ctx.codes[i] for i in idx[coastal]],
        inland=[ctx.codes[i] for i in idx[~coastal]],
        max_distance_km=round(dmax, 2),
        components={"pairing": round(pairing, 2), "spread": round(spread, 2), "reachability": round(reach, 2)},
    )
