"""How big the score history grows: daily runs of a project with many features.

    python benchmarks/history_size.py [--features 1000] [--days 90] [--commits-per-day 1]

Writes one record per commit through the real store (signed rows, compaction on every write,
``Store.record_scores``) with a clock moved a day at a time, then prints the records kept and
the store file's size after VACUUM. Feature ids look like Faker's providers; a few scores
change each day. The issue's goal is 90 days x 1,000 features in at most 5 MB.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from lockgate.model import LAYERS, Feature, FeatureResult, LayerResult
from lockgate.policy.history import encode, to_drop
from lockgate.store.store import Store

DAY = 86400.0


def features(count: int, rng: random.Random) -> list[FeatureResult]:
    """``count`` features with Faker-like ids and mixed verdicts."""
    out = []
    for i in range(count):
        module = f"faker.providers.{['address', 'person', 'company', 'date_time'][i % 4]}.l{i}"
        feature = Feature(f"{module}.Provider", "Provider", "provider", module, "x.py", 1, False)
        layers = {name: LayerResult(rng.random() > 0.2, "", 0.0) for name in LAYERS}
        score = round(100 * sum(r.passed for r in layers.values()) / len(layers))
        out.append(FeatureResult(feature, layers, score, "warning"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--commits-per-day", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(24)
    rows = features(args.features, rng)
    start = time.time() - args.days * DAY
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder))
        record_bytes = 0
        for day in range(args.days):
            for n in range(args.commits_per_day):
                for r in rng.sample(rows, max(1, len(rows) // 100)):  # ~1% change a day
                    r.score = rng.choice((50, 67, 83, 100))
                now = start + day * DAY + n
                data = encode(rows)
                record_bytes = len(data)
                commit = f"{day:08x}{n:032x}"
                drop = to_drop([*store.score_stamps(), (commit, now)], now)
                store.record_scores(commit, now, data, [c for c in drop if c != commit])
        kept = len(store.score_stamps())
        store.vacuum()
        store.close()
        size = sum(f.stat().st_size for f in Path(folder).iterdir() if f.is_file())
    print(f"features              {args.features}")
    print(f"days x commits/day    {args.days} x {args.commits_per_day}")
    print(f"one record            {record_bytes / 1024:.1f} KB")
    print(f"records kept          {kept}")
    print(f"store file            {size / 1024 / 1024:.2f} MB (goal: <= 5 MB at 1,000 x 90)")


if __name__ == "__main__":
    main()
