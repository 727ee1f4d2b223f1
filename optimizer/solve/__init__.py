"""Stage 3, solving: which groups to form, and a check of the answer that trusts nothing above.

* :mod:`~optimizer.solve.candidates` -- every admissible group (new, or an expansion), scored exactly;
* :mod:`~optimizer.solve.packing` -- the set-packing model and its CP-SAT solve (status, bound, gap);
* :mod:`~optimizer.solve.roadmap` -- a plan read year by year: horizon, KPI, everyone left out and why;
* :mod:`~optimizer.solve.verify` -- the independent validator every plan passes;
* :mod:`~optimizer.solve.plan` -- :func:`propose`: candidates -> CP-SAT -> scored groups -> validated :class:`Plan`.
"""
