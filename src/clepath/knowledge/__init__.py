"""Clinical knowledge as versioned, sourced data: pack schema, loader and registry.

`base` holds the typed registry (no file formats); `loader` reads the packs under `packs/`
(YAML rows, TOML manifests); `models/` holds one pydantic row model module per pack.
May import: clepath.domain, clepath.errors, pydantic; the loader alone reads files.
"""

from clepath.knowledge.base import KnowledgeBase, Pack, Parameter, Row, Source, Vocabulary

__all__ = ["KnowledgeBase", "Pack", "Parameter", "Row", "Source", "Vocabulary"]
