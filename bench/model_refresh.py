"""How long a running worker takes to answer with a newly promoted model.

A real `colorbot run --role all` process (SQLite queue, a sandbox Reddit with one B&W post, the
worker's default 5 s queue interval unless ``--interval``) answers its first post with the shipped
model. Then this script switches the current model back and forth between the shipped file and a
re-export of it (same weights, other bytes: another hash) with ``ModelSwitches.promote`` — what
``colorbot model promote`` commits last — and times, per switch, the wall time until the worker's
log says ``model: switched``: the wait for its next batch plus loading and hashing the file.

Printed: median and max pickup, the worker's interval, and the share of pickup spent loading
(pickup minus the interval wait is bounded by the load; both are measured in this one run).

Usage: python bench/model_refresh.py [--switches 6] [--interval 5]
"""

from __future__ import annotations

import argparse
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this file's folder is sys.path[0] and "bot" would be this file, not the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from bot.demo import bot_environment, write_sandbox_config
from bot.sandbox import SandboxServer
from bot.sandbox.generated import bw_posts
from bot.sandbox.seed import load_into
from bot.sandbox.world import World
from colorizer.checkpoint import DEFAULT_CHECKPOINT
from colorizer.store import ModelStore, file_sha256
from db import make_engine, upgrade
from db.model_switches import ModelSwitches
from training.export import export_model

SUBREDDIT = "OldSchoolCool"
SWITCHED = re.compile(r"model: switched from")
LOADED = re.compile(r"model: (\w+) \[.*\] loaded")


def wait_for(condition, timeout_s: float, what: str, interval_s: float = 0.05) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--switches", type=int, default=6)
    parser.add_argument("--interval", type=float, default=5.0, help="the worker's queue interval (worker.interval_seconds)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="colorbot-bench-") as scratch:
        folder = Path(scratch)
        store = ModelStore(folder / "store")
        copy = folder / "copy.pt"
        export_model(DEFAULT_CHECKPOINT, copy, label="bench re-export", saturation=1.05)
        models = [store.add(DEFAULT_CHECKPOINT), store.add(copy)]
        database_url = f"sqlite:///{folder / 'colorbot.db'}"
        upgrade(database_url)
        world = World()
        load_into(world, {"subreddits": [{"name": SUBREDDIT}], "posts": bw_posts(1, 3, SUBREDDIT)})
        sandbox = SandboxServer(world)
        with sandbox:
            config = write_sandbox_config(folder, sandbox.url, database_url=database_url, subreddits=(SUBREDDIT,),
                                          top={"model_store": str(store.root), "poll_interval_seconds": 30.0},
                                          worker={"interval_seconds": args.interval})
            log_path = folder / "run.log"
            with log_path.open("w") as log:
                bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--config", str(config)], stdout=log,
                                       stderr=subprocess.STDOUT, env=bot_environment(folder))
                try:
                    wait_for(lambda: "replied" in log_path.read_text() or "model: " in log_path.read_text(), 120, "the first batch")
                    wait_for(lambda: bool(LOADED.search(log_path.read_text())), 120, "the first model load")
                    switches = ModelSwitches(make_engine(database_url))
                    pickups = []
                    rng = random.Random(0)
                    for index in range(args.switches):
                        time.sleep(rng.uniform(0, args.interval))  # promote at a random point of the worker's interval
                        model = models[(index + 1) % 2]
                        seen = len(SWITCHED.findall(log_path.read_text()))
                        started = time.monotonic()
                        switches.promote(model.id, model.sha256, forced=True, reason="bench")
                        wait_for(lambda: len(SWITCHED.findall(log_path.read_text())) > seen, 120, "the switch", interval_s=0.01)
                        pickups.append(time.monotonic() - started)
                        print(f"switch {index + 1}: to {model.id} picked up after {pickups[-1]:.2f} s", flush=True)
                finally:
                    bot.send_signal(signal.SIGTERM)
                    bot.wait(60)
    size_mb = DEFAULT_CHECKPOINT.stat().st_size / 1e6
    print(f"\nworker interval {args.interval:g} s; model file {size_mb:.1f} MB (hash {file_sha256(DEFAULT_CHECKPOINT)[:12]})")
    print(f"pickup after promote: median {statistics.median(pickups):.2f} s, max {max(pickups):.2f} s, "
          f"min {min(pickups):.2f} s over {len(pickups)} switches")
    print(f"median pickup / interval = {statistics.median(pickups) / args.interval:.2f}; max pickup - interval = "
          f"{max(pickups) - args.interval:+.2f} s (a switch lands at a random point of the interval: expect 0.5 + load / interval)")


if __name__ == "__main__":
    main()
