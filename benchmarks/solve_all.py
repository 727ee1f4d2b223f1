"""All 47 prefectures at default settings, in both vendor modes, against two baselines.

    pip install -r benchmarks/requirements.txt   # spopt, for the max-p baseline
    python benchmarks/solve_all.py [--modes same,migrate] [--no-spopt] [--link-km 0]

Per prefecture: eligible municipalities, candidates, CP-SAT status and gap, seconds
(enumeration + solve), objective of the roadmap (``roadmap_years`` 10) beside the single-wave
plan (``roadmap_years`` 1) of the same instance -- time, value (same accounts: a single wave is
one admissible roadmap) and municipalities placed; and on the same instance

* **greedy**: take candidate groups best-value-first while they do not overlap (same
  candidates, so the ratio isolates what optimisation adds);
* **spopt max-p** (PySAL): max-p regionalisation of the eligible municipalities on our
  adjacency (attributes: renewal year, vendor, position; floor: ``min_size``
  members), then *repaired* to our rules: inside each region the best non-overlapping
  rule-compliant groups are kept (greedy by value), and scored with our model.

Then the whole country as **one instance** (``propose --all``; groups may cross prefecture
lines), run as a fresh process at the default work budget: wall time and peak memory
(``os.wait4``), status, bound and gap, beside the sum of the 47 separate prefecture optima
above (the per-prefecture path; its sum need not be one national plan, since two prefectures may each
expand a group that spans both) and the greedy.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.solve.candidates import enumerate_candidates  # noqa: E402
from optimizer.config import Scenario  # noqa: E402
from optimizer.model.context import Context  # noqa: E402
from optimizer.inputs.dataset import load  # noqa: E402
from optimizer.solve.plan import propose, scope_codes  # noqa: E402


def greedy(cands, allowed=None) -> float:
    used, total = set(), 0.0
    for c in sorted(cands, key=lambda c: -c.value):
        if allowed is not None and not allowed(c):
            continue
        keys = set(c.members) | ({("G", c.base_group)} if c.base_group else set())
        if used.isdisjoint(keys):
            used |= keys
            total += c.value
    return total


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def spopt_regions(ctx, elig: list[int], seed: int, timeout_s: int = 30) -> list[set[int]] | None:
    """Max-p regions of the eligible municipalities, per connected component; None on time-out."""
    import signal

    import geopandas as gpd
    import libpysal
    import networkx as nx
    from spopt.region import MaxPHeuristic

    g = nx.Graph()
    g.add_nodes_from(elig)
    g.add_edges_from((i, j) for i in elig for j in ctx.adjacency[i] if j in g)
    regions: list[set[int]] = []
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout_s)
    try:
        for comp in nx.connected_components(g):
            comp = sorted(comp)
            if len(comp) < ctx.scenario.min_size:
                continue
            codes = [ctx.codes[i] for i in comp]
            gdf = gpd.GeoDataFrame(
                {"renewal": ctx.renewal[comp].astype(float), "vendor": ctx.vendor_code[comp].astype(float),
                 "lat": ctx.lat[comp], "lon": ctx.lon[comp], "count": 1.0},
                geometry=ctx.data.boundaries.geometry.loc[codes].values, crs=ctx.data.boundaries.crs)
            local = {p: k for k, p in enumerate(comp)}
            neighbors = {k: sorted(local[j] for j in ctx.adjacency[p] if j in local) for k, p in enumerate(comp)}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = libpysal.weights.W(neighbors, silence_warnings=True)
                np.random.seed(seed)
                model = MaxPHeuristic(gdf, w, ["renewal", "vendor", "lat", "lon"], "count", ctx.scenario.min_size,
                                      top_n=2, max_iterations_construction=20, max_iterations_sa=5)
                model.solve()
            labels: dict[int, set[int]] = {}
            for k, lab in enumerate(model.labels_):
                if lab is not None and lab >= 0:
                    labels.setdefault(int(lab), set()).add(comp[k])
            regions += list(labels.values())
    except _Timeout:
        return None
    finally:
        signal.alarm(0)
    return regions


def placed(plan) -> int:
    return sum(len(g.movers) for g in plan.groups)


def run_mode(data, mode: str, use_spopt: bool, link_km: float) -> list[dict]:
    ctx = Context(data, Scenario(vendor_mode=mode, link_km=link_km))
    wave = Context(data, Scenario(vendor_mode=mode, link_km=link_km, roadmap_years=1), reuse=ctx)
    _ = ctx.adjacency_matrix, wave.adjacency_matrix  # build once, outside the timings
    rows = []
    for pref in sorted(data.municipalities.prefecture_code.unique()):
        t0 = time.perf_counter()
        single = propose(wave, [pref])[0]  # the single-wave plan (roadmap_years = 1), same accounts
        w_secs = time.perf_counter() - t0
        t0 = time.perf_counter()
        plan = propose(ctx, [pref])[0]
        secs = time.perf_counter() - t0
        scope = scope_codes(ctx, [pref])
        t0 = time.perf_counter()
        cs = enumerate_candidates(ctx, scope)
        g = greedy(cs.candidates)
        g_secs = time.perf_counter() - t0
        row = {"pref": pref, "eligible": plan.stats["eligible"], "candidates": plan.stats["candidates"],
               "status": plan.status, "gap": plan.gap, "seconds": secs, "objective": plan.objective,
               "greedy": g, "greedy_seconds": g_secs, "placed": placed(plan), "wave_status": single.status,
               "wave_seconds": w_secs, "wave_objective": single.objective, "wave_placed": placed(single)}
        if use_spopt and len(cs.eligible) >= 2:
            t0 = time.perf_counter()
            regions = spopt_regions(ctx, cs.eligible, seed=0)
            row["spopt_timeout"] = regions is None
            region_of = {i: k for k, r in enumerate(regions or []) for i in r}

            def inside(c, region_of=region_of):
                return len({region_of.get(i, -1 - i) for i in c.members}) == 1

            row["spopt"] = greedy(cs.candidates, inside)
            row["spopt_seconds"] = time.perf_counter() - t0  # the shared enumeration is not counted
        elif use_spopt:
            row["spopt"], row["spopt_seconds"] = 0.0, 0.0
        rows.append(row)
        print(f"{mode:7} {pref}  elig {row['eligible']:4d}  cand {row['candidates']:6d}  {row['status']:8} "
              f"gap {row['gap']:.4f}  {secs:6.2f} s  obj {row['objective'] / 1e6:10.1f}M  greedy "
              f"{g / 1e6:10.1f}M" + (f"  spopt {row['spopt'] / 1e6:10.1f}M" if use_spopt else "")
              + f"  | single wave {single.status:8} {w_secs:5.2f} s obj {single.objective / 1e6:10.1f}M  placed "
              f"{row['placed']:3d} vs {row['wave_placed']:3d}", flush=True)
    return rows


def ratio(a, b):
    return a / b if b > 0 else (1.0 if a <= 0 else float("inf"))


def summarise(mode, rows, use_spopt):
    opt = sum(r["status"] == "OPTIMAL" for r in rows)
    worst = max(rows, key=lambda r: r["seconds"])
    rg = [ratio(r["objective"], r["greedy"]) for r in rows]
    print(f"\n[{mode}] proven optimal {opt}/47; max gap {max(r['gap'] for r in rows):.4f}; slowest {worst['pref']} "
          f"{worst['seconds']:.2f} s (enumeration + solve + validation); total {sum(r['seconds'] for r in rows):.1f} s; "
          f"candidates total {sum(r['candidates'] for r in rows):,}")
    print(f"[{mode}] objective vs greedy: min ratio {min(rg):.3f}, total {ratio(sum(r['objective'] for r in rows), sum(r['greedy'] for r in rows)):.3f}; "
          f"prefectures where ours < greedy: {sum(r['objective'] < r['greedy'] - 1 for r in rows)}")
    below = sum(r["objective"] < r["wave_objective"] - 1 for r in rows)
    print(f"[{mode}] roadmap (roadmap_years {Scenario().roadmap_years}) vs single wave (1), same accounts: value "
          f"{sum(r['objective'] for r in rows) / 1e9:,.2f} vs {sum(r['wave_objective'] for r in rows) / 1e9:,.2f} bn yen "
          f"(ratio {ratio(sum(r['objective'] for r in rows), sum(r['wave_objective'] for r in rows)):.3f}); "
          f"municipalities placed {sum(r['placed'] for r in rows)} vs {sum(r['wave_placed'] for r in rows)}; time "
          f"{sum(r['seconds'] for r in rows):.1f} vs {sum(r['wave_seconds'] for r in rows):.1f} s; single wave proven "
          f"{sum(r['wave_status'] == 'OPTIMAL' for r in rows)}/47; prefectures where the roadmap is below: {below}")
    if use_spopt:
        rs = [ratio(r["objective"], r["spopt"]) for r in rows]
        print(f"[{mode}] objective vs spopt max-p (repaired): min ratio {min(rs):.3f}, total "
              f"{ratio(sum(r['objective'] for r in rows), sum(r['spopt'] for r in rows)):.3f}; "
              f"prefectures where ours < spopt: {sum(r['objective'] < r['spopt'] - 1 for r in rows)}; "
              f"time ours/spopt {sum(r['seconds'] for r in rows) / max(1e-9, sum(r['spopt_seconds'] for r in rows)):.2f}; "
              f"spopt timed out (30 s) on {sum(r.get('spopt_timeout', False) for r in rows)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modes", default="same,migrate")
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--link-km", type=float, default=0.0)
    ap.add_argument("--skip-all", action="store_true", help="skip the whole-country timing")
    args = ap.parse_args()
    use_spopt = not args.no_spopt
    if use_spopt:
        try:
            import spopt  # noqa: F401
        except ImportError:
            sys.exit("spopt is not installed: pip install -r benchmarks/requirements.txt (or pass --no-spopt)")
    data = load()
    _ = data.graph  # build once, outside the timings
    for mode in args.modes.split(","):
        rows = run_mode(data, mode, use_spopt, args.link_km)
        summarise(mode, rows, use_spopt)
        if not args.skip_all:
            national(mode, rows, args.link_km)


def national(mode: str, rows: list[dict], link_km: float) -> None:
    """``propose --all`` in a fresh process, the roadmap then the single wave: wall, peak RSS,
    status/bound/gap, vs the per-prefecture sum."""
    for years in (Scenario().roadmap_years, 1):
        _national(mode, rows, link_km, years)


def _national(mode: str, rows: list[dict], link_km: float, years: int) -> None:
    import json
    import os
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parents[1]
    label = f"{mode}, roadmap_years {years}"
    key = "objective" if years > 1 else "wave_objective"
    with tempfile.TemporaryDirectory() as tmp:
        sc = Path(tmp) / "s.toml"
        sc.write_text(f'vendor_mode = "{mode}"\nlink_km = {link_km}\nroadmap_years = {years}\n')
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(root / "cli.py"), "propose", "--all", "--json", "--scenario",
                                 str(sc)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    if status != 0:
        print(f"[{label}] national instance failed (exit {status})")
        return
    p = json.loads(out)
    t = p["totals"]
    per_pref = sum(r[key] for r in rows)
    greedy_sum = sum(r["greedy"] for r in rows)
    bound = "n/a" if p["best_bound"] is None else f"{p['best_bound']:,}"
    print(f"[{label}] national instance (one model): {p['status']}, gap {p['gap']}, bound {bound}, "
          f"{wall:.1f} s wall, peak memory {usage.ru_maxrss / 1024:,.0f} MB; candidates "
          f"{p['stats']['candidates']:,} (enumeration {p['stats']['enumeration_seconds']:.1f} s, solve "
          f"{p['solve_seconds']:.1f} s)" + (f"; search stopped: {p['stats']['stopped']}" if p['stats'].get('stopped')
                                            else ""))
    print(f"[{label}] national objective {p['objective'] / 1e9:,.2f} bn yen vs 47 separate prefecture optima "
          f"{per_pref / 1e9:,.2f} bn (ratio {ratio(p['objective'], per_pref):.4f}) vs greedy "
          f"{greedy_sum / 1e9:,.2f} bn; {t['groups']} groups, {t['cross_prefecture_groups']} across prefecture lines, "
          f"{t['municipalities_moving']} municipalities moving; joint-cloud municipalities at the end "
          f"{p['kpi'][-1]['municipalities_in_groups'] if p.get('kpi') else '-'}")


if __name__ == "__main__":
    main()
