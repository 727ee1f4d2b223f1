"""Files for other programs: strict JSON, Excel-friendly CSV (UTF-8 with BOM), GeoJSON for QGIS, and
atomic writing of a run's files as a whole.

Everything is rendered in memory first; :func:`write_folder` then moves the files into place
together, so an error leaves no half-written output.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..text import t

#: A CSV cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A CSV cell from user text that a spreadsheet would run as a formula gets a leading apostrophe.

    Numbers are left alone (a negative amount is a number, not text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(rows: list[dict], columns: list[str], headers: dict[str, str]) -> bytes:
    """A CSV table with a BOM (Excel opens it with Japanese intact), every cell :func:`csv_safe`."""
    df = pd.DataFrame(rows, columns=columns).rename(columns=headers).map(csv_safe)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def vendor_name(data, vendor_id) -> str:
    v = data.vendors
    return str(v.at[vendor_id, "name"]) if vendor_id in v.index and "name" in v.columns else ""


def plan_rows(data, plans: list, lang: str = "ja") -> list[dict]:
    """One row per (plan, group, member); ``plan`` is the alternative's number."""
    mark = t(lang, "csv.mark")
    m = data.municipalities
    rows = []
    for p_no, plan in enumerate(plans, start=1):
        for g in plan.groups:
            prefs = data.prefecture_names(g.members)
            share = {x["code"]: x for x in g.shares or []}
            for c in g.members:
                sh = share.get(c, {})
                vendor_now, renew = data.systems_of(c)
                join = g.join_fy.get(c)
                rows.append({
                    "plan": p_no, "group": g.id, "kind": t(lang, f"kind.{g.kind}"), "base_group_id": g.base_group_id or "",
                    "code": c, "name": m.at[c, "name"], "prefecture": m.at[c, "prefecture"],
                    "cross_prefecture": t(lang, "sep.dot").join(prefs) if len(prefs) > 1 else "",
                    "joining": mark[0] if (g.kind == "new" or c in g.joining) else "",
                    "population": int(m.at[c, "population"]),
                    "vendor_now": vendor_now, "vendor_now_name": vendor_name(data, vendor_now) if vendor_now else "",
                    "next_renewal_fy": renew[0] if renew else "",
                    "coastal": mark[0] if m.at[c, "coastal"] else "", "go_live_fy": g.go_live_fy,
                    "join_fy": int(join) if join is not None else "", "vendor": g.vendor,
                    "vendor_name": vendor_name(data, g.vendor),
                    "reduction_mean": round(100 * g.reduction_rate["mean"], 1), "annual_savings_yen": round(g.annual_savings_yen),
                    "coordination_cost_yen": round(g.coordination_cost_yen),
                    "npv_yen": round(g.npv_yen), "national_npv_yen": round(g.national_npv_yen),
                    "member_annual_savings_yen": sh.get("annual_savings_yen"), "own_npv_yen": sh.get("own_npv_yen"),
                    "share_yen": sh.get("share_yen"), "transfer_yen": sh.get("transfer_yen"),
                    "allocation": t(lang, f"alloc.method.{g.allocation['method']}") if g.allocation else "",
                    "continuity_score": g.continuity.score,
                    "pairing_ok": (t(lang, "report.not_assessed") if not g.continuity.assessed else
                                   mark[0] if g.continuity.pairing_ok else mark[1]),
                    "synthetic": mark[0] if plan.synthetic else "",
                    "scenario": plan.scenario.label or t(lang, "csv.default_scenario"),
                })
    return rows


def proposals_csv(data, plans: list, lang: str = "ja") -> bytes:
    """proposals.csv: one row per member of every proposed group; Japanese headers, English with ``lang="en"``."""
    headers = t(lang, "csv.proposals")
    return csv_bytes(plan_rows(data, plans, lang), list(headers), headers)


def roadmap_rows(data, plan, lang: str = "ja") -> list[dict]:
    """Who goes live when: a new group's founding cohort is 設立 (founded), every later member and every
    joiner of an existing group 参加 (joins); sorted by year and group."""
    words = t(lang, "csv.roadmap_steps")
    mark = t(lang, "csv.mark")
    rows = []
    for g in plan.groups:
        for n, step in enumerate(g.timeline):
            for c in step["joining"]:
                rows.append({"fy": step["fy"], "group": g.id, "base_group_id": g.base_group_id or "", "code": c,
                             "name": data.name(c), "step": words[0] if n == 0 and g.kind == "new" else words[1],
                             "synthetic": mark[0] if plan.synthetic else "",
                             "scenario": plan.scenario.label or t(lang, "csv.default_scenario")})
    return sorted(rows, key=lambda r: (r["fy"], r["group"], r["code"]))


