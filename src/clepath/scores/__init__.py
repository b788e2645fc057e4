"""Scores and criteria: one module per instrument, plus the lab reading they share.

`labs` reads results against fixed thresholds and the lab's own range; `clasi`, `sledai`,
`eular_acr`, `slicc` and `classification` implement the instruments of clinical/instruments.md.
May import: clepath.domain, clepath.knowledge (base and models), clepath.errors.
"""
