"""The command line: a thin click layer over the library.

Each command lives in the module of its stage and is imported only when it
is run (or when `--help` lists it), so a command pays only for what it uses.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from runreport import __version__

#: name → (module, attribute) of every command, in the order `--help` lists them.
COMMANDS = {
    "build": ("runreport.site.command", "build"),
    "merge": ("runreport.site.shardcommand", "merge"),
    "watch": ("runreport.live.command", "watch"),
    "serve": ("runreport.live.command", "serve"),
    "summary": ("runreport.commands", "summary"),
    "validate": ("runreport.commands", "validate"),
    "schema": ("runreport.commands", "schema"),
    "import": ("runreport.importers.command", "import_"),
    "library": ("runreport.library_cli", "library"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._module_exists(name)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[name]
        return getattr(importlib.import_module(module_name), attr)

    @staticmethod
    def _module_exists(name: str) -> bool:
        try:
            return importlib.util.find_spec(COMMANDS[name][0]) is not None
        except ModuleNotFoundError:  # its package is not there at all
            return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="runreport")
def main() -> None:
    """Turn workflow-automation run logs (JSON Lines) into a static HTML site."""


#: True when this process is the program (`run`), not a caller of `main` such as a test
#: runner: then a command may end the process itself (`end_process_here`).
_PROGRAM = False


def run() -> None:
    """The program's entry point (`runreport`, `python -m runreport`)."""
    global _PROGRAM
    _PROGRAM = True
    main()


def end_process_here() -> None:
    """End the program now, successfully, without freeing what its command built.

    A build of 100,000 runs holds millions of small objects (index rows, the store's
    runs, manifest entries); freeing them one by one as the command returns and the
    interpreter shuts down takes 50 ms, a twentieth of a rebuild after one appended
    run, to give back memory the system takes back at once. Called only when every
    file is written, closed and every lock let go; in a caller of `main`, or under a
    tracer or profiler (coverage, cProfile: they write their data on the way out), it
    returns.
    """
    if _PROGRAM and sys.gettrace() is None and sys.getprofile() is None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
