"""The hostile corpus through ``validate()`` and ``decode()`` in-process.

Only typed ``InvalidImageError`` subclasses may escape; every "refuse" case is refused, every
"accept" case accepted; whatever ``validate()`` accepts, ``decode()`` accepts too; and no case
runs away (a per-case wall-clock check catches hangs; it is a bound, not a speed test).
"""

from __future__ import annotations

import collections
import time
import warnings

import pytest

from gan_imaging.core.errors import InvalidImageError
from gan_imaging.core.imaging.decode import decode, validate
from gan_imaging.core.testing.hostile import EXPECTATIONS, generate
from gan_imaging.core.testing.mutations import STRATEGIES, seeds

PER_CASE_BOUND_S = 10.0


def _run(step, case) -> str:
    try:
        step(case.data, filename=case.filename)
    except InvalidImageError as exc:
        return exc.code
    except Exception as exc:  # noqa: BLE001 - recorded and reported below
        return f"escaped {type(exc).__name__}: {exc}"
    return "ok"


@pytest.fixture(scope="module")
def corpus():
    return list(generate(seed=0, n_mutations=1000))


def test_corpus_shape(corpus):
    names = [c.name for c in corpus]
    assert len(names) == len(set(names))
    assert {c.expect for c in corpus} <= set(EXPECTATIONS)
    fuzz = [c for c in corpus if c.name.startswith("fuzz/")]
    assert len(fuzz) >= 1000
    assert {c.name.split("/")[2] for c in fuzz} == set(STRATEGIES)
    assert {c.name.split("/")[1] for c in fuzz} == {name for name, _, _ in seeds()}
    assert sum(c.expect == "refuse" for c in corpus) >= 30


def test_every_case_is_handled(corpus):
    problems, outcomes = [], collections.Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on corrupt EXIF and short TIFF reads
        for case in corpus:
            start = time.perf_counter()
            checked, decoded = _run(validate, case), _run(decode, case)
            seconds = time.perf_counter() - start
            outcomes[(checked == "ok", decoded == "ok")] += 1
            for result in (checked, decoded):
                if result.startswith("escaped"):
                    problems.append(f"{case.name}: {result}")
            if case.expect == "refuse" and "ok" in (checked, decoded):
                problems.append(f"{case.name}: accepted, must be refused")
            if case.expect == "accept" and (checked, decoded) != ("ok", "ok"):
                problems.append(f"{case.name}: refused ({checked}, {decoded}), must be accepted")
            if checked == "ok" and decoded != "ok":
                problems.append(f"{case.name}: validate accepted what decode refused")
            if seconds > PER_CASE_BOUND_S:
                problems.append(f"{case.name}: took {seconds:.1f} s")
    assert problems == [], "\n".join(problems[:30])
    # Both outcomes occur among the mutations, so the fuzzing reaches the decoders.
    assert outcomes[(True, True)] > 50 and outcomes[(False, False)] > 50
