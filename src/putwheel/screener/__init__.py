"""Chain screening as `.pipe` steps over a chain frame: filter, enrich with the pricing core, score, rank, explain."""
