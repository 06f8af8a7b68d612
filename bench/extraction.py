"""Extraction speed: the model's load time and memory, and articles of 2,000 and 20,000 words.

`make bench-extraction` (or `python -m bench.extraction`) runs it; no database is needed. The articles are
the development part of the evaluation set (tests/data/extraction), joined in turn until the length is
reached, so that the text is real news prose with its usual share of pledge sentences. Each length is
read REPEAT times after one warm-up run; the median is printed. docs/EXTRACTION.md ("Speed") reports it.
"""

from __future__ import annotations

import datetime
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPEAT = int(os.environ.get("BENCH_EXTRACTION_REPEAT", "5"))
LENGTHS = (2_000, 20_000)
ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "extraction"


def _rss_mb() -> float:
    """The process's resident memory now (Linux: /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def article_of(words: int) -> str:
    texts = [path.read_text(encoding="utf-8") for path in sorted(ARTICLES.glob("*.txt"))]
    paragraphs, count, index = [], 0, 0
    while count < words:
        text = texts[index % len(texts)]
        paragraphs.append(text)
        count += len(text.split())
        index += 1
    return "\n\n".join(paragraphs)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from tracker.extraction import extract_pledges, parse

    before = _rss_mb()
    started = time.perf_counter()
    parse.nlp()
    load_seconds = time.perf_counter() - started
    added = _rss_mb() - before
    print(f"model {parse.model_name()}: loaded in {load_seconds:.2f} s, resident memory +{added:.0f} MB")
    day = datetime.date(2025, 8, 21)
    for words in LENGTHS:
        text = article_of(words)
        extract_pledges(text, article_date=day)  # warm-up
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            drafts = extract_pledges(text, article_date=day)
            times.append(time.perf_counter() - started)
        print(
            f"{len(text.split()):>6} words: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s over {REPEAT} runs, {len(drafts)} drafts"
        )
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
