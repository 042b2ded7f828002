"""protectcalc: the buyer-protection counter that marketplaces do not show.

The public API is the pure core: build an :class:`Order` from what the user typed,
load a :class:`RuleSet`, and call :func:`compute_timeline`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
