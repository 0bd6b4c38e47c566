"""`make mutation`: mutation testing of the rule modules with mutmut, and its report.

    python -m tools.mutation run [--jobs N]    mutmut run (incremental), then retry the survivors
                                               if the tests changed since the last run (not those
                                               docs/testing.md lists as equivalent, unless
                                               --retry-equivalents); report
        [--only PATTERN ...]                   only the mutants matching these patterns (fnmatch on
                                               mutmut's names, e.g. 'chalicelib.store.keys.*')
                                               that are not known to be killed: not tried yet,
                                               survived, or reached by no test
    python -m tools.mutation report [--check]  the score per module and every survivor, marked
                                               `equivalent` when docs/testing.md explains it
    python -m tools.mutation reset             forget every result (the next run tries everything)

What mutmut does (configured in pyproject.toml, `[tool.mutmut]`): it copies `chalicelib/` into
`mutants/`, writes every mutant of every function of the rule modules next to the original
behind a trampoline, records which tests reach which function, and then runs, for each mutant,
only those tests (fastest first, stopping at the first failure) in a forked process. Its results
live in `mutants/**/*.meta`, with a hash of each function: a rerun tries only the mutants of
functions that changed. What mutmut does not do is retry a survivor when the *tests* change;
this script does that (the survivors are few, and a new test exists to kill them).

The report is hand-written because mutmut prints one line per mutant and no per-module figure.
`--check` fails when a module is under the target or a survivor is not explained.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
DOC = ROOT / "docs" / "testing.md"
TARGET = 0.90
TESTS_HASH = MUTANTS / "tests.sha256"

# mutmut's exit-code vocabulary (mutmut.stats.status_by_exit_code), folded into what the report needs.
KILLED = {1, 3, 36, 24, -24, 152, 255}  # a test failed or errored, or the mutant timed out
# mypy (strict, as `make typecheck` runs it) rejected the mutant before any test ran
# (`type_check_command` in pyproject.toml): it could never pass the project's checks.
REJECTED_BY_MYPY = {37}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_CHECKED = {None}


@dataclass
class ModuleScore:
    module: str
    counts: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)

    @property
    def tried(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "not checked")

    @property
    def caught(self) -> int:
        return self.counts["killed"] + self.counts["mypy"]

    @property
    def score(self) -> float:
        """Caught (by a test, or by mypy before any test) / tried."""
        return self.caught / self.tried if self.tried else 1.0

    @property
    def test_score(self) -> float:
        """Killed by a test / the mutants mypy let through: what the tests alone catch."""
        ran = self.tried - self.counts["mypy"]
        return self.counts["killed"] / ran if ran else 1.0


def status_of(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in REJECTED_BY_MYPY:
        return "mypy"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code in NOT_CHECKED:
        return "not checked"
    return "suspicious"


def module_of(meta: Path) -> str:
    rel = meta.relative_to(MUTANTS).as_posix().removesuffix(".py.meta")
    return rel.replace("/", ".")


def load_results() -> dict[str, ModuleScore]:
    scores: dict[str, ModuleScore] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        name = module_of(meta)
        score = scores.setdefault(name, ModuleScore(name))
        for key, code in data["exit_code_by_key"].items():
            status = status_of(code)
            score.counts[status] += 1
            if status in ("survived", "no tests", "suspicious"):
                score.survivors.append(key)
    return scores


# ------------------------------------------------------------------ equivalent mutants (docs/testing.md)
ROW = re.compile(r"^\|\s*`(?P<name>chalicelib\.[^`]+__mutmut_\d+)`\s*\|")


def documented_equivalents() -> set[str]:
    """Mutant names in the equivalent-mutants table of docs/testing.md (first column)."""
    if not DOC.exists():
        return set()
    return {m["name"] for line in DOC.read_text().splitlines() if (m := ROW.match(line))}


def mutant_diff(name: str) -> str:
    """The mutant as a unified diff of its function (mutmut's own diff)."""
    from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

    try:
        return str(get_diff_for_mutant(name, path=find_mutant(name).path))
    except Exception as exc:  # a stale name (its function changed since): say so, do not crash the report
        return f"(no diff: {exc})"


def changed_lines(diff: str) -> str:
    minus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    plus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return " / ".join(minus) + "  →  " + " / ".join(plus)


def report(check: bool, diffs: bool = True) -> int:
    os.chdir(ROOT)  # mutmut's helpers read pyproject.toml and mutants/ relative to the cwd
    scores = load_results()
    if not scores:
        print("no mutation results yet: run `make mutation`")
        return 1
    equivalent = documented_equivalents()
    total: Counter[str] = Counter()
    print(
        f"\n{'module':44} {'mutants':>7} {'mypy':>6} {'killed':>7} {'surv.':>6} {'no test':>7} {'equiv.':>6} "
        f"{'score':>7} {'tests':>7}"
    )
    failing: list[str] = []
    unexplained: list[str] = []
    for name, s in sorted(scores.items()):
        eq = sum(1 for k in s.survivors if k in equivalent)
        total.update(s.counts)
        total["equivalent"] += eq
        flag = "" if s.score >= TARGET else "  < target"
        if s.score < TARGET:
            failing.append(name)
        print(
            f"{name:44} {s.tried:7} {s.counts['mypy']:6} {s.counts['killed']:7} {s.counts['survived']:6} "
            f"{s.counts['no tests']:7} {eq:6} {s.score:7.1%} {s.test_score:7.1%}{flag}"
        )
        unexplained += [k for k in s.survivors if k not in equivalent]
    tried = sum(v for k, v in total.items() if k not in ("not checked", "equivalent"))
    caught, ran = total["killed"] + total["mypy"], tried - total["mypy"]
    print(
        f"{'all rule modules':44} {tried:7} {total['mypy']:6} {total['killed']:7} {total['survived']:6} "
        f"{total['no tests']:7} {total['equivalent']:6} {caught / max(tried, 1):7.1%} "
        f"{total['killed'] / max(ran, 1):7.1%}"
    )
    print("score: caught by a test or by mypy, of all tried; tests: killed by a test, of those mypy let through")
    if total["not checked"]:
        print(f"\n{total['not checked']} mutants not tried yet (an interrupted run): run `make mutation` again")
    if unexplained:
        print(f"\n{len(unexplained)} survivors not explained in docs/testing.md:")
        for key in unexplained:
            print(f"  {key}")
            if diffs:
                print("      " + changed_lines(mutant_diff(key)))
    stale = equivalent - {k for s in scores.values() for k in s.survivors}
    if stale:
        print(f"\n{len(stale)} mutants listed as equivalent in docs/testing.md no longer survive (or were renamed):")
        for key in sorted(stale):
            print(f"  {key}")
    if check and (failing or unexplained):
        print(f"\nmutation check failed: {len(failing)} modules under {TARGET:.0%}, {len(unexplained)} unexplained")
        return 1
    return 0


def table() -> int:
    """The scores as the Markdown table docs/testing.md keeps (modules with mutants only)."""
    os.chdir(ROOT)
    equivalent = documented_equivalents()
    print(
        "| module | mutants | tried | rejected by mypy | killed by a test | survived | no test reaches it | "
        "equivalent | caught % | tests alone % |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    total: Counter[str] = Counter()
    for name, s in sorted(load_results().items()):
        every = s.tried + s.counts["not checked"]
        if not every:
            continue
        eq = sum(1 for k in s.survivors if k in equivalent)
        score = f"{s.score:.1%} | {s.test_score:.1%}" if s.tried else "not run yet | -"
        print(
            f"| `{name.removeprefix('chalicelib.')}` | {every} | {s.tried} | {s.counts['mypy']} | "
            f"{s.counts['killed']} | {s.counts['survived']} | {s.counts['no tests']} | {eq} | {score} |"
        )
        total.update({"every": every, "tried": s.tried, "equivalent": eq, **s.counts})
    overall = (total["killed"] + total["mypy"]) / total["tried"] if total["tried"] else 0.0
    alone = total["killed"] / max(total["tried"] - total["mypy"], 1)
    print(
        f"| **all** | {total['every']} | {total['tried']} | {total['mypy']} | {total['killed']} | "
        f"{total['survived']} | {total['no tests']} | {total['equivalent']} | {overall:.1%} | {alone:.1%} |"
    )
    return 0


# ------------------------------------------------------------------ running mutmut
def tests_hash() -> str:
    h = hashlib.sha256()
    for path in sorted((ROOT / "tests").rglob("*.py")):
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def mutmut(*args: str) -> int:
    exe = Path(sys.executable).with_name("mutmut")
    # `type_check_command` runs `python -m mypy`: this environment's python, wherever make found it.
    env = {**os.environ, "PATH": f"{exe.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.call([str(exe), *args], cwd=ROOT, env=env)


def refresh_copies() -> None:
    """mutmut copies the tests and the other files once; a changed test must reach mutants/."""
    for rel in ("tests", "local", "tools", "docs"):
        src, dst = ROOT / rel, MUTANTS / rel
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))


def open_mutants(patterns: list[str]) -> list[str]:
    """The mutants matching `patterns` whose result is not `killed` (mutmut retries every mutant
    it is given by name, killed or not; a partial run should not)."""
    names = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if status_of(code) not in ("killed", "mypy") and any(fnmatch.fnmatchcase(key, p) for p in patterns):
                names.append(key)
    return names


def run(jobs: int, only: list[str], retry_equivalents: bool = False) -> int:
    started = time.monotonic()
    fresh = not (MUTANTS / "mutmut-stats.json").exists()
    if not fresh:
        refresh_copies()
    if only and not fresh:
        only = open_mutants(only)
        if not only:
            print("every mutant matching those patterns is killed")
            return report(check=False)
        print(f"trying {len(only)} mutants that are not known to be killed")
    now_hash = tests_hash()  # the tests this run uses (taken before: tests may change while it runs)
    code = mutmut("run", "--max-children", str(jobs), *only)
    if code != 0:
        return code
    before = TESTS_HASH.read_text() if TESTS_HASH.exists() else None
    if only:  # a partial run: the other modules' survivors were not retried with these tests
        pass
    elif not fresh and before != now_hash:
        # The survivors docs/testing.md explains as equivalent are not retried (each costs every
        # test that reaches its function, a minute for a store's); `--retry-equivalents` does.
        skip = set() if retry_equivalents else documented_equivalents()
        survivors = [k for s in load_results().values() for k in s.survivors if k not in skip]
        if survivors:
            print(f"\nthe tests changed since the last run: retrying {len(survivors)} survivors")
            code = mutmut("run", "--max-children", str(jobs), *survivors)
            if code != 0:
                return code
    if not only:
        TESTS_HASH.write_text(now_hash)
    minutes = (time.monotonic() - started) / 60
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # mutmut and every process it forked
    cpu = (usage.ru_utime + usage.ru_stime) / 60
    load = os.getloadavg()[1]
    print(f"\nmutation run took {minutes:.1f} min ({cpu:.1f} CPU-minutes; load average {load:.1f})")
    return report(check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")))
    r.add_argument("--only", nargs="+", default=[], metavar="PATTERN")
    r.add_argument("--retry-equivalents", action="store_true")
    p = sub.add_parser("report")
    p.add_argument("--check", action="store_true")
    p.add_argument("--no-diffs", action="store_true")
    sub.add_parser("reset")
    sub.add_parser("table")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.jobs, args.only, args.retry_equivalents)
    if args.command == "report":
        return report(args.check, diffs=not args.no_diffs)
    if args.command == "table":
        return table()
    shutil.rmtree(MUTANTS, ignore_errors=True)
    print("mutation results forgotten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
