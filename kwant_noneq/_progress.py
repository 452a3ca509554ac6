"""Progress display for long loops: tqdm when installed, else one stderr line.

Shown only once a run has lasted ``delay`` seconds, so that short runs stay
silent.
"""
import sys
import time

__all__ = ["progress_bar"]


def progress_bar(total, initial=0, *, enabled=True, delay=2.0, desc="ensemble",
                 file=None):
    """Return a progress bar with ``update(n)`` and ``close()``.

    Parameters
    ----------
    total : int
        Number of steps in the whole run.
    initial : int
        Steps already done before this run started (e.g. resumed work).
    enabled : bool
        ``False`` gives a bar that prints nothing.
    delay : float
        Seconds before anything is printed (units: s).
    desc : str
        Label in front of the bar.
    file : file-like, optional
        Where the bar goes (default: ``sys.stderr`` at call time).
    """
    file = sys.stderr if file is None else file
    if not enabled:
        return _Silent()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _LineProgress(total, initial, delay, desc, file)
    return tqdm(total=total, initial=initial, delay=delay, desc=desc,
                unit="realisation", file=file, leave=True)


class _Silent:
    def update(self, n=1):
        pass

    def close(self):
        pass


class _LineProgress:
    """A one-line ``desc: 12/20 (60%), 30 s elapsed, ~20 s left`` display."""

    _min_interval = 0.5  # s between redraws: keeps log files short

    def __init__(self, total, initial, delay, desc, file):
        self.total, self.done, self.initial = total, initial, initial
        self.delay, self.desc, self.file = delay, desc, file
        self.start = time.monotonic()
        self.last_draw = None

    def update(self, n=1):
        self.done += n
        now = time.monotonic()
        if now - self.start < self.delay:
            return
        if self.last_draw is not None and now - self.last_draw < self._min_interval \
                and self.done < self.total:
            return
        self._draw(now)

    def _draw(self, now):
        elapsed = now - self.start
        new = self.done - self.initial
        left = ""
        if 0 < new and self.done < self.total:
            left = f", ~{elapsed / new * (self.total - self.done):.0f} s left"
        percent = 100 * self.done / self.total if self.total else 100
        self.file.write(f"\r{self.desc}: {self.done}/{self.total} ({percent:.0f}%), "
                        f"{elapsed:.0f} s elapsed{left}   ")
        self.file.flush()
        self.last_draw = now

    def close(self):
        if self.last_draw is not None:
            self._draw(time.monotonic())
            self.file.write("\n")
            self.file.flush()
