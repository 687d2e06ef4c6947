"""``python -m bot.sandbox [--port 8765] [--host 127.0.0.1] [--seed seed.json] [--dump-seed]``."""

from __future__ import annotations

import argparse
import json
import logging

from bot.sandbox.seed import DEFAULT_SEED
from bot.sandbox.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", help="JSON seed file (default: the built-in seed)")
    parser.add_argument("--dump-seed", action="store_true", help="print the default seed as JSON and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if args.dump_seed:
        print(json.dumps(DEFAULT_SEED, indent=2))
        return
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    serve_forever(args.port, args.host, args.seed)


if __name__ == "__main__":
    main()
