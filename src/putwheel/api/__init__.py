"""The public Python facade: one function per CLI command, returning DataFrames or typed dataclasses.

Areas live in submodules (`api.pricing`, `api.data`, ...) and are re-exported here.
"""

# from putwheel.api.pricing import Quote, quote  (enabled once pricing/ lands)

__all__: list[str] = []
