"""memlint's speed and memory against a bare libcst parse and flake8, on real ML code.

    python3 bench/run.py              # the whole benchmark (6 to 10 minutes a round on two cores)
    python3 bench/run.py --quick      # a quarter of the corpus, to try things out
    python3 bench/run.py --profile    # also profile one single-core memlint run

The first run creates two virtual environments under bench/.work/ (pinned flake8 and its
default plugins; and memlint from this checkout with the same flake8 and pinned libcst) and
fetches the pinned corpus (bench/corpus.py) with pip; both are reused afterwards.

Every measurement is a separate process, run one after another in the same invocation so
that the ratios hold on a busy machine:

  libcst parse      bench/parse_floor.py: a bare libcst.parse_module of every file (the floor)
  memlint cold      memlint check --jobs 1 with an empty cache (all default rules)
  memlint warm      the same again: every file is served from .memlint_cache/
  memlint N cores   memlint check --no-cache with its default --jobs (all cores)
  flake8            flake8 -j 1 with its default plugins (pycodestyle, pyflakes, mccabe)
  flake8 + memlint  the same with memlint's flake8 plugin installed, when memlint has one,
                    run through bench/flake8_timed.py, which also times the plugin from inside
                    the process (a ratio that the machine's slow minutes cannot skew)

For each: wall time, CPU time (user + system, of the process and its workers), files per
second and peak resident memory of the largest process. Single-core ratios are taken on CPU
time, which other load on the machine disturbs least (on a shared machine the same run still
moves by 10-20% from one minute to the next, so each round also reports its own ratios); the
speed-up of N cores on wall time.
A table goes to stdout and every figure to a JSON file (--json, default bench/.work/results.json).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

# The tools measured, pinned so that runs on different days compare.
FLAKE8_PINS = ["flake8==7.5.0", "pycodestyle==2.15.0", "pyflakes==4.1.0", "mccabe==0.7.0"]
LIBCST_PIN = "libcst==1.9.0"
TOMLI_PIN = "tomli==2.2.1"  # memlint's own dependency on Python < 3.11

TARGETS = {
    "cold_vs_flake8": 1.0,
    "cold_vs_parse": 2.0,
    "plugin_vs_flake8": 1.6,
    "warm_vs_cold": 0.05,
    "two_core_speedup": 1.8,
    "rss_vs_parse": 1.25,
}


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# --- environments --------------------------------------------------------------------------

def _bin(venv: Path, name: str) -> str:
    sub = "Scripts" if os.name == "nt" else "bin"
    return str(venv / sub / (name + (".exe" if os.name == "nt" else "")))


def _venv(path: Path, pins: List[str], editable: Optional[Path] = None) -> Path:
    """A virtual environment at `path` with `pins` (and memlint from `editable`), made once."""
    stamp_data = {"python": sys.version, "pins": pins}
    if editable is not None:
        # An editable install records its entry points (the flake8 plugin) when installed:
        # install again whenever pyproject.toml changes.
        stamp_data["pyproject"] = hashlib.sha256((editable / "pyproject.toml").read_bytes()).hexdigest()
    stamp = path / "bench-stamp.json"
    if stamp.exists() and json.loads(stamp.read_text()) == stamp_data:
        return path
    log(f"creating {path.relative_to(REPO)} ...")
    if path.exists():
        shutil.rmtree(path)
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    pip = [_bin(path, "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + pins, check=True)
    if editable is not None:
        subprocess.run(pip + ["--no-deps", "-e", str(editable)], check=True)
    stamp.write_text(json.dumps(stamp_data))
    return path


def environments():
    pins = list(FLAKE8_PINS)
    memlint_pins = pins + [LIBCST_PIN] + ([TOMLI_PIN] if sys.version_info < (3, 11) else [])
    flake8_env = _venv(WORK / "venv-flake8", pins)
    memlint_env = _venv(WORK / "venv-memlint", memlint_pins, editable=REPO)
    # pip compiled flake8's and libcst's modules when it installed them; memlint is installed
    # editable, so compile its modules too, as a user's first run would. Otherwise every
    # measured run compiles them again where bytecode writing is off (PYTHONDONTWRITEBYTECODE).
    subprocess.run([_bin(memlint_env, "python"), "-m", "compileall", "-q", str(REPO / "memlint")],
                   check=True, stdout=subprocess.DEVNULL)
    return flake8_env, memlint_env


def plugin_status(memlint_env: Path) -> Optional[str]:
    """None when flake8 in `memlint_env` runs memlint's plugin, else why it cannot."""
    py = _bin(memlint_env, "python")
    r = subprocess.run([py, "-c", "import memlint.frontends.flake8"], capture_output=True, text=True)
    if r.returncode != 0:
        return "n/a (plugin not installed)"
    r = subprocess.run([_bin(memlint_env, "flake8"), "--version"], capture_output=True, text=True)
    if "memlint" not in r.stdout.lower():
        return "n/a (plugin not registered with flake8)"
    return None


