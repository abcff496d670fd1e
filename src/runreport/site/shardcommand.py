"""`runreport merge`, and the shard half of `runreport build --shard K/N --bundle FILE`:
click shells over runreport.shard, runreport.bundle and runreport.site.sitemerge."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from runreport.commands import allow_empty_option, ci_options
from runreport.site.command import claim_output_or_exit, store_outside, writing_or_exit


@click.command()
@click.argument("bundles", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("site"), show_default=True, help="Folder to write the site into.")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder keeping the merged runs' records, so the next merge adds to this one "
                   "(default: .<output name>.merge beside the output). It holds the logs as "
                   "logged: never publish it.")
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True,
              metavar="SECONDS", help="How long to wait for another writer of the same output.")
@ci_options
@allow_empty_option
def merge(bundles, output, store_dir, wait, fail_on, junit_file, summary_md, link_base, allow_empty):
    """Merge shard bundles (`build --shard K/N --bundle FILE`) into one site.

    BUNDLES are bundle files, or folders searched for *.zip. The site is the
    one a single build of all the shards' inputs writes; merging into a site
    merged before adds to it (a bundle's input files replace what earlier
    bundles said of them).
    """
    from runreport.bundle import BundleError
    from runreport.commands import ci_outputs, print_problems
    from runreport.site.build import _redactor
    from runreport.site.sitemerge import check_bundles, default_merge_store, merge_bundles

    started = time.perf_counter()
    store_dir = store_outside(output, store_dir or default_merge_store(output))
    paths = _bundle_files(bundles, skip=[store_dir, output])
    try:  # (refused before the output and store folders are made)
        for warning in check_bundles(paths):
            click.echo(f"warning: {warning}", err=True)
    except BundleError as exc:
        raise click.ClickException(str(exc)) from None
    claim_output_or_exit(output)
    with writing_or_exit(output, store_dir, wait):
        try:
            loaded, report, options = merge_bundles(paths, output, store_dir)
        except BundleError as exc:
            raise click.ClickException(str(exc)) from None
    print_problems(loaded.problems)
    report.seconds = time.perf_counter() - started
    n, copied = len(paths), report.prerendered_runs
    rendered = len(report.rendered_runs) - copied
    click.echo(f"merged {n:,} bundle{'' if n == 1 else 's'} into {output}: {report.runs:,} runs, "
               f"{report.entries:,} entries in {report.seconds:.2f} s ({copied:,} run"
               f"{'' if copied == 1 else 's'} taken from the bundles, {rendered:,} rendered here, "
               f"{len(report.written):,} files written)", err=True)
    if not loaded.index and not allow_empty:
        raise click.ClickException("the bundles hold no run; --allow-empty if that is expected")
    failed = ci_outputs(loaded, fail_on=fail_on, junit_file=junit_file, summary_md=summary_md,
                        link_base=link_base, redactor=_redactor(options))
    for line in failed:
        click.echo(line, err=True)
    if failed:
        raise SystemExit(1)


def _bundle_files(given, skip: list[Path]) -> list[Path]:
    """The bundle files given, folders searched for *.zip (not in hidden folders, nor in the
    output or the merge store, where a merge writes)."""
    skip = [p.absolute() for p in skip]
    files: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*.zip")
                if not any(part.startswith(".") for part in p.relative_to(path).parts[:-1])
                and not any(p.absolute().is_relative_to(s) for s in skip))
        else:
            found = [path]
        if not found:
            raise click.ClickException(f"no bundle (*.zip) in {path}")
        files.extend(found)
    return list(dict.fromkeys(files))


def shard_of(shard: str | None, bundle_file: Path | None, source: str) -> tuple[int, int] | None:
    """(K, N) when this build is a shard (--shard, or the environment with --bundle), else None."""
    from runreport.shard import ShardError, describe_env, parse_shard, shard_from_env

    from_env = shard is None and bundle_file is not None
    try:
        if from_env:
            shard = shard_from_env(os.environ) or "1/1"
    except ShardError as exc:
        raise click.UsageError(str(exc)) from None
    if shard is None:
        return None
    if bundle_file is None:
        raise click.UsageError("--shard writes a bundle: give --bundle FILE")
    if source not in ("auto", "runlog"):
        raise click.UsageError("shards read run logs; import exports first (runreport import), "
                               "then build the run logs in shards")
    try:
        return parse_shard(shard)
    except ShardError as exc:
        if from_env:
            raise click.UsageError(f"the shard from the environment ({describe_env(os.environ)}): "
                                   f"{exc}") from None
        raise click.BadParameter(str(exc), param_hint="'--shard'") from None


#: Each export runreport imports, as an error message names it.
_EXPORTS = {"n8n": "an n8n", "otlp": "an OpenTelemetry (OTLP)", "temporal": "a Temporal"}


def shard_inputs(inputs, k: int, n: int, source: str = "auto") -> list[Path]:
    """The shard's input files, named as a build of all of them names them.

    Shards read run logs. An export among the inputs, named or (with `--from
    auto`) found in a folder, where a build of everything would import it, is
    refused: the merged site would otherwise lack its runs.
    """
    from runreport.commands import InputNotFound
    from runreport.importers.inputs import all_files, sniff
    from runreport.read import InputError, find_inputs
    from runreport.shard import shard_files

    try:
        logs = find_inputs(inputs)
        found = all_files(inputs) if source == "auto" else logs
    except InputError as exc:
        raise InputNotFound(str(exc)) from exc
    for path in found:
        kind = sniff(path)
        if kind != "runlog":
            raise click.ClickException(
                f"{path} looks like {_EXPORTS[kind]} export: shards read run logs; import it first "
                "(runreport import), then build the run logs in shards, or leave the exports "
                "of folders out with --from runlog")
    return shard_files(logs, k, n)


def build_runs_of_shard(inputs, output: Path, options, store_dir: Path, k: int, n: int,
                        source: str = "auto"):
    """Shard K of N by run id: every file indexed, the runs whose id hashes to K built."""
    from runreport.commands import StderrProgress
    from runreport.site import firstbuild
    from runreport.site.build import build_site
    from runreport.shard import takes_run

    files = shard_inputs(inputs, 1, 1, source)
    gz = [p for p in files if p.name.endswith(".gz")]
    if gz:
        raise click.ClickException(f"--shard-by run reads plain files, not gzip ({gz[0]}); "
                                   "shard by file instead")
    first = firstbuild.load_and_render(files, store_dir, output, options, progress=StderrProgress(),
                                       runs_of_shard=takes_run(k, n), line_problems=k == 1)
    if first is None:
        raise click.ClickException("the inputs could not be read by ranges; shard by file instead")
    loaded, rendered = first
    return loaded, build_site(loaded, output, options, prerendered=rendered)


def write_shard_bundle(loaded, output: Path, options, part: tuple[int, int], shard_by: str,
                       template: Path, all_files: list[Path]) -> Path:
    from runreport.bundle import write_bundle
    from runreport.shard import bundle_index, bundle_path, packed_records
    from runreport.site import librarypages
    from runreport.site import manifest as build_manifest
    from runreport.site.build import site_globals

    digest = site_globals(options, librarypages.exists(options.library))
    manifest = build_manifest.read(output, digest)
    if manifest is None:
        raise click.ClickException(f"the shard's site in {output} has no manifest to bundle")
    path = bundle_path(template, *part)
    index = bundle_index(loaded, manifest, options=options, globals_digest=digest, shard=part,
                         shard_by=shard_by, inputs=options.inputs,
                         all_files=[str(f) for f in all_files])
    write_bundle(path, index, lambda run_id: packed_records(loaded.store, run_id), output)
    return path


__all__ = ["build_runs_of_shard", "merge", "shard_inputs", "shard_of", "write_shard_bundle"]
