"""The scenario: every knob declared once, checked against its declaration, every bad key named with its file."""

import pytest

from optimizer.config import ModelParameters, Scenario, knobs, load_scenario
from optimizer.errors import InputError


def test_scenario_errors_name_the_file_and_every_bad_key(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('seed = 3000000000\nalone = [["30201"]]\nmax_population = -1\n[model]\n'
                 'discount_rate = nan\nhorizon_years = 100000000\npartner_agreement_p = 2\n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_scenario(f)
    text = str(e.value)
    for key in ("seed", "alone", "max_population", "model.discount_rate", "model.horizon_years",
                "model.partner_agreement_p"):
        assert f"key '{key}'" in text
    assert all(p.file == "bad.toml" for p in e.value.problems)


def test_a_roadmap_needs_a_year_to_go_live_in(tmp_path):
    f = tmp_path / "short.toml"
    f.write_text("roadmap_years = 2\n[model]\nlead_years = 2\ncontract_years = 0\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_scenario(f)
    assert "key 'model.contract_years'" in str(e.value)
    f.write_text("roadmap_years = 2\n[model]\nlead_years = 2\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_scenario(f)
    assert "key 'roadmap_years'" in str(e.value) and "no year to go live" in str(e.value)
    f.write_text("roadmap_years = 31\n", encoding="utf-8")
    with pytest.raises(InputError, match="roadmap_years"):
        load_scenario(f)


def test_every_knob_is_declared_with_labels_source_and_range():
    for cls in (Scenario, ModelParameters):
        declared = knobs(cls)
        assert set(declared) == {f for f in cls.__dataclass_fields__ if f not in ("model", "ranges", "label")}  # drawn ranges; the file's name
        for name, k in declared.items():
            assert k.ja and k.en and k.source_en and k.source_ja, name
            default = getattr(cls(), name)
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                assert k.lo is not None and k.lo <= default <= k.hi, name
            if k.choices:
                assert default in k.choices, name


def test_a_value_outside_the_declared_range_is_refused_with_the_reason(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("max_size = 30\n", encoding="utf-8")
    with pytest.raises(InputError, match="grows about 3x per member"):
        load_scenario(f)


def test_the_parameter_tables_of_the_model_document_are_derived_from_the_knobs():
    import subprocess
    import sys

    from support import ROOT

    p = subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py"), "--check"], capture_output=True,
                       text=True, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr


def test_lgcloud_scenario_lists_every_knob_in_the_language_asked():
    from support import cli

    ja = cli("scenario").stdout
    en = cli("scenario", "--lang", "en").stdout
    assert "renewal_window_years" in ja and "更新時期の許容差" in ja and "model.discount_rate" in ja
    assert "renewal window" in en and "更新時期" not in en
