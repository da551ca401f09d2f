"""`python -m bench` (make bench): every benchmark at a small scale; `--full` at full scale."""

import argparse
import platform
import time

from bench import export_memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="full scale (slow)")
    args = parser.parse_args()
    print(f"hazard-ledger benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, Python {platform.python_version()}, "
          f"{'full' if args.full else 'small'} scale")
    small, large = (10_000, 100_000) if args.full else (2_000, 20_000)
    for line in export_memory.run(small, large):
        print(line)


if __name__ == "__main__":
    main()