def roadmap_csv(data, plan, lang: str = "ja") -> bytes:
    """roadmap.csv: (年度, グループ, 団体コード, 団体名, 区分 設立/参加); English headers with ``lang="en"``."""
    headers = t(lang, "csv.roadmap")
    return csv_bytes(roadmap_rows(data, plan, lang), list(headers), headers)


def pairs_csv(data, res, lang: str = "ja") -> bytes:
    """sweep_pairs.csv: every pair of municipalities ever grouped in a sweep, with how often and whether firm."""
    mark = t(lang, "csv.mark")
    rows = [{"a": p["a"], "a_name": data.name(p["a"]), "b": p["b"], "b_name": data.name(p["b"]),
             "frequency": p["frequency"], "firm": mark[0] if p["frequency"] >= res.firm_share else "",
             "synthetic": mark[0] if res.base_plan.synthetic else ""} for p in res.pairs]
    headers = t(lang, "csv.pairs")
    return csv_bytes(rows, list(headers), headers)


def groups_csv(data, res, lang: str = "ja") -> bytes:
    """sweep_groups.csv: every group that appears in some draw's plan, with how often and whether firm."""
    mark = t(lang, "csv.mark")
    rows = [{"frequency": g["frequency"], "firm": mark[0] if g["frequency"] >= res.firm_share else "",
             "base_group_id": g["base_group_id"] or "", "members": " ".join(g["members"]),
             "names": t(lang, "sep.list").join(data.name(c) for c in g["members"]),
             "synthetic": mark[0] if res.base_plan.synthetic else ""} for g in res.groups]
    headers = t(lang, "csv.groups")
    return csv_bytes(rows, list(headers), headers)


#: ``status`` of a municipality in proposals.geojson (``status_label``: ``map.status.<status>`` in the catalogue).
GEO_STATUS = ("proposed", "existing", "none")


def proposals_geojson(data, plan, lang: str = "ja") -> str:
    """Every municipality of the plan's prefectures, and every member of its groups, as polygons (EPSG:4326).

    Members of a proposed group come first, with their group's attributes exactly as :func:`plan_rows` gives
    them; the others follow (existing groups' members first, then by code), with the plan's number, the
    municipality's own facts (name, prefecture, population, current vendor and renewal, coastal) and the group
    columns null. Every feature also has ``status`` (one of
    :data:`GEO_STATUS`: in a proposed group, in an existing group the plan leaves unchanged, or in no group),
    ``status_label`` (its words in ``lang``), ``existing_group_id`` (the group it is in today, if any) and, for a
    municipality in no group, ``reason_code`` and ``reason`` from ``plan.left_out`` (null where it has none)."""
    mark = t(lang, "csv.mark")
    m = data.municipalities
    members = plan_rows(data, [plan], lang)
    columns = list(members[0]) if members else list(t(lang, "csv.proposals"))
    placed = {r["code"] for r in members}
    why = {r["code"]: r["reason_code"] for r in plan.left_out}
    others = sorted((c for c in m.index[m["prefecture_code"].isin(plan.prefectures)] if c not in placed),
                    key=lambda c: (c not in data.group_of, c))  # existing groups' members, then the rest
    rows = []
    for r in members:  # "code" first, as QGIS lists the fields
        rows.append({"code": r["code"], **r, "status": "proposed", "existing_group_id": data.group_of.get(r["code"]),
                     "reason_code": None, "reason": None})
    for c in others:
        vendor_now, renew = data.systems_of(c)
        row = {"code": c, **dict.fromkeys(columns)}
        row.update({"code": c, "plan": 1, "name": m.at[c, "name"], "prefecture": m.at[c, "prefecture"],
                    "population": int(m.at[c, "population"]), "vendor_now": vendor_now,
                    "vendor_now_name": vendor_name(data, vendor_now) if vendor_now else "",
                    "next_renewal_fy": renew[0] if renew else "", "coastal": mark[0] if m.at[c, "coastal"] else "",
                    "synthetic": mark[0] if plan.synthetic else "",
                    "scenario": plan.scenario.label or t(lang, "csv.default_scenario")})
        existing = data.group_of.get(c)
        code = None if existing else why.get(c)
        rows.append({**row, "status": "existing" if existing else "none", "existing_group_id": existing,
                     "reason_code": code, "reason": t(lang, f"reason.{code}") if code else None})
    for r in rows:
        r["status_label"] = t(lang, f"map.status.{r['status']}")
    if not rows:
        return json.dumps({"type": "FeatureCollection", "features": []})
    import geopandas as gpd

    frame = pd.DataFrame(rows, dtype=object)  # object: a null in a column never turns its integers into floats
    geometry = data.boundaries.loc[frame["code"]].to_crs("EPSG:4326").geometry.simplify(0.0005)
    gdf = gpd.GeoDataFrame(frame, geometry=list(geometry.values), crs="EPSG:4326")
    return gdf.to_json(drop_id=True, ensure_ascii=False)


