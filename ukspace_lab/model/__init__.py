"""The kernel model: eras, costs, strategies, the scenario, and the closed form.

Layers, lowest first: the sourced constants (``kernel``, ``costs``,
``strategies``), the scenario schema and its feasibility check, the geometry
of the virtual map, then ``inputs`` (scenarios as arrays), ``pagetables``,
``layout``, ``memory``, ``kmap``, ``tlb``, the closed-form engine ``closed``
and the evaluated ``record`` every renderer reads. Nothing here imports the
simulator, the studies or the presentation.
"""
