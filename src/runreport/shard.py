"""Sharded builds: which inputs a shard reads, and what its bundle says.

`runreport build INPUT… --shard K/N --bundle FILE` reads the input files
whose place in the read order (sorted paths, as every build reads them)
counts K modulo N, builds them as any build does, and packs the result
(runreport.bundle). With `--shard-by run` it reads every file but builds
only the runs whose id hashes to K modulo N (`takes_run`), for inputs of a
few large files. Every shard is given all the inputs, so each knows
the whole read order and names its files as a single build would: the
merge (runreport.site.sitemerge) then gives the site one build of all of
them gives, byte for byte.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from runreport.model import ROW_FIELDS
from runreport.store import pack_run

#: Environment variables that choose a shard when --shard is not given.
SHARD_ENV = "RUNREPORT_SHARD"  # "K/N", or K with RUNREPORT_SHARDS
SHARDS_ENV = "RUNREPORT_SHARDS"  # N
INDEX_ENV = "JOB_COMPLETION_INDEX"  # Kubernetes Indexed Jobs: K - 1

T = TypeVar("T")


class ShardError(ValueError):
    """A shard that cannot be: not K/N, K out of range."""


def parse_shard(text: str) -> tuple[int, int]:
    """(K, N) from "K/N", K counting from 1."""
    k_text, sep, n_text = text.strip().partition("/")
    try:
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ShardError(f"expected K/N (such as 2/4), found {text!r}") from None
    if not sep or n < 1 or not 1 <= k <= n:
        raise ShardError(f"expected K/N with 1 ≤ K ≤ N (such as 2/4), found {text!r}")
    return k, n


def shard_from_env(env: Mapping[str, str]) -> str | None:
    """The shard the environment names ("K/N"), or None when it names none.

    RUNREPORT_SHARD may say "K/N" itself; otherwise RUNREPORT_SHARDS gives N
    and RUNREPORT_SHARD (from 1) or JOB_COMPLETION_INDEX (from 0, as a
    Kubernetes Indexed Job sets it) gives K.
    """
    given = (env.get(SHARD_ENV) or "").strip()
    total = (env.get(SHARDS_ENV) or "").strip()
    index = (env.get(INDEX_ENV) or "").strip()
    if "/" in given:
        if total and given.partition("/")[2].strip() != total:
            raise ShardError(f"{SHARD_ENV}={given} and {SHARDS_ENV}={total} disagree on the number "
                             "of shards")
        return given
    if not total:
        if given or index:
            set_one = f"{SHARD_ENV}={given}" if given else f"{INDEX_ENV}={index}"
            raise ShardError(f"{set_one} is set but {SHARDS_ENV} (the number of shards) is not: set it "
                             f"(or {SHARD_ENV} to K/N), or give --shard K/N")
        return None
    if given:
        return f"{given}/{total}"
    if not index:
        raise ShardError(f"{SHARDS_ENV}={total} is set but neither {SHARD_ENV} nor {INDEX_ENV} says "
                         "which shard this is")
    try:
        k = int(index) + 1
    except ValueError:
        raise ShardError(f"{INDEX_ENV}: expected a number, found {index!r}") from None
    return f"{k}/{total}"


def describe_env(env: Mapping[str, str]) -> str:
    """The shard variables set, as `NAME=value` words (for messages)."""
    return ", ".join(f"{name}={env[name]}" for name in (SHARD_ENV, SHARDS_ENV, INDEX_ENV) if env.get(name))


def shard_files(files: Sequence[T], k: int, n: int) -> list[T]:
    """The files of shard K of N: those whose place in the read order (from 0) is K-1 modulo N."""
    return [f for i, f in enumerate(files) if i % n == k - 1]


def shard_of_run(run_id: str, n: int) -> int:
    """The shard (from 1) of N by run id that holds a run: a stable hash of its id, modulo N."""
    digest = hashlib.sha256(run_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def takes_run(k: int, n: int) -> Callable[[str], bool]:
    """Whether shard K of N by run id holds a run."""
    return lambda run_id: shard_of_run(run_id, n) == k


def bundle_path(template: Path, k: int, n: int) -> Path:
    """The bundle file, with {k} and {n} in its name filled in (one command line for every shard)."""
    return Path(str(template).replace("{k}", str(k)).replace("{n}", str(n)))


# --- options, as a bundle carries them ----------------------------------------------------

#: BuildOptions fields a bundle does not carry: values of masked variables (secrets), which
#: the merge takes from its own environment by the names the bundle gives.
_NOT_CARRIED = {"masked"}


def options_json(options: Any) -> dict[str, Any]:
    out = {}
    for f in fields(options):
        if f.name in _NOT_CARRIED:
            continue
        value = getattr(options, f.name)
        out[f.name] = str(value) if isinstance(value, Path) else (
            list(value) if isinstance(value, tuple) else value)
    return out


def options_from_json(data: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> Any:
    """BuildOptions from a bundle's, masking what the variables it names hold here."""
    from runreport.site.build import BuildOptions

    kwargs: dict[str, Any] = {}
    for f in fields(BuildOptions):
        if f.name in _NOT_CARRIED or f.name not in data:
            continue
        value = data[f.name]
        if isinstance(value, list):
            value = tuple(value)
        if f.name == "library" and value is not None:
            value = Path(value)
        kwargs[f.name] = value
    names = kwargs.get("mask_env", ())
    kwargs["masked"] = tuple(environ[n] for n in names if environ.get(n))
    return BuildOptions(**kwargs)


