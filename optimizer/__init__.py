"""lgcloud: group formation and matchmaking for Japanese municipal joint cloud (自治体クラウド)."""

from .api import compare, context, load, match, precedents, propose, score  # noqa: F401
from .config import ModelParameters, Scenario, load_scenario  # noqa: F401

__version__ = "0.1.0"
