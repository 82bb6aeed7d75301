"""Hostile inputs through ``validate()`` + ``decode()`` the way a worker runs them.

The corpus is ``gan_imaging.core.testing.hostile.generate(seed, mutations)``: crafted bombs,
truncations, polyglots, refused formats and size edges, then seeded fuzz mutations of small
valid JPEG/PNG/WebP/GIF/AVIF/TIFF files. Cases run in batches, each batch in a fresh child
process under ``RLIMIT_AS`` (1 GiB by default, as the worker pre-flight in
reliability-and-security.md §6.5 asks) with a per-case wall-clock timeout. The child reports
every case as one JSON line, so a case that kills or hangs its child is pinned down exactly;
the parent then restarts a child after it.

Classes per case: accepted (both steps succeed), refused by error code (``validate()``'s code),
crashed (an exception other than ``InvalidImageError`` escaped, or the child died), hung (no
answer within the timeout), over memory (a ``MemoryError`` reached the decoder or killed the
child). Expectation failures (a "refuse" case accepted, an "accept" case refused, ``decode()``
refusing what ``validate()`` accepted) are counted too. It also times ``validate()`` on a
synthetic 12 MP JPEG and PNG against a plain full Pillow load of the same bytes (median of 5,
in the parent, no memory limit).

    .venv/bin/python benchmarks/hostile_inputs.py --seed 0 --mutations 1000
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _worker(seed: int, mutations: int, start: int, stop: int, mem_bytes: int) -> None:
    """Child: run cases ``start:stop`` and print one JSON line per case."""
    import warnings

    from gan_imaging.core.errors import InvalidImageError
    from gan_imaging.core.imaging.decode import decode, validate
    from gan_imaging.core.testing.hostile import generate

    warnings.simplefilter("ignore")
    cases = list(generate(seed, mutations))[start:stop]
    # The limit starts after the corpus is built: only decoding runs under it, as in a worker.
    resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
    for offset, case in enumerate(cases):
        result: dict[str, object] = {"i": start + offset}
        began = time.perf_counter()
        for key, step in (("v", validate), ("d", decode)):
            try:
                step(case.data, filename=case.filename)
                result[key] = "ok"
            except InvalidImageError as exc:
                result[key] = exc.code
                if isinstance(exc.__cause__, MemoryError):
                    result["mem"] = True
            except MemoryError:
                result[key], result["mem"] = "escaped:MemoryError", True
            except Exception as exc:  # noqa: BLE001 - the point is to see what escapes
                result[key] = f"escaped:{type(exc).__name__}"
        result["s"] = round(time.perf_counter() - began, 4)
        result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps(result), flush=True)


def _run_batch(args: argparse.Namespace, start: int, stop: int) -> tuple[list[dict], dict]:
    """Run cases from ``start``; return their results and, if the child failed, a record for
    the case it was on (``{"i": .., "fail": "hung"|"crashed"|"over_memory"}``)."""
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--seed",
        str(args.seed),
        "--mutations",
        str(args.mutations),
        "--start",
        str(start),
        "--stop",
        str(stop),
        "--mem-mib",
        str(args.mem_mib),
    ]
    env = dict(os.environ, MALLOC_ARENA_MAX="2")  # fewer 64 MB arenas under RLIMIT_AS
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    results: list[dict] = []
    buffer = b""
    # The first case also pays for imports and for generating the corpus.
    deadline = time.monotonic() + args.case_timeout + 30
    while True:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            proc.kill()
            proc.wait()
            return results, {"i": start + len(results), "fail": "hung"}
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            results.append(json.loads(line))
            deadline = time.monotonic() + args.case_timeout
    proc.wait()
    stderr = proc.stderr.read().decode(errors="replace")
    if start + len(results) < stop:
        memory = any(s in stderr for s in ("MemoryError", "bad_alloc", "Cannot allocate"))
        failure = {
            "i": start + len(results),
            "fail": "over_memory" if memory else "crashed",
            "rc": proc.returncode,
            "stderr": stderr[-300:],
        }
        return results, failure
    return results, {}


def _classify(rec: dict) -> str:
    if "fail" in rec:
        return rec["fail"]
    steps = (rec["v"], rec["d"])
    if rec.get("mem"):
        return "over_memory"
    if any(s.startswith("escaped") for s in steps):
        return "crashed"
    if steps == ("ok", "ok"):
        return "accepted"
    return "refused:" + (rec["v"] if rec["v"] != "ok" else rec["d"])


def _speed() -> dict[str, float]:
    """Median ms of ``validate()`` and of a plain Pillow ``open().load()`` on a synthetic 12 MP
    (4000 × 3000) photo as JPEG q90 and PNG, plus one ``decode()``."""
    import io

    import numpy as np
    from PIL import Image

    from gan_imaging.core.imaging.decode import decode, validate

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
    arr = np.stack([x / 4000 * 255, y / 3000 * 255, 128 + 90 * np.sin((x + y) / 150)], -1)
    arr += rng.normal(0, 4, arr.shape).astype(np.float32)  # sensor-like noise
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    out: dict[str, float] = {}
    for name, params in (("jpeg", {"format": "JPEG", "quality": 90}), ("png", {"format": "PNG"})):
        buf = io.BytesIO()
        im.save(buf, **params)
        data = buf.getvalue()
        # Baseline in the same run: what a plain full Pillow load of the upload costs.
        steps = (
            ("validate", validate),
            ("pillow_load", lambda d: Image.open(io.BytesIO(d)).load()),
        )
        for label, step in steps:
            times = []
            for _ in range(5):
                began = time.perf_counter()
                step(data)
                times.append(time.perf_counter() - began)
            out[f"{label}_{name}12mp_ms"] = statistics.median(times) * 1000
        began = time.perf_counter()
        decode(data)
        out[f"decode_{name}12mp_ms"] = (time.perf_counter() - began) * 1000
        out[f"{name}12mp_mb"] = len(data) / 1e6
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mutations", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500, help="cases per child process")
    parser.add_argument("--case-timeout", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--mem-mib", type=int, default=1024, help="RLIMIT_AS per child")
    parser.add_argument("--no-speed", action="store_true", help="skip the 12 MP timings")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.seed, args.mutations, args.start, args.stop, args.mem_mib * 1024 * 1024)
        return

    from gan_imaging.core.testing.hostile import generate

    began = time.perf_counter()
    cases = list(generate(args.seed, args.mutations))
    records: list[dict] = []
    start = 0
    while start < len(cases):
        stop = min(len(cases), start + args.batch)
        results, failure = _run_batch(args, start, stop)
        records += results
        start += len(results)
        if failure:
            records.append(failure)
            print(f"  {failure['fail']}: {cases[failure['i']].name} {failure.get('rc', '')}")
            start += 1
    seconds = time.perf_counter() - began

    classes = collections.Counter(_classify(r) for r in records)
    problems = []
    for rec in records:
        case, cls = cases[rec["i"]], _classify(rec)
        if case.expect == "refuse" and cls == "accepted":
            problems.append(f"{case.name}: accepted, must be refused")
        elif case.expect == "accept" and cls != "accepted":
            problems.append(f"{case.name}: {cls}, must be accepted")
        elif "fail" not in rec and rec["v"] == "ok" and rec["d"] != "ok":
            problems.append(f"{case.name}: validate accepted, decode said {rec['d']}")
        if cls in ("crashed", "hung", "over_memory"):
            problems.append(f"{case.name}: {cls} {rec}")
    per_case = sorted(r.get("s", args.case_timeout) for r in records)
    peak_mb = max(r.get("rss_kb", 0) for r in records) / 1024
    crafted = sum(not c.name.startswith("fuzz/") for c in cases)

    print(
        f"hostile corpus: seed {args.seed}, {crafted} crafted + {args.mutations} mutations, "
        f"batches of {args.batch}, RLIMIT_AS {args.mem_mib} MiB, {args.case_timeout:g} s/case"
    )
    print(f"{'class':32} {'cases':>7}")
    for cls, n in sorted(classes.items()):
        print(f"{cls:32} {n:>7}")
    p50, p99 = per_case[len(per_case) // 2], per_case[int(len(per_case) * 0.99)]
    print(
        f"per case (validate+decode): p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"max {per_case[-1]:.2f} s"
    )
    print(f"peak child RSS {peak_mb:.0f} MB; wall {seconds:.1f} s")
    for line in problems[:20]:
        print("PROBLEM", line)
    speed = {} if args.no_speed else _speed()
    for key, value in speed.items():
        print(f"{key:24} {value:8.1f}")

    refused = sum(n for cls, n in classes.items() if cls.startswith("refused:"))
    fields = {
        "cases": len(records),
        "refused": refused,
        "accepted": classes["accepted"],
        "crashed": classes["crashed"],
        "hung": classes["hung"],
        "over_memory": classes["over_memory"],
        "expectation_failures": len(problems),
        "peak_rss_mb": f"{peak_mb:.0f}",
        "p99_case_ms": f"{p99 * 1000:.1f}",
        **{k: f"{v:.0f}" if k.endswith("_ms") else f"{v:.1f}" for k, v in speed.items()},
        "seconds": f"{seconds:.1f}",
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
