"""Work a benchmark repeats in the background while it measures."""

import threading


class Every:
    """Calls `tick()` every `every` seconds on a thread of its own, from
    `with` until the block ends (the thread is joined on exit)."""

    def __init__(self, every):
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def tick(self):
        raise NotImplementedError

    def _run(self):
        while not self._stop.wait(self.every):
            self.tick()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
