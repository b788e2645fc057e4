"""The knowledge registry: packs of sourced rows, vocabularies and configurable parameters.

Design rule: every row names at least one source from its pack's manifest; a row or parameter
tagged `U` (unconfirmed) is a configurable default and is labelled as such wherever it affects
output. Nothing here reads files: `clepath.knowledge.loader` builds a KnowledgeBase.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clepath.errors import KnowledgeError

__all__ = [
    "EvidenceTag",
    "KnowledgeBase",
    "Manifest",
    "Pack",
    "Parameter",
    "Row",
    "Source",
    "TableSpec",
    "Vocabulary",
    "normalise_term",
]

EvidenceTag = Literal["V", "C", "P", "S", "L", "U"]

_SPACES = re.compile(r"[\s_\-]+")


def normalise_term(term: str) -> str:
    """Case-fold and collapse spaces, hyphens and underscores: `Anti-dsDNA` == `anti_dsdna`."""
    return _SPACES.sub(" ", term.casefold()).strip()


class Source(BaseModel):
    """A citable source in a pack's manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str
    citation: str
    url: str | None = None
    doi: str | None = None
    pmid: str | None = None
    note: str | None = None


class TableSpec(BaseModel):
    """One data file of a pack and the row model that reads it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str
    file: str
    model: str  # "module:Class" inside clepath.knowledge.models
    vocabulary: str | None = None  # rows' id and synonyms form this vocabulary


class Manifest(BaseModel):
    """A pack's manifest: identity, version, status and the sources its rows cite."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str
    status: Literal["draft", "reviewed"] = "draft"
    effective: str
    reviewers: tuple[str, ...] = ()
    description: str = ""
    tables: tuple[TableSpec, ...] = ()
    sources: tuple[Source, ...] = ()


