"""The report of bench/pathway.py: each level's figures, their ratios, and the performance
issue's targets with their verdict."""

import math

from bench._common import Result

# The performance issue's targets: under load (several clients) throughput >= 0.5 x bare and
# p99 <= 2 x bare; alone (one client) p50 <= 1.3 x bare; at every level the project's own CPU
# (worker + API) <= 25 ms per operation (two actions).
TARGET_THROUGHPUT = 0.5
TARGET_P99 = 2.0
TARGET_P50_ALONE = 1.3
TARGET_CPU_MS = 25.0


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else math.nan


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def targets(clients: int, bare: Result, project: Result) -> list[str]:
    """The issue's targets that apply at this level, each with its verdict."""
    own = own_cpu(project)
    found = []
    if clients == 1:
        p50 = _ratio(project.pct(0.5), bare.pct(0.5))
        found.append(
            f"p50 ratio {p50:.2f} <= {TARGET_P50_ALONE}: {_verdict(p50 <= TARGET_P50_ALONE)}"
        )
    else:
        tput = _ratio(project.throughput, bare.throughput)
        p99 = _ratio(project.pct(0.99), bare.pct(0.99))
        found.append(
            f"throughput ratio {tput:.2f} >= {TARGET_THROUGHPUT}: "
            f"{_verdict(tput >= TARGET_THROUGHPUT)}"
        )
        found.append(f"p99 ratio {p99:.2f} <= {TARGET_P99}: {_verdict(p99 <= TARGET_P99)}")
    found.append(
        f"CPU worker+API {own:.1f} ms/op <= {TARGET_CPU_MS:.0f}: {_verdict(own <= TARGET_CPU_MS)}"
    )
    return found


def own_cpu(side: Result) -> float:
    """A side's CPU per operation in its worker (with the rules child) and its API."""
    return side.cpu_ms.get("worker", math.nan) + side.cpu_ms.get("API", math.nan)


def level_report(
    clients: int, bare: Result, project: Result, ops: int, warmup: int, shaped: Result
) -> str:
    head = f"{'side':<10}{'ops/s':>8}{'p50 ms':>9}{'p99 ms':>9}   CPU ms/op:"
    head += f"{'worker':>8}{'API':>8}{'temporal':>10}"
    lines = [f"\n== {clients} client(s): {ops} operations a side (+{warmup} warmup) ==", head]
    for r in (bare, shaped, project):
        cpu = "".join(
            f"{r.cpu_ms[k]:>{w}.1f}" if k in r.cpu_ms else f"{'-':>{w}}"
            for k, w in (("worker", 8), ("API", 8), ("temporal", 10))
        )
        lines.append(
            f"{r.side:<10}{r.throughput:>8.1f}{r.pct(0.5):>9.1f}{r.pct(0.99):>9.1f}{'':>13}{cpu}"
        )
    tput = _ratio(project.throughput, bare.throughput)
    p50 = _ratio(project.pct(0.5), bare.pct(0.5))
    p99 = _ratio(project.pct(0.99), bare.pct(0.99))
    lines.append(
        f"ratio project/bare @ {clients}: throughput {tput:.3f}, p50 {p50:.3f}, p99 {p99:.3f}"
    )
    floor, own = own_cpu(shaped), own_cpu(project)  # what no code of ours could go under
    lines.append(
        f"shape's floor @ {clients}: worker + API {floor:.1f} ms/op with none of the "
        f"project's work; project {own:.1f} ms/op, {own - floor:.1f} above the floor"
    )
    lines += [f"target @ {clients}: {t}" for t in targets(clients, bare, project)]
    return "\n".join(lines)


def summary(rows: list[tuple[int, Result, Result]]) -> str:
    lines = [
        "\nsummary (project/bare)",
        f"{'clients':>7}{'bare ops/s':>12}{'project ops/s':>15}{'tput ratio':>12}"
        f"{'p50 ratio':>11}{'p99 ratio':>11}{'CPU ms/op':>11}",
    ]
    verdicts = []
    for clients, bare, project in rows:
        lines.append(
            f"{clients:>7}{bare.throughput:>12.1f}{project.throughput:>15.1f}"
            f"{_ratio(project.throughput, bare.throughput):>12.3f}"
            f"{_ratio(project.pct(0.5), bare.pct(0.5)):>11.3f}"
            f"{_ratio(project.pct(0.99), bare.pct(0.99)):>11.3f}{own_cpu(project):>11.1f}"
        )
        verdicts += [f"  @ {clients}: {t}" for t in targets(clients, bare, project)]
    met = sum(v.endswith(": met") for v in verdicts)
    return "\n".join([*lines, f"targets: {met} of {len(verdicts)} met", *verdicts])
