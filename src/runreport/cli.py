"""The command line: a thin click layer over the library.

Heavy imports happen inside commands so `runreport --help` stays instant.
Each command lives in the module of its stage and is registered here.
"""

from __future__ import annotations

import importlib

import click

from runreport import __version__

# (module, attribute) of every command, in the order `--help` lists them.
COMMANDS = [
    ("runreport.site.command", "build"),
    ("runreport.commands", "summary"),
    ("runreport.commands", "validate"),
    ("runreport.commands", "schema"),
    ("runreport.library_cli", "library"),
    ("runreport.live.command", "watch"),
    ("runreport.live.command", "serve"),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="runreport")
def main() -> None:
    """Turn workflow-automation run logs (JSON Lines) into a static HTML site."""


def _register() -> None:
    for module_name, attr in COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a stage not installed in this build
            if exc.name != module_name:
                raise
            continue
        command = getattr(module, attr, None)
        if command is not None:
            main.add_command(command)


_register()
