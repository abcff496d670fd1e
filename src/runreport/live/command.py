"""`runreport watch` and `runreport serve`: thin click shells over Watcher and the server."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import click

from runreport.importers.inputs import from_option
from runreport.site.command import site_options


def _watcher(inputs, output, config_path, editor_url, no_redact, chunk_size, library_dir,
             store_dir, mask_env, on_build=None, following=True, source="auto"):
    from runreport.live.watch import Watcher
    from runreport.site.command import build_options, claim_output_or_exit, store_outside

    from runreport.site.config import load_config

    options = build_options(config_path, editor_url, no_redact, chunk_size, library_dir, inputs,
                            mask_env)
    store = store_outside(output, store_dir)
    claim_output_or_exit(output)
    echo = functools.partial(click.echo, err=True)
    return Watcher(list(inputs), output, options, store,
                   echo=echo, on_build=on_build, following=following, source=source,
                   between_steps=load_config(config_path).between_steps)


def _until_interrupted(stop: threading.Event, work: threading.Thread) -> None:
    work.start()
    try:
        while work.is_alive():
            work.join(0.2)
    except KeyboardInterrupt:
        stop.set()
        work.join(5)
        click.echo("stopped.", err=True)


@click.command()
@site_options
@click.option("--library", "library_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder for the Library pages (default: ./library when it exists).")
@from_option
def watch(inputs, output, config_path, editor_url, no_redact, chunk_size, store_dir, library_dir,
          mask_env, source):
    """Build the site, then rebuild it as the run logs grow.

    Runs until Ctrl-C.
    """
    watcher = _watcher(inputs, output, config_path, editor_url, no_redact, chunk_size,
                       library_dir, store_dir, mask_env, source=source)
    paths = len(watcher.inputs)
    click.echo(f"watching {paths} input path{'' if paths == 1 else 's'} for changes; Ctrl-C to stop",
               err=True)
    stop = threading.Event()
    _until_interrupted(stop, threading.Thread(target=watcher.run, args=(stop,), daemon=True))


@click.command()
@site_options
@click.option("--watch", "watching", is_flag=True,
              help="Rebuild as the inputs change and update open pages in place.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but 127.0.0.1 makes the site and its "
                   "save endpoint reachable from other machines.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--library", "library_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("library"), show_default=True,
              help="Library folder that Save Output to Library writes into.")
@from_option
def serve(inputs, output, config_path, editor_url, no_redact, chunk_size, store_dir, watching,
          host, port, library_dir, mask_env, source):
    """Serve the site over HTTP; --watch updates open pages live.

    With --watch the site is rebuilt as the logs grow, and open pages update in place.
    """
    from runreport.live.server import LOOPBACK, LiveSite, make_server
    from runreport.site.redact import Redactor

    site = LiveSite(output, library_dir, live=watching)
    watcher = _watcher(inputs, output, config_path, editor_url, no_redact, chunk_size,
                       library_dir, store_dir, mask_env,
                       on_build=lambda loaded, report: site.publish(loaded, report.build_id),
                       following=watching, source=source)
    try:  # (listening first: a busy port is said at once, not after a long first build)
        server = make_server(site, host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                                   "pick another --port") from None
    if watcher.build() is None:
        server.server_close()
        raise click.ClickException("the first build failed; nothing to serve")
    site.on_saved = watcher.build  # the Library pages show what the dialog saved
    site.redactor = (Redactor(watcher.options.redact_keys, watcher.options.masked)
                     if watcher.options.redact else None)
    if host not in LOOPBACK:
        click.echo(f"warning: --host {host}: the site and its save endpoint (which writes into "
                   f"{library_dir}) are reachable from other machines", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {output} at http://{shown}:{site.port}/"
               f"{' and watching the inputs' if watching else ''}; Ctrl-C to stop", err=True)
    stop = threading.Event()
    threads = [threading.Thread(target=server.serve_forever, daemon=True)]
    if watching:
        # The first build is done: follow the inputs from here.
        threads.append(threading.Thread(target=watcher.follow, args=(stop,), daemon=True))
        threads[-1].start()
    try:
        _until_interrupted(stop, threads[0])
    finally:
        stop.set()
        site.stop()
        server.shutdown()
        server.server_close()