class Row(BaseModel):
    """Base of every knowledge row: unknown keys are errors and a source is required."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    source: tuple[str, ...] = Field(min_length=1)
    tag: EvidenceTag | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value

    @property
    def unconfirmed(self) -> bool:
        """True for a [U] row: a configurable default, never presented as fact."""
        return self.tag == "U"


class Parameter(Row):
    """A configurable number or choice (a threshold, a ratio, a band scheme)."""

    id: str
    value: float | int | str | bool
    unit: str | None = None
    description: str
    allowed: tuple[float | int | str | bool, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


T = TypeVar("T")
RowT = TypeVar("RowT", bound=Row)


@dataclass(frozen=True)
class Pack:
    """A loaded pack: its manifest and its validated tables."""

    manifest: Manifest
    tables: Mapping[str, tuple[Row, ...]]
    content_hash: str

    @property
    def ref(self) -> str:
        """`id@version`, the form every output cites."""
        return f"{self.manifest.id}@{self.manifest.version}"

    def source(self, source_id: str) -> Source:
        """A source of this pack by id."""
        for source in self.manifest.sources:
            if source.id == source_id:
                return source
        raise KnowledgeError(f"pack {self.manifest.id}: unknown source {source_id!r}")


@dataclass
class Vocabulary:
    """Canonical ids and their synonyms, resolved case-insensitively."""

    name: str
    terms: dict[str, str] = field(default_factory=dict)  # normalised term -> canonical id
    labels: dict[str, str] = field(default_factory=dict)  # canonical id -> display term

    def add(self, canonical: str, synonyms: Iterable[str] = (), pack: str = "") -> None:
        """Register a canonical id and its synonyms; a clash between two ids is a pack error."""
        self.labels.setdefault(canonical, canonical)
        for term in (canonical, *synonyms):
            key = normalise_term(term)
            existing = self.terms.get(key)
            if existing is not None and existing != canonical:
                raise KnowledgeError(
                    f"vocabulary {self.name!r}: {term!r} means both {existing!r} and "
                    f"{canonical!r} (pack {pack})"
                )
            self.terms[key] = canonical

    def resolve(self, term: str) -> str | None:
        """The canonical id of `term`, or None."""
        found = self.terms.get(term)  # already normalised (normalising is idempotent)
        if found is not None:
            return found
        return self.terms.get(normalise_term(term))

    def suggest(self, term: str, n: int = 3) -> tuple[str, ...]:
        """The closest known terms to an unknown one (spelling, then shared words)."""
        wanted = normalise_term(term)
        seen: list[str] = []

        def keep(canonical: str) -> None:
            if canonical not in seen:
                seen.append(canonical)

        for match in difflib.get_close_matches(wanted, list(self.terms), n=n * 2, cutoff=0.75):
            keep(self.terms[match])
        words = set(wanted.split())
        if wanted:
            for known, canonical in sorted(self.terms.items()):
                if wanted in known or words & set(known.split()):
                    keep(canonical)
        for match in difflib.get_close_matches(wanted, list(self.terms), n=n * 2, cutoff=0.6):
            keep(self.terms[match])
        return tuple(seen[:n])

    def known(self) -> tuple[str, ...]:
        """Every canonical id, sorted."""
        return tuple(sorted(self.labels))


class KnowledgeBase:
    """Every loaded pack, their vocabularies and the parameters in force."""

    def __init__(
        self, packs: Mapping[str, Pack], overrides: Mapping[str, Any] | None = None
    ) -> None:
        self.packs = dict(packs)
        self.vocabularies: dict[str, Vocabulary] = {}
        for pack in self.packs.values():
            for spec in pack.manifest.tables:
                if spec.vocabulary is None:
                    continue
                vocab = self.vocabularies.setdefault(spec.vocabulary, Vocabulary(spec.vocabulary))
                for row in pack.tables[spec.name]:
                    canonical = getattr(row, "id", None)
                    if not isinstance(canonical, str):
                        raise KnowledgeError(
                            f"pack {pack.manifest.id}: table {spec.name} feeds a vocabulary "
                            "but its rows have no `id`"
                        )
                    vocab.add(canonical, getattr(row, "synonyms", ()) or (), pack.manifest.id)
                    label = getattr(row, "label", None)
                    if isinstance(label, str):
                        vocab.labels[canonical] = label
        self._parameters: dict[str, Parameter] = {}
        for pack in self.packs.values():
            for rows in pack.tables.values():
                for row in rows:
                    if isinstance(row, Parameter):
                        self._parameters[f"{pack.manifest.id}.{row.id}"] = row
        self._accessed: set[str] = set()
        self._typed: dict[tuple[str, str, type], tuple[Row, ...]] = {}
        # Shared by every session view of this base (the dict is shared, not copied).
        self._derived: dict[Hashable, Any] = {}
        self._cited: dict[tuple[str, str], dict[str, str]] = {}
        self.overrides: dict[str, Any] = {}
        for key, value in (overrides or {}).items():
            self._check_override(key, value)
            self.overrides[key] = value

    def _check_override(self, key: str, value: Any) -> None:
        param = self._parameters.get(key)
        if param is None:
            close = difflib.get_close_matches(key, list(self._parameters), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KnowledgeError(f"unknown parameter {key!r}{hint}")
        if param.allowed is not None and value not in param.allowed:
            raise KnowledgeError(
                f"parameter {key}: {value!r} is not one of {', '.join(map(str, param.allowed))}"
            )
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if param.minimum is not None and value < param.minimum:
                raise KnowledgeError(f"parameter {key}: {value} is below {param.minimum}")
            if param.maximum is not None and value > param.maximum:
                raise KnowledgeError(f"parameter {key}: {value} is above {param.maximum}")

    def versions(self) -> dict[str, str]:
        """{pack id: version} of every loaded pack: stated by every output."""
        return {pid: p.manifest.version for pid, p in sorted(self.packs.items())}

    def pack(self, pack_id: str) -> Pack:
        """One pack by id."""
        try:
            return self.packs[pack_id]
        except KeyError:
            raise KnowledgeError(f"knowledge pack {pack_id!r} is not loaded") from None

    def table(self, pack_id: str, name: str, model: type[RowT]) -> tuple[RowT, ...]:
        """The rows of one table, typed (checked once per table and model, then cached)."""
        key = (pack_id, name, model)
        cached = self._typed.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        rows = self.pack(pack_id).tables.get(name)
        if rows is None:
            raise KnowledgeError(f"pack {pack_id!r} has no table {name!r}")
        for row in rows:
            if not isinstance(row, model):
                raise KnowledgeError(f"pack {pack_id}.{name}: rows are not {model.__name__}")
        self._typed[key] = rows
        return rows  # type: ignore[return-value]

    def derived(self, key: Hashable, build: Callable[[KnowledgeBase], T]) -> T:
        """`build(self)` computed once per loaded base and kept: for indexes and look-ups
        built from tables only. `build` must not read parameters (`value`), whose overrides and
        the parameters-in-force bookkeeping belong to each base and computation; callers must
        not modify what it returns."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            made = self._derived[key] = build(self)
            return made

    def vocabulary(self, name: str) -> Vocabulary:
        """A vocabulary by name (`drug`, `lab_test`, `finding`, `clasi_region`, ...)."""
        try:
            return self.vocabularies[name]
        except KeyError:
            raise KnowledgeError(f"no vocabulary {name!r} in the loaded packs") from None

    def parameter(self, key: str) -> Parameter:
        """A parameter's row (`pack.parameter_id`)."""
        try:
            return self._parameters[key]
        except KeyError:
            raise KnowledgeError(f"unknown parameter {key!r}") from None

    def value(self, key: str) -> Any:
        """The value in force for a parameter: the override if one was given, else the pack's."""
        self._accessed.add(key)
        if key in self.overrides:
            return self.overrides[key]
        return self.parameter(key).value

    def session(self) -> KnowledgeBase:
        """A view of the same packs that records which parameters one computation reads."""
        view = object.__new__(KnowledgeBase)
        view.__dict__.update(self.__dict__)
        view._accessed = set()
        return view

    def accessed(self) -> tuple[str, ...]:
        """Parameters read through `value` since this view was made, sorted."""
        return tuple(sorted(self._accessed))

    def is_default_unconfirmed(self, key: str) -> bool:
        """True when a parameter in force is an unconfirmed ([U]) default, not overridden."""
        return key not in self.overrides and self.parameter(key).unconfirmed

    def parameters(self) -> dict[str, Parameter]:
        """Every parameter, keyed `pack.id`."""
        return dict(self._parameters)

    def cite(self, pack_id: str, source_ids: Iterable[str]) -> list[dict[str, str]]:
        """Sources as output objects: id, citation and a link where known."""
        return [self.citation(pack_id, sid) for sid in source_ids]

    def citation(self, pack_id: str, source_id: str) -> dict[str, str]:
        """One source as an output object (a fresh copy, as `cite` gives)."""
        made = self._cited.get((pack_id, source_id))
        if made is None:
            made = self._cited[(pack_id, source_id)] = self._cite_one(pack_id, source_id)
        return dict(made)

    def _cite_one(self, pack_id: str, sid: str) -> dict[str, str]:
        pack = self.pack(pack_id)
        src = pack.source(sid)
        item = {"id": src.id, "citation": src.citation, "pack": pack.ref}
        link = src.url or (f"https://doi.org/{src.doi}" if src.doi else None)
        if link is None and src.pmid:
            link = f"https://pubmed.ncbi.nlm.nih.gov/{src.pmid}/"
        if link:
            item["url"] = link
        return item
