"""The clinical engine: therapy review, glucocorticoids, refractoriness, options, alerts and the
whole assessment that ties the scores together.

May import: clepath.domain, clepath.knowledge (base and models), clepath.scores,
clepath.dosing, clepath.errors. Never a web, database, CLI or file-format library.
"""
