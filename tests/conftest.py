import shutil

import pandas as pd
import pytest

from optimizer.config import Scenario
from optimizer.inputs.dataset import default_data_dir, load
from optimizer.model.context import Context
from support import KII, cli

SYSTEMS = default_data_dir() / "systems"


@pytest.fixture(scope="session")
def data():
    """The shipped national data (1,741 municipalities)."""
    return load()


@pytest.fixture(scope="session")
def ctx(data):
    return Context(data, Scenario())


@pytest.fixture(scope="session")
def kii():
    """The small real fixture: 紀伊半島 (三重・奈良・和歌山, 98 municipalities, 4 real groups)."""
    return load(KII)


@pytest.fixture(scope="session")
def kii_ctx(kii):
    return Context(kii, Scenario())


@pytest.fixture(scope="session")
def wakayama_out(tmp_path_factory):
    """``propose --pref 30 --out``, run once: the output folder the CLI, report and map tests read (never write)."""
    out = tmp_path_factory.mktemp("wakayama")
    p = cli("propose", "--pref", "30", "--out", out)
    assert f"{out} に9ファイルを書き出しました" in p.stdout
    return out


@pytest.fixture
def survey_copy(tmp_path):
    """A writable copy of the shipped survey and groups; edit the returned frame and call save()."""

    class Copy:
        path = tmp_path / "survey.csv"
        groups = tmp_path / "groups.csv"
        members = tmp_path / "group_members.csv"
        df = pd.read_csv(SYSTEMS / "survey.csv", dtype=str, keep_default_na=False)

        def save(self):
            self.df.to_csv(self.path, index=False)
            return self.path

    shutil.copy(SYSTEMS / "groups.csv", Copy.groups)
    shutil.copy(SYSTEMS / "group_members.csv", Copy.members)
    return Copy()