def to_json(obj) -> str:
    """Strict JSON: NaN and infinities (an unknown bound or gap) become null, never a bare NaN."""
    return json.dumps(_finite(obj), ensure_ascii=False, indent=2, default=_default, allow_nan=False)


def _finite(o):
    if isinstance(o, (float, np.floating)):
        return float(o) if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o


def _default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write a file so that readers see either the old or the complete new content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


#: The record of the run that wrote a folder (its files, by name), written beside them.
MANIFEST = ".lgcloud-run.json"


def _inputs_hit(paths, inputs) -> list[str]:
    """The paths of ``paths`` that are input files (never written over)."""
    ins = {Path(p).resolve() for p in inputs if p}
    return [str(p) for p in paths if Path(p).resolve() in ins]


def check_target(path: str | Path, inputs=(), overwrite: bool = False) -> None:
    """A single output file (``graph --out``): never an input; an existing file only with ``overwrite``."""
    from ..errors import InputError, Problem
    from ..text import Msg

    path = Path(path)
    if _inputs_hit([path], inputs):
        raise InputError(Problem(str(path), None, None, Msg("out.is_input")))
    if path.exists() and not overwrite:
        raise InputError(Problem(str(path), None, None, Msg("out.file_exists")))


def write_folder(out_dir: str | Path, files: dict[str, str | bytes], encoding: str = "utf-8", *,
                 overwrite: bool = False, inputs=(), command: str = "") -> list[Path]:
    """Write a run's files as a whole, never mixed with another run's.

    All files go to a temporary folder beside ``out_dir`` first and are moved into place only when every
    one was written (a new folder is moved in one rename); an error leaves ``out_dir`` as it was. A folder
    that already holds files is refused (:class:`~optimizer.errors.InputError`, naming what is there)
    unless ``overwrite``: then the previous run recorded in its :data:`MANIFEST` goes as a whole (its
    ``altK/`` folders too) and the new run takes its place; other files in the folder are kept. An input
    file (``inputs``: the survey, groups, scenario... read by this run) is never written over."""
    from ..errors import InputError, Problem
    from ..text import Msg

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OSError(20, "not a folder", str(out))
    hit = _inputs_hit([out / name for name in files], inputs)
    if hit:
        raise InputError([Problem(h, None, None, Msg("out.is_input")) for h in hit])
    previous = _manifest(out)
    present = sorted(p.name for p in out.iterdir()) if out.exists() else []
    if present and not overwrite:
        what = Msg("out.previous_run", command=previous.get("command", "?")) if previous else Msg(
            "out.other_files", names=", ".join(present[:5]) + (" ..." if len(present) > 5 else ""))
        raise InputError(Problem(str(out), None, None, Msg("out.not_empty", what=what)))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    manifest = {"tool": "lgcloud", "command": command, "files": sorted(files)}
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700; files and sub-folders get the usual ones
        for name, data in files.items():  # names may hold one sub-folder level ("alt2/map.html")
            (tmp / name).parent.mkdir(exist_ok=True)
            (tmp / name).write_bytes(data.encode(encoding) if isinstance(data, str) else data)
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        if not out.exists():
            os.rename(tmp, out)
        else:
            for name in previous.get("files", []):  # the previous run, as a whole
                old = out / name
                if old.is_file() and old.resolve().is_relative_to(out.resolve()):
                    old.unlink()
            for sub in {Path(n).parts[0] for n in previous.get("files", []) if len(Path(n).parts) > 1}:
                d = out / sub
                if d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
            for name in [*files, MANIFEST]:
                (out / name).parent.mkdir(exist_ok=True)
                os.replace(tmp / name, out / name)
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / name for name in files]


def _manifest(out: Path) -> dict:
    """The previous run's record in ``out`` (empty if none or unreadable)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("files"), list) else {}
    except (OSError, ValueError):
        return {}
