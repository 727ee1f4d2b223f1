r"""Which existing group a municipality would join: a ranking model learnt from the memberships in use.

Every member *q* of a real group *G* once chose *G* over the other groups near it. The
model learns from those choices, at run time, from the groups and members files given
(the shipped ones, or a prefecture's own), so a held-out evaluation that removes a
membership also removes it from training (``benchmarks/match_eval.py``).

Features of a (municipality *q*, group *G*) pair, always computed on *G* without *q*
(:func:`pair_features`; a person can read each one):

==================  ==========================================================================
``log_near_km``     :math:`\log(1 + d)`, *d* = distance to *G*'s nearest member
``near_vs_best``    the same minus its smallest value over *q*'s candidate groups (0 = nearest)
``near_vs_spacing`` :math:`\log(1+d) - \log(1+s)`, *s* = *G*'s typical member spacing (mean distance
                    of a member to its nearest fellow member): far is normal for a wide association
``log_centre_km``   :math:`\log(1 + \text{distance to } G\text{'s centre})`
``adjacent``        *q* borders a member (land, sea or transit link)
``neighbour_share`` of *q*'s neighbours that are in some group, the share in *G*
``nearest5_share``  of the 5 group members nearest to *q* (any group), the share in *G*
``same_prefecture`` share of *G*'s members in *q*'s prefecture
``scale_gap``       :math:`|\log_{10} p_q - \text{median}_G \log_{10} p|` (population scale)
``city_gap``        :math:`|[q \text{ is a city}] - \text{share of cities in } G|` (市 vs 町村)
``log_spread_km``   :math:`\log(1 + \text{largest distance between members})`
``log_size``        :math:`\log |G|`
``safe_partner``    +1 if *q* is exposed to a pairing hazard and *G* holds a safe partner, -1 if it
                    holds none, 0 if *q* is not exposed
==================  ==========================================================================

Vendor and renewal year are *not* learnt: a member runs its group's package and renews
with it, so in membership data they would reveal the answer. They are shown as facts,
and they enter the money of every option (:mod:`optimizer.model.scoring`).

The model is a standardised, L2-regularised logistic regression (Newton's method:
deterministic; :func:`logistic_regression`) on every (member, candidate group) pair, the member's real group as the
positive; a candidate group is one with a member within ``CANDIDATE_KM`` or in the same
prefecture. Gradient-boosted trees on the same pairs were tried and did worse out of
sample (``benchmarks/match_eval.py`` prints both). A pair's score is its log-odds; each
feature's contribution (coefficient x standardised value) gives the reasons an advisor
can repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..inputs.geography import haversine_km
from ..model.context import Context
from ..model.rules import safe_partner_matrix

CANDIDATE_KM = 200.0
FEATURES = ("log_near_km", "near_vs_best", "near_vs_spacing", "log_centre_km", "adjacent", "neighbour_share",
            "nearest5_share", "same_prefecture", "scale_gap", "city_gap", "log_spread_km", "log_size", "safe_partner")
KNN = 5
CITY_KINDS = ("市", "特別区", "政令指定都市")


@dataclass
class GroupFrame:
    """The existing groups as arrays: ids, member positions, names."""

    ids: list[str]
    members: list[np.ndarray]

    @classmethod
    def of(cls, ctx: Context) -> "GroupFrame":
        ids = sorted(ctx.data.group_members)
        return cls(ids, [ctx.positions(ctx.data.group_members[g]) for g in ids])


def pair_features(ctx: Context, queries: np.ndarray, groups: GroupFrame,
                  need: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features of every (query municipality, group) pair, each group taken without the query.

    Returns ``X`` (queries x groups x features) and ``candidate`` (queries x groups): the
    group has another member and one within ``CANDIDATE_KM`` of the query or in its prefecture.
    With ``need`` (group positions), only those groups and the candidates get features (the
    others' rows stay 0): the same values, faster for one query.
    """
    q = np.asarray(queries, dtype=np.int64)
    nq, ng = len(q), len(groups.ids)
    X = np.zeros((nq, ng, len(FEATURES)))
    cand = np.zeros((nq, ng), dtype=bool)
    logpop = np.log10(np.maximum(ctx.population, 1.0))
    kinds = ctx.data.municipalities["kind"].to_numpy()
    is_city = np.isin(kinds, CITY_KINDS)
    exposed_any = ctx.exposed.any(axis=1) if ctx.exposed.shape[1] else np.zeros(len(ctx.codes), dtype=bool)
    # which group each grouped municipality is in, for the neighbourhood shares (the query itself left out)
    group_idx = np.full(len(ctx.codes), -1)
    for k, M in enumerate(groups.members):
        group_idx[M] = k
    grouped = np.nonzero(group_idx >= 0)[0]
    Dg = ctx.distance[np.ix_(q, grouped)].astype(float)
    Dg[q[:, None] == grouped[None, :]] = np.inf
    nearest = np.argsort(Dg, axis=1, kind="stable")[:, :KNN]
    knn_group = group_idx[grouped[nearest]]
    nb = ctx.adjacency_matrix[np.ix_(q, grouped)] & (q[:, None] != grouped[None, :])
    nb_count = nb.sum(axis=1)
    needed = None if need is None else set(need)
    for k, M in enumerate(groups.members):
        self_ = q[:, None] == M[None, :]  # the query is this member
        keep = ~self_
        n = keep.sum(axis=1)
        D = ctx.distance[np.ix_(q, M)].astype(float)
        Dk = np.where(keep, D, np.inf)
        near = Dk.min(axis=1)
        same_pref = ((ctx.prefecture[M][None, :] == ctx.prefecture[q][:, None]) & keep).sum(axis=1) / np.maximum(n, 1)
        cand[:, k] = (n >= 1) & ((near <= CANDIDATE_KM) | (same_pref > 0))
        if needed is not None and k not in needed and not cand[:, k].any():
            continue  # neither needed nor a candidate of any query
        lat = np.where(keep, ctx.lat[M][None, :], 0.0).sum(axis=1) / np.maximum(n, 1)
        lon = np.where(keep, ctx.lon[M][None, :], 0.0).sum(axis=1) / np.maximum(n, 1)
        centre = haversine_km(ctx.lat[q], ctx.lon[q], lat, lon)
        adjacent = (ctx.adjacency_matrix[np.ix_(q, M)] & keep).any(axis=1)
        med = _row_median(np.broadcast_to(logpop[M], keep.shape), keep, default=logpop[q])
        scale_gap = np.abs(logpop[q] - med)
        city_share = np.where(keep, is_city[M][None, :], False).sum(axis=1) / np.maximum(n, 1)
        city_gap = np.abs(is_city[q].astype(float) - city_share)
        # spread and spacing of the group without the query (only members of the group change them)
        Dm = ctx.distance[np.ix_(M, M)].astype(float)
        spread = np.full(nq, Dm.max() if len(M) > 1 else 0.0)
        spacing = np.full(nq, _spacing(Dm))
        for r in np.nonzero(self_.any(axis=1))[0]:
            rest = np.nonzero(keep[r])[0]
            sub = Dm[np.ix_(rest, rest)]
            spread[r] = sub.max() if len(rest) > 1 else 0.0
            spacing[r] = _spacing(sub)
        # hazard pairing: the query exposed, and a safe partner among the other members
        rows = np.hstack([q[:, None], np.where(keep, M[None, :], -1)])
        ok = safe_partner_matrix(ctx, rows)[:, 0]
        safe = np.where(exposed_any[q], np.where(ok, 1.0, -1.0), 0.0)
        nb_share = (nb & (group_idx[grouped] == k)[None, :]).sum(axis=1) / np.maximum(nb_count, 1)
        knn_share = (knn_group == k).mean(axis=1)
        X[:, k] = np.column_stack([
            np.log1p(near), np.zeros(nq), np.log1p(near) - np.log1p(spacing), np.log1p(centre),
            adjacent.astype(float), nb_share, knn_share, same_pref, scale_gap, city_gap, np.log1p(spread),
            np.log(np.maximum(n, 1)), safe])
    # near_vs_best: relative to the nearest candidate group of the same query
    best = np.where(cand, X[:, :, 0], np.inf).min(axis=1, initial=np.inf)
    X[:, :, 1] = np.where(cand, X[:, :, 0] - np.where(np.isfinite(best), best, 0.0)[:, None], 0.0)
    return X, cand


