"""Speed of transforms.clean.clean_document against OpenCC t2s alone over the same texts (issue 7).

Inputs: the seeds, the tests/pages fixtures and the HTML dev pages (decoded with decode_bytes),
repeated until about --mb million characters. Both sides run in this process over the same decoded
texts, one after the other, so the ratio is fair on a noisy shared machine; the figure to watch is
the ratio, not the absolute rates.

Run: .venv/bin/python -m benchmarks.clean_speed [--mb 20] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import opencc

from benchmarks.devpages import DEV_PAGES
from transforms.clean import clean_document
from transforms.decode import Decoded, decode_bytes, sniff_format
from transforms.model import InputFormat

ROOT = Path(__file__).resolve().parent.parent
# Default corpus size in million characters: about 20 MB, as issue 7 asks for a stable figure.
DEFAULT_MILLION_CHARS = 20.0
# The target for the whole pipeline; cleaning alone has to sit well inside it.
TARGET_RATIO = 4.0

Doc = tuple[str, InputFormat]


def _read(path: Path) -> Doc | None:
    """One file decoded and sniffed as the pipeline does; None for files that are not text."""
    decoded = decode_bytes(path.read_bytes())
    if not isinstance(decoded, Decoded):
        return None
    return decoded.text, sniff_format(decoded.text)


def inputs() -> list[Doc]:
    """Seeds, page fixtures and HTML dev pages, each once."""
    paths = sorted((ROOT / "seeds").glob("*.txt"))
    paths += sorted((ROOT / "tests" / "pages").rglob("*.txt"))
    paths += sorted(DEV_PAGES.rglob("*.html"))
    return [doc for doc in map(_read, paths) if doc is not None]


def repeated(docs: Sequence[Doc], million_chars: float) -> list[Doc]:
    """The documents in turn until the corpus reaches the requested size."""
    target = int(million_chars * 1e6)
    out: list[Doc] = []
    chars = 0
    while chars < target:
        for doc in docs:
            out.append(doc)
            chars += len(doc[0])
    return out


def _timed(run: Callable[[], None]) -> float:
    """Wall seconds of one call."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _measure(name: str, corpus: Sequence[Doc], profiler: cProfile.Profile | None) -> tuple[float, float, int]:
    """t2s seconds, clean_document seconds and characters for one corpus; prints one line."""
    chars = sum(len(text) for text, _ in corpus)
    converter = opencc.OpenCC("t2s")

    def t2s() -> None:
        for text, _ in corpus:
            converter.convert(text)

    def clean() -> None:
        for text, fmt in corpus:
            clean_document(text, fmt)

    t2s_seconds = _timed(t2s)
    clean_seconds = _timed(clean if profiler is None else lambda: profiler.runcall(clean))
    print(
        f"{name:5s} {len(corpus):6d} docs {chars / 1e6:6.1f} M chars | t2s {t2s_seconds:6.2f} s "
        f"{chars / t2s_seconds / 1e6:6.2f} M chars/s | clean_document {clean_seconds:6.2f} s "
        f"{chars / clean_seconds / 1e6:6.2f} M chars/s | ratio {clean_seconds / t2s_seconds:5.2f}x"
    )
    return t2s_seconds, clean_seconds, chars


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=DEFAULT_MILLION_CHARS, help="million characters")
    parser.add_argument("--profile", action="store_true", help="cProfile clean_document, top 30 by tottime")
    parser.add_argument("--only", choices=("text", "html"), help="measure one input format only")
    args = parser.parse_args(argv)
    base = inputs()
    formats: tuple[InputFormat, ...] = ("text", "html") if args.only is None else (args.only,)
    clean_document(*base[0])  # warm up: OpenCC dictionaries, script tables
    profiler = cProfile.Profile() if args.profile else None
    totals = [0.0, 0.0, 0]
    for fmt in formats:
        group = [doc for doc in base if doc[1] == fmt]
        # Half the corpus is plain text, half HTML (HTML pages are mostly markup: t2s runs far faster).
        t2s_s, clean_s, chars = _measure(fmt, repeated(group, args.mb / len(formats)), profiler)
        totals = [totals[0] + t2s_s, totals[1] + clean_s, int(totals[2]) + chars]
    t2s_total, clean_total, chars_total = totals
    print(
        f"all   {chars_total / 1e6:6.1f} M chars: clean_document / t2s = {clean_total / t2s_total:.2f}x "
        f"(whole-pipeline target <= {TARGET_RATIO:g}x)"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
