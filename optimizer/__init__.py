"""lgcloud: group formation and matchmaking for Japanese municipal joint cloud (自治体クラウド).

The package is laid out by stage; each imports only from the stages below it:

====================  ============================================================================
``optimizer.inputs``  files, their checks, the shipped data, geography, the municipal graph
``optimizer.model``   what a group is worth: rules, costs, continuity, scores, fair shares
``optimizer.solve``   which groups to form: candidates, CP-SAT, the plan, its roadmap, its validation
``optimizer.match``   advice for one municipality: options, ranking, precedents
``optimizer.robust``  advice under uncertainty: draws on Dask, firm and open decisions, the robust plan
``optimizer.render``  outputs: JSON, CSV, GeoJSON, reports, maps (views only render)
====================  ============================================================================

``optimizer.config`` (the scenario and its knobs), ``optimizer.text`` (every sentence, in Japanese and
English) and ``optimizer.errors`` sit below them all; ``optimizer.api`` and ``optimizer.cli`` above.
"""

from .api import as_dict, compare, context, load, match, precedents, propose, proposal, score, sweep  # noqa: F401
from .config import ModelParameters, Scenario, load_scenario  # noqa: F401
from .text import Msg, say  # noqa: F401

__version__ = "0.1.0"
