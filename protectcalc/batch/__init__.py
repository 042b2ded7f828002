"""``protectcalc batch``: many orders, one row each, through the same compiled rule sets.

:mod:`protectcalc.batch.rows` says which columns an input may have and what an output row
holds (no Polars: the scalar engine's answer for one order, flattened); the columnar
evaluator (:mod:`protectcalc.engine.columnar`) computes the same rows on whole columns;
:mod:`protectcalc.batch.run` reads, routes rows to either, and writes.
"""