# --- measuring -----------------------------------------------------------------------------

def measure(name: str, cmd: List[str], out: Path, cwd: Path) -> Dict:
    """Run `cmd` once; wall and CPU time, peak RSS of its largest process, its output."""
    with open(out, "wb") as stdout, open(out.with_suffix(".err"), "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, cwd=str(cwd))
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
    rss_kb = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS
    result = {
        "name": name,
        "command": " ".join(cmd),
        "exit": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "output_lines": sum(1 for _ in open(out, "rb")),
    }
    log(f"{name}: {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU, "
        f"{result['peak_rss_mb']:.0f} MB")
    return result


CALIBRATE = """
import sys, time, multiprocessing as mp
def burn(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
if __name__ == "__main__":
    procs, n = int(sys.argv[1]), int(sys.argv[2])
    t = time.perf_counter()
    for _ in range(procs):
        burn(n)
    serial = time.perf_counter() - t
    t = time.perf_counter()
    with mp.get_context("spawn").Pool(procs) as pool:
        pool.map(burn, [n] * procs)
    print(serial / (time.perf_counter() - t))
"""


def calibrate(python: str, procs: int) -> float:
    """The speed-up `procs` processes get right now on a perfectly parallel loop.

    On a shared machine the cores are not all free: this says how much parallelism the
    machine could give during the run, to read memlint's own speed-up against.
    """
    script = WORK / "calibrate.py"
    script.write_text(CALIBRATE)
    out = subprocess.run([python, str(script), str(procs), "20000000"], capture_output=True, text=True,
                         check=True).stdout
    value = float(out.strip())
    log(f"calibration: {procs} processes of a perfectly parallel loop ran {value:.2f}x faster than one")
    return value


def _findings(path: Path) -> List[str]:
    return [line for line in path.read_text(errors="replace").splitlines() if line.strip()]


def _plugin_share(err: Path) -> Optional[Dict]:
    """What bench/flake8_timed.py reported: CPU seconds in memlint's plugin and in all."""
    for line in err.read_text(errors="replace").splitlines():
        if line.startswith("memlint-plugin-cpu-s:"):
            spent, total = line.split(":", 1)[1].split(" of ")
            return {"plugin_cpu_s": float(spent), "process_cpu_s": float(total)}
    return None


def run_all(args, target: Path, n_files: int, flake8_env: Path, memlint_env: Path) -> Dict:
    out_dir = WORK / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    config = WORK / "pyproject.toml"  # an empty configuration: memlint's defaults, cache here
    config.write_text("[tool.memlint]\n")
    cache_dir = WORK / ".memlint_cache"
    memlint = [_bin(memlint_env, "memlint"), "check", "--config", str(config), "--exit-zero", "-q"]
    flake8_args = ["--isolated", "-j", "1", "--exit-zero", str(target)]
    plugin = plugin_status(memlint_env)

    runs: Dict[str, Dict] = {}
    calibration: Dict[str, float] = {}
    rounds: List[Dict[str, Dict]] = []  # every round's own figures, for within-round ratios

    def keep(result: Dict) -> None:
        rounds[-1][result["name"]] = {"wall_s": result["wall_s"], "cpu_s": result["cpu_s"]}
        best = runs.get(result["name"])
        if best is None or result["cpu_s"] < best["cpu_s"]:
            runs[result["name"]] = result

    for i in range(args.repeat):
        rounds.append({})
        if args.repeat > 1:
            log(f"round {i + 1} of {args.repeat}")
        keep(measure("libcst parse", [_bin(memlint_env, "python"), str(HERE / "parse_floor.py"), str(target)],
                     out_dir / "parse.txt", WORK))
        shutil.rmtree(cache_dir, ignore_errors=True)
        keep(measure("memlint cold", memlint + ["--jobs", "1", str(target)], out_dir / "memlint-cold.txt", WORK))
        keep(measure("memlint warm", memlint + ["--jobs", "1", str(target)], out_dir / "memlint-warm.txt", WORK))
        # The parallelism the machine can give is measured just before and just after the
        # run, and the lower figure kept: another program busy on a core during the run
        # shows up in one of them at least.
        before = calibrate(_bin(memlint_env, "python"), os.cpu_count() or 1)
        result = measure("memlint all cores", memlint + ["--no-cache", str(target)], out_dir / "memlint-jobs.txt", WORK)
        ideal = min(before, calibrate(_bin(memlint_env, "python"), os.cpu_count() or 1))
        if "memlint all cores" not in runs or result["cpu_s"] < runs["memlint all cores"]["cpu_s"]:
            calibration["speedup"] = ideal
        keep(result)
        keep(measure("flake8", [_bin(flake8_env, "flake8")] + flake8_args, out_dir / "flake8.txt", WORK))
        if plugin is None:
            # Through bench/flake8_timed.py: the same flake8, which also reports how much of
            # the process's CPU time memlint's plugin took.
            out = out_dir / "flake8-memlint.txt"
            keep(measure("flake8 + memlint", [_bin(memlint_env, "python"), str(HERE / "flake8_timed.py")]
                         + flake8_args, out, WORK))
            inside = _plugin_share(out.with_suffix(".err"))
            if inside is not None:
                rounds[-1]["plugin inside flake8"] = inside

    same = (_findings(out_dir / "memlint-cold.txt") == _findings(out_dir / "memlint-warm.txt")
            == _findings(out_dir / "memlint-jobs.txt"))
    return {"runs": runs, "rounds": rounds, "plugin": plugin or "measured", "outputs_identical": same,
            "parallel_toy_speedup": round(calibration.get("speedup", 0.0), 3),
            "findings": len(_findings(out_dir / "memlint-cold.txt"))}


def profile(target: Path, memlint_env: Path) -> str:
    prof = WORK / "memlint.prof"
    config = WORK / "pyproject.toml"
    py = _bin(memlint_env, "python")
    subprocess.run([py, "-m", "cProfile", "-o", str(prof), "-m", "memlint", "check", "--config", str(config),
                    "--jobs", "1", "--no-cache", "--exit-zero", "-q", str(target)],
                   cwd=str(WORK), stdout=subprocess.DEVNULL, check=True)
    code = ("import pstats, sys; s = pstats.Stats(sys.argv[1]); s.sort_stats('tottime').print_stats(25); "
            "s.sort_stats('cumulative').print_stats(25)")
    return subprocess.run([py, "-c", code, str(prof)], capture_output=True, text=True).stdout


# --- reporting -----------------------------------------------------------------------------

def machine(memlint_env: Path) -> Dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    py = _bin(memlint_env, "python")
    code = ("import importlib.metadata as m, json; print(json.dumps({k: m.version(k) for k in "
            "('libcst', 'flake8', 'pycodestyle', 'pyflakes', 'mccabe', 'memlint')}))")
    versions = json.loads(subprocess.run([py, "-c", code], capture_output=True, text=True, check=True).stdout)
    try:
        load = os.getloadavg()
    except OSError:  # pragma: no cover
        load = None
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in load] if load else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def ratios(res: Dict, n_files: int) -> Dict:
    runs = res["runs"]
    parse, cold, warm = runs["libcst parse"], runs["memlint cold"], runs["memlint warm"]
    jobs, flake8 = runs["memlint all cores"], runs["flake8"]
    plug = runs.get("flake8 + memlint")
    r = {
        "cold_vs_flake8": cold["cpu_s"] / flake8["cpu_s"],
        "cold_vs_parse": cold["cpu_s"] / parse["cpu_s"],
        "plugin_vs_flake8": plug["cpu_s"] / flake8["cpu_s"] if plug else None,
        "warm_vs_cold": warm["cpu_s"] / cold["cpu_s"],
        "all_cores_speedup": cold["wall_s"] / jobs["wall_s"],
        "rss_vs_parse": max(cold["peak_rss_mb"], warm["peak_rss_mb"], jobs["peak_rss_mb"]) / parse["peak_rss_mb"],
    }
    # The same ratios within each round: the two runs of a pair ran minutes apart, so these
    # show how far the machine's noise moves a ratio (the best-of figures above may pair
    # runs from different rounds).
    r["per_round"] = per_round = []
    for rnd in res.get("rounds", []):
        one = {}
        if "flake8" in rnd and "memlint cold" in rnd:
            one["cold_vs_flake8"] = round(rnd["memlint cold"]["cpu_s"] / rnd["flake8"]["cpu_s"], 3)
        if "flake8" in rnd and "flake8 + memlint" in rnd:
            one["plugin_vs_flake8"] = round(rnd["flake8 + memlint"]["cpu_s"] / rnd["flake8"]["cpu_s"], 3)
        inside = rnd.get("plugin inside flake8")
        if inside and inside["process_cpu_s"] > inside["plugin_cpu_s"]:
            one["plugin_vs_flake8_in_process"] = round(
                inside["process_cpu_s"] / (inside["process_cpu_s"] - inside["plugin_cpu_s"]), 3)
        if "memlint cold" in rnd and "memlint all cores" in rnd:
            one["all_cores_speedup"] = round(rnd["memlint cold"]["wall_s"] / rnd["memlint all cores"]["wall_s"], 3)
        per_round.append(one)
    inside = [one["plugin_vs_flake8_in_process"] for one in per_round
              if "plugin_vs_flake8_in_process" in one]
    r["plugin_vs_flake8_in_process"] = statistics.median(inside) if inside else None
    for run in runs.values():
        run["files_per_s"] = round(n_files / run["wall_s"], 1) if run["wall_s"] else None
        run["cpu_vs_parse"] = round(run["cpu_s"] / parse["cpu_s"], 3)
        run["cpu_vs_flake8"] = round(run["cpu_s"] / flake8["cpu_s"], 3)
        run["rss_vs_parse"] = round(run["peak_rss_mb"] / parse["peak_rss_mb"], 3)
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}


