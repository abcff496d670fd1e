"""`runreport build`: the click shell over :func:`runreport.site.build_site`."""

from __future__ import annotations

import gc
import os
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
from click.core import ParameterSource

from runreport.cli import end_process_here
from runreport.commands import allow_empty_option, ci_options, strict_option
from runreport.importers.inputs import from_option


def site_options(command):
    """The inputs and site options shared by `build`, `watch` and `serve`."""
    decorators = [
        click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)),
        click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
                     default=Path("site"), show_default=True, help="Folder to write the site into."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Config file (default: ./runreport.toml when present)."),
        click.option("--editor-url", metavar="TEMPLATE",
                     help="Edit link template, e.g. 'https://app.example.com/composers/{composer_id}"
                          "/canvas?step={step_id}' (also {run_id}, {entry_id})."),
        click.option("--no-redact", is_flag=True,
                     help="Publish secret-looking values (Authorization headers, tokens, …) as logged."),
        click.option("--chunk-size", type=click.IntRange(min=1024), metavar="BYTES",
                     help="Values larger than this are written as chunk files of about this size "
                          "(default 262144, or chunk_size in runreport.toml)."),
        click.option("--mask-env", "mask_env", metavar="NAME", multiple=True,
                     help="Mask the value of environment variable NAME wherever it occurs in the "
                          "site, as CI systems mask their secrets (repeatable; also mask_env in "
                          "runreport.toml)."),
        click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Folder remembering what was read, so the next build reads only what "
                          "was appended (default: .<output name>.store beside the output). It "
                          "points into the logs as logged: never publish it."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@click.command()
@site_options
@strict_option
@click.option("--library", "library_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder for the Library pages and the Save dialog "
                   "(default: ./library when it exists).")
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True,
              metavar="SECONDS",
              help="How long to wait for another build (or watch, or serve) writing the same "
                   "output to finish before giving up.")
@ci_options
@allow_empty_option
@from_option
@click.option("--shard", metavar="K/N",
              help="Build part K of N (K from 1) into a bundle for `runreport merge`: the input "
                   "files whose place in the read order is K modulo N. Default: $RUNREPORT_SHARD "
                   "(K/N), or $RUNREPORT_SHARD or $JOB_COMPLETION_INDEX (from 0) with "
                   "$RUNREPORT_SHARDS.")
@click.option("--bundle", "bundle_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help="Write the shard's bundle to FILE ({k} and {n} in the name are filled in); "
                   "-o is then optional. A bundle holds the input as logged: never publish it.")
@click.option("--shard-by", type=click.Choice(["file", "run"]), default="file", show_default=True,
              help="How a shard takes its part: whole input files, or the runs whose id hashes "
                   "to K modulo N (every shard reads every file; for a few large files).")
