"""The scale benchmark (bench/scale.py) runs end to end on a tiny scale: pathways opened over
stages at two points, measured, a mass wake-up whose every missed deadline is recorded, and the
summary with its growth. It cannot silently break. A temporary directory, well under 2 minutes."""

import re
from pathlib import Path

import pytest

from tests.bench_runs import run_bench

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"\d+\.\d+"
MET = r"(?:met|NOT met)"

pytestmark = pytest.mark.devserver


def test_scale_bench_measures_two_points_and_a_wakeup(tmp_path: Path) -> None:
    workdir = tmp_path / "scale"
    args = ["--pathways", "20,40"]
    args += ["--wakeup", "10", "--samples", "5", "--margin", "3", "--concurrency", "10"]
    args += ["--spread", "5"]  # the default four minutes would not fit a smoke run
    args += ["--timeout", "30", "--workdir", str(workdir)]
    out = run_bench("scale.py", args, tmp_path, timeout=110)
    assert "sticky cache 1000 workflows (SIAO_WORKER_MAX_CACHED_WORKFLOWS)" in out, out
    assert "wake-ups spread over 5 s (SIAO_DEADLINE_WAKEUP_SPREAD_SECONDS)" in out, out
    for pathways in (20, 40):
        assert re.search(
            rf"^== {pathways} open pathways \(\+20 at {NUMBER} pathways/s\) ==\n"
            rf"action \(flash evaluation\)\s+5 timed\s+p50\s+{NUMBER} ms\s+p99\s+{NUMBER} ms\n"
            rf"GET /households\?departement&stage\s+5 timed\s+p50\s+{NUMBER} ms\s+p99\s+{NUMBER}"
            rf" ms\nworker RSS \d+ MiB .*API RSS \d+ MiB\n"
            rf"Temporal database {NUMBER} MiB \(file \+ WAL\), {NUMBER} KiB per open pathway; "
            rf"app database {NUMBER} MiB$",
            out,
            re.M,
        ), out
    # The wake-up: all ten recorded, each with its alert; the caseworkers meanwhile answered.
    assert re.search(r"^opened in .*, 0 of them after T0$", out, re.M), out
    verdicts = (
        rf"^wake-up: every missed deadline recorded {NUMBER} s after T0 .*; 10 of them with an "
        rf"alert \(target: all within 300 s: {MET}\)\n"
        rf"during the wake-up: 4 caseworkers, \d+ actions .* p99 {NUMBER} ms "
        rf"\(target p99 <= 2000 ms: {MET}\)$"
    )
    assert len(re.findall(verdicts, out, re.M)) == 2, out  # in its block, and after the summary
    # The summary: each figure at both points and its growth.
    assert re.search(r"^summary \(growth = 40 vs 20 open pathways\)$", out, re.M), out
    assert re.search(r"^open pathways\s+20\s+40\s+2\.00$", out, re.M), out
    for label in (
        "opening rate, pathways/s",
        "action p99 ms",
        "list p99 ms",
        "worker RSS MiB",
        "API RSS MiB",
        "Temporal KiB/pathway",
        "app db MiB",
    ):
        assert re.search(rf"^{re.escape(label)}\s+[\d.]+\s+[\d.]+\s+{NUMBER}$", out, re.M), out
    assert re.search(
        rf"^worker RSS at 40 open pathways: \d+ MiB \(target < 1024 MiB, sticky cache 1000 "
        rf"workflows: {MET}\)$",
        out,
        re.M,
    ), out
    assert not re.search(r"\bnan\b", out), out  # every figure measured something
    assert (workdir / "siao-bench.db").exists()  # its own databases, not var/
    assert (workdir / "temporal.db").exists()