def table(res: Dict, r: Dict, info: Dict, n_files: int) -> str:
    order = ["libcst parse", "memlint cold", "memlint warm", "memlint all cores", "flake8", "flake8 + memlint"]
    lines = [
        f"{n_files} files, {info['corpus']['lines']:,} lines; {info['machine']['cores']} cores "
        f"({info['machine']['cpu']}), Python {info['machine']['python']}, "
        f"libcst {info['machine']['versions']['libcst']}, flake8 {info['machine']['versions']['flake8']}",
        "",
        "| run | wall s | CPU s | files/s | CPU × parse | CPU × flake8 | peak RSS MB | RSS × parse |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in order:
        run = res["runs"].get(name)
        if run is None:
            lines.append(f"| {name} | {res['plugin']} | | | | | | |")
            continue
        lines.append(
            f"| {name} | {run['wall_s']:.1f} | {run['cpu_s']:.1f} | {run['files_per_s']:.0f} | "
            f"{run['cpu_vs_parse']:.2f} | {run['cpu_vs_flake8']:.2f} | {run['peak_rss_mb']:.0f} | "
            f"{run['rss_vs_parse']:.2f} |"
        )
    cores = info["machine"]["cores"]

    def verdict(value, limit, at_least=False):
        if value is None:
            return "n/a"
        ok = value >= limit if at_least else value <= limit
        return "holds" if ok else "MISSED"

    speed_target = TARGETS["two_core_speedup"] if cores == 2 else None
    toy = res["parallel_toy_speedup"]
    speed_verdict = verdict(r["all_cores_speedup"], speed_target, at_least=True) if speed_target else ""
    if speed_verdict == "MISSED" and toy < speed_target:
        speed_verdict = f"not measurable: the machine was busy (a perfectly parallel loop got {toy:.2f}x)"
    lines += [
        "",
        "| target | measured | limit | |",
        "| --- | ---: | ---: | --- |",
        f"| memlint cold vs flake8 (CPU) | {r['cold_vs_flake8']:.2f}x | ≤ {TARGETS['cold_vs_flake8']}x | "
        f"{verdict(r['cold_vs_flake8'], TARGETS['cold_vs_flake8'])} |",
        f"| memlint cold vs libcst parse (CPU) | {r['cold_vs_parse']:.2f}x | ≤ {TARGETS['cold_vs_parse']}x | "
        f"{verdict(r['cold_vs_parse'], TARGETS['cold_vs_parse'])} |",
        "| flake8 + memlint vs flake8 (CPU) | "
        + (f"{r['plugin_vs_flake8']:.2f}x" if r["plugin_vs_flake8"] is not None else res["plugin"])
        + f" | ≤ {TARGETS['plugin_vs_flake8']}x | {verdict(r['plugin_vs_flake8'], TARGETS['plugin_vs_flake8'])} |",
        "| the same, within one process (CPU; median of rounds) | "
        + (f"{r['plugin_vs_flake8_in_process']:.2f}x" if r["plugin_vs_flake8_in_process"] else "n/a")
        + f" | ≤ {TARGETS['plugin_vs_flake8']}x | "
        f"{verdict(r['plugin_vs_flake8_in_process'], TARGETS['plugin_vs_flake8'])} |",
        f"| warm run vs cold run (CPU) | {100 * r['warm_vs_cold']:.1f}% | ≤ {100 * TARGETS['warm_vs_cold']:.0f}% | "
        f"{verdict(r['warm_vs_cold'], TARGETS['warm_vs_cold'])} |",
        f"| {cores} cores vs 1 (wall) | {r['all_cores_speedup']:.2f}x | "
        + (f"≥ {speed_target}x | {speed_verdict} |" if speed_target else "(target set for 2 cores) | |"),
        f"| memlint peak RSS vs libcst parse | {r['rss_vs_parse']:.2f}x | ≤ {TARGETS['rss_vs_parse']}x | "
        f"{verdict(r['rss_vs_parse'], TARGETS['rss_vs_parse'])} |",
        "",
        f"memlint reported {res['findings']} findings; cold, warm and all-cores outputs identical: "
        f"{'yes' if res['outputs_identical'] else 'NO'}. During the run, {cores} processes of a perfectly "
        f"parallel loop ran {toy:.2f}x faster than one (the most this machine could give); "
        f"memlint's parallel efficiency: {r['all_cores_speedup'] / toy:.0%}." if toy else "",
    ]
    if len(r.get("per_round", [])) > 1:
        labels = [("cold_vs_flake8", "memlint cold vs flake8"),
                  ("plugin_vs_flake8", "flake8 + memlint vs flake8"),
                  ("plugin_vs_flake8_in_process", "the same within one process"),
                  ("all_cores_speedup", f"{cores} cores vs 1")]
        parts = []
        for key, label in labels:
            values = [one[key] for one in r["per_round"] if key in one]
            if values:
                parts.append(f"{label} " + ", ".join(f"{v:.2f}x" for v in values))
        lines += ["", "Within each round: " + "; ".join(parts) + "."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the corpus (every 4th file)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each figure is the best round's")
    parser.add_argument("--profile", action="store_true", help="also cProfile a single-core memlint run")
    parser.add_argument("--json", type=Path, default=WORK / "results.json", help="where to write the figures")
    args = parser.parse_args(argv)
    if not hasattr(os, "wait4"):
        parser.error("needs os.wait4 (Linux or macOS)")

    WORK.mkdir(parents=True, exist_ok=True)
    flake8_env, memlint_env = environments()
    paths = corpus.ensure(_bin(memlint_env, "python"))
    target = corpus.SRC
    if args.quick:
        target = WORK / "quick"
        shutil.rmtree(target, ignore_errors=True)
        chosen = paths[::4]
        for p in chosen:
            dest = target / p.relative_to(corpus.SRC)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
        paths = corpus.files_under(target)
    info = {"corpus": corpus.summary(paths, target), "quick": args.quick, "repeat": args.repeat}
    log(f"corpus: {len(paths)} files, {info['corpus']['lines']:,} lines")

    res = run_all(args, target, len(paths), flake8_env, memlint_env)
    info["machine"] = machine(memlint_env)
    r = ratios(res, len(paths))
    text = table(res, r, info, len(paths))
    print(text)
    if args.profile:
        prof = profile(target, memlint_env)
        print("\nProfile of one single-core memlint run (cProfile; top by own time, then cumulative):\n")
        print(prof)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({**info, **res, "ratios": r, "targets": TARGETS, "table": text}, indent=2))
    log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
