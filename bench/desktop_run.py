"""What the desktop benchmarks share: the app (or any program) started as a first run would
be, in a fresh data folder with one L4 described and the gateway on a free port, and
stopped again with that folder removed."""

import os
import shutil
import subprocess
import tempfile


class FreshRun:
    """`argv` running in a fresh data folder until `stop()`."""

    def __init__(self, argv, prefix, display_window=True):
        self.home = tempfile.mkdtemp(prefix=prefix)
        env = dict(
            os.environ,
            DUOWS_HOME=os.path.join(self.home, "duows"),
            XDG_DATA_HOME=os.path.join(self.home, "data"),
            XDG_CACHE_HOME=os.path.join(self.home, "cache"),
            XDG_CONFIG_HOME=os.path.join(self.home, "config"),
            DUOWS_GATEWAY_PORT="0",
            DUOWS_GPUS="1xL4",
        )
        if not display_window:
            env.pop("DISPLAY", None)
        self.child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        """Ends the program (TERM, then KILL after 20 s) and removes its folder."""
        self.child.terminate()
        try:
            self.child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        shutil.rmtree(self.home, ignore_errors=True)