@click.pass_context
def build(ctx, inputs, output, config_path, editor_url, no_redact, strict, chunk_size, library_dir,
          store_dir, wait, mask_env, fail_on, junit_file, summary_md, link_base, allow_empty, source,
          shard, bundle_file, shard_by):
    """Build the static HTML site from run log files or folders."""
    from runreport.commands import print_problems, warn_store_damage

    started = time.perf_counter()
    options = build_options(config_path, editor_url, no_redact, chunk_size, library_dir, inputs,
                            mask_env)
    part = None
    if shard is not None or bundle_file is not None:  # (a plain build loads none of the shard code)
        from runreport.site.shardcommand import (build_runs_of_shard, shard_inputs, shard_of,
                                                 write_shard_bundle)

        part = shard_of(shard, bundle_file, source)
    by_run = part is not None and shard_by == "run"
    if by_run and (ctx.get_parameter_source("output") is not ParameterSource.DEFAULT or store_dir):
        raise click.UsageError("--shard-by run builds in a folder of its own: leave out -o and --store")
    if part is not None and part[1] > 1 and "{k}" not in str(bundle_file):
        click.echo(f"warning: --bundle {bundle_file} names no {{k}}: shards writing one folder would "
                   "replace each other's bundle", err=True)
    with ExitStack() as scratch:
        if part is not None and ctx.get_parameter_source("output") is ParameterSource.DEFAULT:
            # (The site and its store in one temporary folder, gone with it: the store holds
            # the input as logged.)
            output = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="runreport-shard-"))) / "site"
        store_dir = store_outside(output, store_dir)
        claim_output_or_exit(output)
        with writing_or_exit(output, store_dir, wait):
            if by_run:
                loaded, report = build_runs_of_shard(inputs, output, options, store_dir, *part, source)
            else:
                built_from = inputs if part is None else shard_inputs(inputs, *part, source)
                loaded, report = _build(built_from, output, options, store_dir, source)
            if part is not None:
                bundle_file = write_shard_bundle(loaded, output, options, part, shard_by, bundle_file,
                                                 shard_inputs(inputs, 1, 1, source))
        warn_store_damage(loaded, store_dir)
        print_problems(loaded.problems)
        report.seconds = time.perf_counter() - started  # (pages were rendered while reading too)
        if part is None:
            click.echo(report.line(), err=True)
        else:
            runs, files = len(loaded.index), len(loaded.files)
            click.echo(f"built shard {part[0]}/{part[1]} into {bundle_file}: {runs:,} run"
                       f"{'' if runs == 1 else 's'} of {files:,} input file{'' if files == 1 else 's'}"
                       f" in {report.seconds:.2f} s", err=True)
        _build_outputs(loaded, inputs, options, part is not None, strict=strict, fail_on=fail_on,
                       junit_file=junit_file, summary_md=summary_md, link_base=link_base,
                       allow_empty=allow_empty)
    end_process_here()  # (what the build made is not freed object by object on the way out)


def _build_outputs(loaded, inputs, options, shard: bool, *, strict, fail_on, junit_file, summary_md,
                   link_base, allow_empty) -> None:
    """The checks and CI files after a build (a shard's too: its store is still there)."""
    from runreport.commands import check_not_empty, ci_outputs
    from runreport.site.build import _redactor

    if not shard:  # (a shard may hold no run: the merge says whether the whole is empty)
        check_not_empty(loaded, inputs, allow_empty)  # (the site is written: it says so too)
    failed = ci_outputs(loaded, fail_on=fail_on, junit_file=junit_file, summary_md=summary_md,
                        link_base=link_base, redactor=_redactor(options))
    for line in failed:
        click.echo(line, err=True)
    if strict and loaded.problems:
        count = len(loaded.problems)
        click.echo(f"--strict: {count:,} input problem{'' if count == 1 else 's'}; the site was "
                   "written anyway.", err=True)
    if failed or (strict and loaded.problems):
        raise SystemExit(1)


def _build(inputs, output, options, store_dir, source="runlog"):
    from runreport.commands import InputNotFound, StderrProgress, load_inputs
    from runreport.problems import with_problems
    from runreport.read import InputError
    from runreport.site.build import CHECK_RECORD, build_site_checked, holds_site_paths, previous_build
    from runreport.store import IMPORTED, Store
    from runreport.site.manifest import NAME as MANIFEST
    from runreport.site.render import cache_templates

    cache_templates(store_dir / "templates")
    imported = []  # problems of importing inputs of another format (--from)
    try:
        if source != "runlog":
            from runreport.importers.inputs import prepare

            inputs, imported = prepare(inputs, source, store_dir / IMPORTED)
        first = None
        fresh = False
        if not (output / MANIFEST).exists():  # nothing to keep: read and render on every core
            from runreport.site import firstbuild

            fresh = not holds_site_paths(output)
            first = firstbuild.load_and_render(inputs, store_dir, output, options,
                                               progress=StderrProgress())
    except InputError as exc:
        raise InputNotFound(str(exc)) from exc
    previous = None
    # The last build's manifest, the index and the store's state live until the process
    # ends and hold no cycles: read with the collector off (its passes would rescan them
    # as they grow), then out of its sight, so that its passes while pages render
    # (listings, insights, failures) scan only what rendering makes. (Not the collector
    # off for the whole build: at 100,000 runs rendering's own cycles then held 1.9 GB,
    # against 0.67 GB.)
    collecting = gc.isenabled()
    gc.disable()
    try:
        if first is None:  # (the check of the last build's files runs while the inputs are read)
            previous = previous_build(output, options, store_dir / CHECK_RECORD)
        loaded, rendered = first if first is not None else (load_inputs(inputs, store_dir), None)
        gc.freeze()
    finally:
        if collecting:
            gc.enable()

    def with_imported(loaded):
        loaded.problems = with_problems(loaded.problems, imported)
        return loaded

    def read_again():
        Store.open(store_dir).reset()
        return with_imported(load_inputs(inputs, store_dir))

    return build_site_checked(with_imported(loaded), output, options, read_again, prerendered=rendered,
                              previous=previous, fresh=fresh, check_record=store_dir / CHECK_RECORD)