# --- what a built shard puts in its bundle -------------------------------------------------


def bundle_index(loaded: Any, manifest: Any, *, options: Any, globals_digest: str,
                 shard: tuple[int, int], shard_by: str, inputs: Sequence[str],
                 all_files: Sequence[str]) -> dict[str, Any]:
    """The index of a built shard's bundle: its files, problems and runs with their files.

    `manifest`: the site manifest of the shard's build (each run's files and their marks).
    Problems are split as the merge needs them: a run's own (from deriving it) go with the
    run; the rest (of lines) with the shard.
    """
    store = loaded.store
    run_problems = Counter(_problem_key(p) for s in store.runs.values() for p in s.problems)
    line_problems = []
    for p in loaded.problems:
        key = _problem_key(p.to_json())
        if run_problems[key]:
            run_problems[key] -= 1
        else:
            line_problems.append(p.to_json())
    runs = {}
    for run_id in sorted(store.runs):
        stored = store.runs[run_id]
        runs[run_id] = {"hash": stored.hash, "row": dict(zip(ROW_FIELDS, stored.row)), "problems": stored.problems,
                        "files": [[rel, *mark] for rel, mark in manifest.run_marks(run_id)]}
    return {
        "globals": globals_digest,
        "options": options_json(options),
        "shard": list(shard),
        "shard_by": shard_by,  # "file": its files whole; "run": the runs of every file it takes
        "inputs": list(inputs),
        # Every input file the shards choose from, as a count and a hash of their names:
        # shards of one build that saw other files are told apart at the merge.
        "input_files": {"count": len(all_files), "sha256": input_list_digest(all_files)},
        "files": [str(p) for p in loaded.files],
        "problems": line_problems,
        "runs": runs,
    }


def input_list_digest(files: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(files).encode("utf-8", "surrogatepass")).hexdigest()


def packed_records(store: Any, run_id: str) -> bytes:
    """A run's records with their bytes inline: a bundle travels without the inputs."""
    return pack_run(run_id, store.get_lines(run_id))


def _problem_key(p: Mapping[str, Any]) -> tuple:
    return (p["file"], p["line"], p["run_id"], p["severity"], p["message"])


__all__ = ["ShardError", "bundle_index", "bundle_path", "options_from_json", "options_json",
           "packed_records", "parse_shard", "shard_files", "shard_from_env", "shard_of_run", "takes_run"]
