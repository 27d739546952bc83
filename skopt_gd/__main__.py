"""Entry point of ``skopt-gd`` and ``python -m skopt_gd``.

Run ``skopt-gd compare --help`` for the options; the comparison is described
in ``skopt_gd/_compare.py`` and the arguments and formats in ``skopt_gd/_cli.py``.
"""

import os
import sys
import time

from ._cli import UsageError, build_parser, load_csv, render, write_plot
from ._compare import Options, builtin_datasets, compare

__all__ = ["main"]


class Progress:
    """A one-line ``\\r`` progress bar on a terminal stream; silent when disabled."""

    def __init__(self, stream, enabled):
        self.stream, self.enabled = stream, enabled
        self.text, self.total, self.done, self._last = "", 1, 0, 0.0

    def start(self, text, total):
        self.text, self.total, self.done = text, max(total, 1), 0
        self._draw(force=True)

    def label(self, text):
        self.text = text
        self._draw(force=True)

    def note(self, text):
        """Relabel, redrawn only if the last draw is 0.05 s old (called per epoch)."""
        self.text = text
        self._draw()

    def advance(self, n):
        self.done = min(self.done + n, self.total)
        self._draw(force=self.done == self.total)

    def _draw(self, force=False):
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 0.05):
            return
        self._last = now
        filled = int(30 * self.done / self.total)
        bar = "#" * filled + "-" * (30 - filled)
        self.stream.write(f"\r{self.text[:36]:<36} [{bar}] {self.done}/{self.total}")
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()


def _datasets(args):
    if args.data is None:
        if args.target is not None:
            raise UsageError("--target needs --data FILE.csv")
        return builtin_datasets(args.task)
    if args.target is None:
        raise UsageError("--data needs --target COLUMN (the column to predict)")
    return [load_csv(args.data, args.target, args.task)]


def _check_plot(path):
    """Fail before the run, not after it, when the figure cannot be written."""
    from pathlib import Path

    from ._plotting import _import_matplotlib

    try:
        _import_matplotlib()
    except ImportError as exc:
        raise UsageError(f"--plot: {exc}") from None
    from matplotlib.figure import Figure

    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in Figure().canvas.get_supported_filetypes():
        raise UsageError(f"--plot {path}: unknown image type {suffix!r}; use e.g. .png")
    if not Path(path).resolve().parent.is_dir():
        raise UsageError(f"--plot {path}: folder {Path(path).parent} does not exist")


def _compare(args, stdout, stderr):
    if args.plot:
        _check_plot(args.plot)
    datasets = _datasets(args)
    options = Options(args.optimizers, args.cv, args.search, args.seed, args.jobs,
                      args.max_iter, raw=args.raw)
    progress = Progress(stderr, not args.quiet and stderr.isatty())
    results = []
    try:
        for dataset in datasets:
            try:
                results.append(compare(dataset, options, progress, keep_models=bool(args.plot)))
            except ValueError as exc:  # impossible folds for this data
                raise UsageError(str(exc)) from None
    finally:
        progress.close()
    for note in (n for d in datasets for n in d.notes if not args.quiet):
        stderr.write(f"skopt-gd: note: {note}\n")
    stdout.write(render(results, args.format, stdout))
    stdout.flush()
    if args.plot:
        try:
            write_plot(results, args.plot)
        except OSError as exc:
            raise UsageError(f"--plot {args.plot}: {exc.strerror or exc}") from None
        stderr.write(f"loss curves written to {args.plot}\n")
    return 0


def main(argv=None):
    """Run the ``skopt-gd`` command line and return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name (``sys.argv[1:]`` when None),
        e.g. ``["compare", "--format", "json"]``.

    Returns
    -------
    status : int
        0 on success; 2 for a bad argument, file, column or target, after one
        ``skopt-gd: error: ...`` line on stderr.

    Examples
    --------
    >>> from skopt_gd.__main__ import main
    >>> main(["compare", "--cv", "kfold:1"])  # the error line goes to stderr
    2
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an argparse error (status 2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.command == "warmup":
            from ._warmup import warmup

            sys.stderr.write("skopt-gd: compiling the kernels (once per install) ...\n")
            sys.stderr.write(f"skopt-gd: ready ({warmup():.1f} s)\n")
            return 0
        return _compare(args, sys.stdout, sys.stderr)
    except UsageError as exc:
        sys.stderr.write(f"skopt-gd: error: {' '.join(str(exc).split())}\n")
        return 2
    except BrokenPipeError:  # e.g. `skopt-gd compare | head`: quiet, like other tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("skopt-gd: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