def build_options(config_path, editor_url, no_redact, chunk_size, library_dir, inputs, mask_env=()):
    """BuildOptions from the command line and runreport.toml (shared with watch and serve)."""
    from runreport.library import DEFAULT_FOLDER
    from runreport.site.build import BuildOptions
    from runreport.site.config import load_config

    config = load_config(config_path)
    names, values = masked_env(config.mask_env + tuple(mask_env))
    return BuildOptions(
        mask_env=names,
        mask_env_set=tuple(bool(os.environ.get(n)) for n in names),
        masked=values,
        editor_url=editor_url or config.editor_url,
        redact=config.redact and not no_redact,
        redact_keys=config.redact_keys,
        chunk_size=chunk_size or config.chunk_size,
        stale_after=config.stale_after,
        library=library_dir if library_dir is not None else (
            DEFAULT_FOLDER if DEFAULT_FOLDER.is_dir() else None),
        inputs=tuple(str(p) for p in inputs),
    )


def store_outside(output: Path, store_dir: Path | None) -> Path:
    """The store folder (default: beside OUTPUT), refused inside OUTPUT (shared with watch and serve).

    The store holds, or points to, the input as logged, secrets included:
    inside the output folder it would be published with the site.
    """
    from runreport.site.manifest import default_store_dir

    store = Path(store_dir) if store_dir else default_store_dir(output)
    out = Path(output).absolute().resolve()
    if store.exists() and not store.is_dir():
        raise click.BadParameter(f"{store} is not a folder", param_hint="'--store'")
    if store.absolute().resolve().is_relative_to(out):
        raise click.BadParameter(
            f"{store} is inside the output folder {output}; the store keeps the input as logged, "
            "secrets included, and must not be published with the site. Choose a folder outside it.",
            param_hint="'--store'")
    return store


def claim_output_or_exit(output: Path) -> None:
    """Make OUTPUT a site folder, or stop with why not (shared with watch and serve)."""
    from runreport.site.build import ForeignOutput, claim_output

    try:
        claim_output(Path(output))
    except ForeignOutput as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def writing_or_exit(output: Path, store: Path, wait: float):
    """Hold OUTPUT and its store for writing (shared with watch and serve), waiting up to
    `wait` seconds for another writer; stop with who holds them when it does not let go."""
    from runreport.writelock import Busy, writing

    def waiting(busy: Busy) -> None:
        click.echo(f"waiting: {busy} …", err=True)

    try:
        with writing(output, store, wait=wait, on_wait=waiting):
            yield
    except Busy as exc:
        raise click.ClickException(f"{exc}; try again when it is done, or give --wait more "
                                   "seconds") from None


def masked_env(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, values) of the environment variables to mask; says which cannot be."""
    from runreport.site.redact import MIN_MASKED_LENGTH

    names = tuple(dict.fromkeys(names))
    values = []
    for name in names:
        value = os.environ.get(name)
        if not value:
            click.echo(f"warning: --mask-env {name}: the variable is not set; nothing to mask",
                       err=True)
        elif len(value) < MIN_MASKED_LENGTH:
            click.echo(f"warning: --mask-env {name}: its value is shorter than {MIN_MASKED_LENGTH} "
                       "characters and would mask ordinary text; not masked", err=True)
        else:
            values.append(value)
    return names, tuple(values)