def _row_median(values: np.ndarray, keep: np.ndarray, default: np.ndarray) -> np.ndarray:
    """Median of each row's kept values (``default`` where a row keeps none); as ``np.nanmedian``, faster."""
    v = np.sort(np.where(keep, values, np.inf), axis=1)
    n = keep.sum(axis=1)
    rows = np.arange(len(v))
    lo, hi = v[rows, np.maximum((n - 1) // 2, 0)], v[rows, np.maximum(n // 2, 0)]
    return np.where(n > 0, (lo + hi) / 2.0, default)


def _spacing(Dm: np.ndarray) -> float:
    """Mean distance from a member to its nearest fellow member (0 for fewer than two)."""
    if len(Dm) < 2:
        return 0.0
    D = Dm + np.diag(np.full(len(Dm), np.inf))
    return float(D.min(axis=1).mean())


@dataclass
class RankingModel:
    """A fitted ranking: standardisation and logistic coefficients, and what it learnt from.

    ``score`` is the model's log-odds that the municipality would choose the group;
    ``contributions`` split a pair's score into its features' parts (coefficient x
    standardised value: positive parts speak for the group, negative against).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    memberships: int
    pairs: int

    def score(self, X: np.ndarray) -> np.ndarray:
        return ((np.atleast_2d(X) - self.mean) / self.scale) @ self.coef + self.intercept

    def contributions(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.scale * self.coef


def training_set(ctx: Context, groups: GroupFrame | None = None, exclude: set[str] = frozenset()):
    """Every membership (but ``exclude``) as a query: its pairs with its candidate groups and the label.

    Returns ``X`` (pairs x features), ``y`` (the pair is the member's own group) and ``qid``
    (the member's code for each pair).
    """
    groups = groups or GroupFrame.of(ctx)
    queries, truth = [], []
    for k, M in enumerate(groups.members):
        for p in M:
            if ctx.codes[p] not in exclude:
                queries.append(int(p))
                truth.append(k)
    queries = np.array(queries, dtype=np.int64)
    X, cand = pair_features(ctx, queries, groups)
    rows, labels, qid = [], [], []
    for r, t in enumerate(truth):
        ks = np.nonzero(cand[r])[0]
        if t not in ks:  # its own group is not even a candidate: nothing to learn from this query
            continue
        rows.append(X[r, ks])
        labels.append(ks == t)
        qid.append(np.full(len(ks), ctx.codes[queries[r]]))
    return np.vstack(rows), np.concatenate(labels), np.concatenate(qid)


def fit(ctx: Context, exclude: set[str] = frozenset(), C: float = 1.0) -> RankingModel:
    """Fit the ranking on the memberships of ``ctx``'s data but ``exclude`` (codes); deterministic.

    The pairs of every membership are computed once per dataset and cached; leaving members
    out drops their pairs as queries (the groups' features still count them as members:
    ``benchmarks/match_eval.py`` recomputes everything without the left-out membership).
    """
    key = "ranking_pairs"
    if key not in ctx.data.memo:
        ctx.data.memo[key] = training_set(ctx)
    X, y, qid = ctx.data.memo[key]
    if exclude:
        keep = ~np.isin(qid, list(exclude))
        X, y = X[keep], y[keep]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    coef, intercept = logistic_regression((X - mean) / scale, y, C)
    return RankingModel(mean, scale, coef, intercept, int(y.sum()), int(len(y)))


def logistic_regression(Z: np.ndarray, y: np.ndarray, C: float = 1.0) -> tuple[np.ndarray, float]:
    r"""L2-regularised logistic regression, the objective of scikit-learn's ``LogisticRegression(C=C)``:

    .. math:: \min_{w, b}\; f(w, b) = \tfrac12 \lVert w\rVert^2 + C \sum_k \log\big(1 + e^{-s_k (z_k \cdot w + b)}\big),
              \quad s_k = \pm 1

    solved by Newton's method with a backtracking line search (the objective is strictly convex in
    *w*; deterministic). Gradient and Hessian, with :math:`a_k = (z_k, 1)`,
    :math:`\sigma(t) = 1 / (1 + e^{-t})`, :math:`m_k = s_k\, a_k \cdot (w, b)`:

    .. math:: \nabla f = (w, 0) - C \sum_k s_k \sigma(-m_k)\, a_k, \qquad
              \nabla^2 f = \mathrm{diag}(1, \dots, 1, 0) + C \sum_k \sigma(m_k)\sigma(-m_k)\, a_k a_k^\top

    Written here because importing scikit-learn (or SciPy's optimisers) costs more than ``match``'s
    whole computation; ``tests/test_matchmaking.py`` checks it agrees with scikit-learn.
    """
    A = np.hstack([Z, np.ones((len(Z), 1))])
    s = np.where(y, 1.0, -1.0)
    reg = np.r_[np.ones(Z.shape[1]), 0.0]
    theta = np.zeros(A.shape[1])

    def f(th):
        return 0.5 * (reg * th) @ th + C * np.logaddexp(0.0, -s * (A @ th)).sum()

    value = f(theta)
    for _ in range(100):
        m = s * (A @ theta)
        p = 0.5 * (1.0 + np.tanh(-m / 2.0))  # sigma(-m), stable for large |m|
        grad = reg * theta - C * A.T @ (s * p)
        if np.abs(grad).max() < 1e-9 * max(1.0, C * len(A)):
            break
        hess = np.diag(reg) + C * (A * (p * (1.0 - p))[:, None]).T @ A
        step = np.linalg.solve(hess + 1e-12 * np.eye(len(theta)), grad)
        t = 1.0
        while t > 1e-10:  # backtracking (Armijo)
            new = f(theta - t * step)
            if new <= value - 1e-4 * t * grad @ step:
                break
            t *= 0.5
        theta, value = theta - t * step, new
    return theta[:-1], float(theta[-1])


def fit_trees(ctx: Context):
    """Gradient-boosted trees on the same pairs: tried, and kept in the benchmark as a comparison."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y, _ = training_set(ctx)
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, early_stopping=False,
                                          random_state=0).fit(X, y)


def model_for(ctx: Context, exclude: frozenset[str] = frozenset()) -> RankingModel:
    """The ranking fitted on ``ctx``'s memberships but ``exclude``, cached on the dataset."""
    models = ctx.data.memo.setdefault("ranking_models", {})
    key = frozenset(exclude)
    if key not in models:
        models[key] = fit(ctx, exclude=key)
    return models[key]
