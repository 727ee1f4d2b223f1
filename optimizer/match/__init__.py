"""Stage 4, matchmaking: advice for one municipality -- which group to join and why, and whom to learn from.

* :mod:`~optimizer.match.ranking` -- a ranking model learnt at run time from the memberships in use;
* :mod:`~optimizer.match.matchmaking` -- the options (join, stay, new, alone), ranked, each with its reasons;
* :mod:`~optimizer.match.precedents` -- the most similar existing groups, and why.
"""
