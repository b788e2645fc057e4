"""Row models of the knowledge packs, one module per pack (named in each manifest's tables).

May import: pydantic, clepath.knowledge.base, clepath.errors. No file formats.
"""
