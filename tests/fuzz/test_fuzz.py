"""The fuzz harness, bounded and derandomised: generated case files and text never crash
clepath and are never misread; the hostile corpora each get a clear error naming the field."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from clepath.casefile import load_case
from clepath.errors import CaseError
from tests.conftest import SHARED
from tests.fuzz.strategies import KB, case_documents, case_texts, check_document, check_text

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text())
SHARED_CORPUS = SHARED / "fuzz-corpus"

BOUNDED = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class TestGenerated:
    @BOUNDED
    @given(case_documents)
    def test_case_documents(self, document: Any) -> None:
        """Any generated case document is either a plausible Case or a CaseError."""
        assert check_document(document) is None

    @BOUNDED
    @given(case_texts)
    def test_case_texts(self, text: str) -> None:
        """Any generated case text (duplicated keys, aliases, deep nesting, cut short) is read
        or refused with a CaseError, never a crash."""
        assert check_text(text) is None


class TestProjectCorpus:
    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_each_file_names_its_field(self, name: str) -> None:
        """Each hostile file is refused naming the expected field; the valid one reads."""
        field = EXPECTED[name]
        try:
            load_case(CORPUS / name, KB)
            named: list[str] = []
        except CaseError as exc:
            named = [p.field for p in exc.problems]

        assert (field != "", True) == (bool(named), field in named or (not field and not named))

    @pytest.mark.parametrize("name", ["megagram-dose.yaml", "separator-wbc.yaml"])
    def test_the_likely_meaning_is_offered(self, name: str) -> None:
        """`200 Mg` offers 200 mg; `1.300 /mm3` offers 1,300 /mm3."""
        with pytest.raises(CaseError) as info:
            load_case(CORPUS / name, KB)

        assert {"megagram-dose.yaml": ("200 mg",), "separator-wbc.yaml": ("1,300 /mm3",)}[name] == (
            info.value.problems[0].suggestions
        )

    @pytest.mark.parametrize("name", sorted(n for n in EXPECTED if EXPECTED[n]))
    def test_the_cli_exits_1_naming_the_field(
        self, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`clepath assess FILE` exits 1 with the field in the message, never 70."""
        from clepath.cli.main import main

        monkeypatch.setattr(sys, "argv", ["clepath", "assess", str(CORPUS / name)])
        with pytest.raises(SystemExit) as info:
            main()
        err = " ".join(capsys.readouterr().err.split())

        assert (1, True, False) == (
            info.value.code, EXPECTED[name] in err, "internal error" in err
        )


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="the shared fuzz corpus is not present")
class TestSharedCorpus:
    @pytest.mark.parametrize(
        "name",
        sorted(p.name for p in SHARED_CORPUS.glob("*") if p.suffix in (".yaml", ".json"))
        if SHARED_CORPUS.is_dir() else [],
    )
    def test_each_file_is_answered_quickly(
        self, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every file of ../shared/fuzz-corpus exits 0 or 1 within 5 s, never with a traceback."""
        from clepath.cli.main import main

        command = "ivig" if "ivig" in name else "assess"
        monkeypatch.setattr(sys, "argv", ["clepath", command, str(SHARED_CORPUS / name)])
        started = time.perf_counter()
        with pytest.raises(SystemExit) as info:
            main()
        elapsed = time.perf_counter() - started
        err = capsys.readouterr().err

        assert (True, True, False) == (
            info.value.code in (0, 1), elapsed < 5, "internal error" in err
        )


class TestLimits:
    def test_a_file_above_the_size_limit_is_refused_unread(self, tmp_path: Path) -> None:
        """A 6 MB case file is refused by size, naming the file and the 5 MiB limit."""
        path = tmp_path / "big.yaml"
        path.write_text("clepath: 1\nnote: " + "x" * 6_000_000 + "\n")

        with pytest.raises(CaseError) as info:
            load_case(path, KB)

        assert ("big.yaml", True) == (info.value.problems[0].field,
                                      "5 MiB" in info.value.problems[0].message)

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
    def test_an_endless_file_is_refused_after_the_limit(self) -> None:
        """/dev/zero (no size, no end) is refused by size instead of read for ever."""
        with pytest.raises(CaseError) as info:
            load_case(Path("/dev/zero"), KB)

        assert "5 MiB" in info.value.problems[0].message
