import shutil
from pathlib import Path

import pandas as pd
import pytest

from optimizer.config import Scenario
from optimizer.context import Context
from optimizer.data import default_data_dir, load

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = default_data_dir() / "systems"


@pytest.fixture(scope="session")
def data():
    return load()


@pytest.fixture(scope="session")
def ctx(data):
    return Context(data, Scenario())


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
