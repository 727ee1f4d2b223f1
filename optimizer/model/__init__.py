"""Stage 2, the model: what a group of municipalities is worth and which groups the rules admit.

* :mod:`~optimizer.model.context` -- the data and scenario laid out as arrays (positions, distances);
* :mod:`~optimizer.model.rules` -- each business rule, defined once as a named predicate over member sets;
* :mod:`~optimizer.model.cost` -- cost base, reduction rate, one-off costs, subsidy, timing (a new cost
  parameter goes in :mod:`optimizer.config` and is used here);
* :mod:`~optimizer.model.continuity` -- the business-continuity score;
* :mod:`~optimizer.model.scoring` -- batches of member sets scored over packages, years and schedules;
* :mod:`~optimizer.model.sharing` -- the coalition game of a group and its nucleolus;
* :mod:`~optimizer.model.group` -- one group scored in full (:func:`score_group`, :class:`GroupScore`).

Imports go down only: ``group`` -> ``sharing`` -> ``scoring`` -> ``continuity`` -> ``rules`` -> ``context``
-> ``cost``, and the model reads :mod:`optimizer.inputs`, never the stages above it.
"""
