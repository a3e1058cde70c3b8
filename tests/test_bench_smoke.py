"""The pathway benchmark runs end to end (a real login, both sides, every level) and reports its
ratios: it cannot silently break again. A handful of operations, in a temporary directory."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench_runs import run_bench

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"\d+\.\d+"

pytestmark = pytest.mark.devserver


def test_bench_runs_and_prints_its_ratios(tmp_path: Path) -> None:
    workdir = tmp_path / "bench"
    args = ["--clients", "1,2", "--ops", "4"]
    args += ["--warmup", "1", "--timeout", "30", "--workdir", str(workdir)]
    out = run_bench("pathway.py", args, tmp_path, timeout=150)
    for clients in (1, 2):
        for side in ("bare", "shaped", "project"):  # ops/s, p50, p99, then CPU ms/op
            assert re.search(
                rf"^== {clients} client\(s\)(?:.*\n)*?{side}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}"
                rf"\s+{NUMBER}",
                out,
                re.M,
            ), out
        assert re.search(
            rf"^ratio project/bare @ {clients}: throughput {NUMBER}, p50 {NUMBER}, p99 {NUMBER}",
            out,
            re.M,
        ), out
        assert re.search(rf"^target @ {clients}: CPU worker\+API {NUMBER} ms/op <= 25: ", out, re.M)
        floor = rf"^shape's floor @ {clients}: worker \+ API {NUMBER} ms/op with none of the "
        floor += rf"project's work; project {NUMBER} ms/op, -?{NUMBER} above the floor$"
        assert re.search(floor, out, re.M), out
    # The targets, each with its verdict: p50 alone, throughput and p99 under load.
    assert re.search(rf"^target @ 1: p50 ratio {NUMBER} <= 1.3: (met|NOT met)$", out, re.M), out
    assert re.search(rf"^target @ 2: throughput ratio {NUMBER} >= 0.5: (met|NOT met)$", out, re.M)
    assert re.search(rf"^target @ 2: p99 ratio {NUMBER} <= 2.0: (met|NOT met)$", out, re.M)
    assert re.search(r"^targets: \d of 5 met$", out, re.M), out
    row = rf"^\s+2\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}$"
    assert re.search(row, out, re.M), out
    assert not re.search(r"\bnan\b", out), out  # every side measured something
    assert (workdir / "siao-bench.db").exists()  # its own database, not var/siao.db
    assert (workdir / "temporal.db").exists()


def test_rules_bench_runs_every_side_and_its_dry_run() -> None:
    """bench/rules.py: the wrapper, raw durable_rules, the engine's child, and a dry-run."""
    cmd = [sys.executable, str(ROOT / "bench" / "rules.py"), "--evaluations", "300"]
    cmd += ["--dry-run-rows", "300", "--warmup", "10"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    for line in (
        r"^A wrapper \(PolicyBook\.evaluate\)\s+300\s+\d+",
        r"^B raw durable_rules \(same definition\)\s+300\s+\d+",
        r"^C wrapper in the worker's engine child\s+300\s+\d+",
        rf"^ratio wrapper/raw: {NUMBER}",
        rf"^engine in a child process: {NUMBER}x the wrapper",
        r"^dry-run \(rules\.dry_run\.dry_run\).*300 rows in .* PASS; households' decisions: \d+",
    ):
        assert re.search(line, result.stdout, re.M), result.stdout


def _sql_bench(script: str, args: list[str], db_url: str, lines: str) -> None:
    """Run an SQL bench on SQLite, and on PostgreSQL when the suite runs there (in a schema of
    its own, dropped after); each database's block must print `lines`."""
    cmd = [sys.executable, str(ROOT / "bench" / script), *args]
    if db_url.startswith("postgresql"):
        cmd += ["--postgres", db_url]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    databases = ["SQLite", "PostgreSQL"] if db_url.startswith("postgresql") else ["SQLite"]
    for name in databases:
        assert re.search(rf"^== {name} : {lines}", result.stdout, re.M), result.stdout


def test_matching_bench_ranks_like_the_bare_query(db_url: str) -> None:
    """bench/matching.py: the project's ranking beside the bare SQL of the same order."""
    lines = rf"800 ménages(?:.*\n)*?bare\s+{NUMBER}\s+{NUMBER}\n"
    lines += rf"project\s+{NUMBER}\s+{NUMBER}\nratio project/bare p99 {NUMBER}"
    _sql_bench("matching.py", ["--households", "800", "--runs", "5"], db_url, lines)


def test_reports_bench_flows_like_the_bare_query(db_url: str) -> None:
    """bench/reports.py: the whole annual report beside the bare SQL of its largest query."""
    lines = r"300 ménages, 3000 événements(?:.*\n)*?"
    lines += rf"bare \(flux mensuels seuls\)\s+{NUMBER}\s+{NUMBER}\n"
    lines += rf"project \(rapport entier\)\s+{NUMBER}\s+{NUMBER}\nratio project/bare {NUMBER}"
    args = ["--households", "300", "--events", "3000", "--runs", "1"]
    _sql_bench("reports.py", args, db_url, lines)
