"""`mediawatch taxonomy ...`: work on a taxonomy file, e.g. score it against labelled articles.

Kept apart from `mediawatch/cli.py` so the taxonomy tools grow without
touching the pipeline commands; `cli.py` only mounts this sub-app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
import yaml
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mediawatch.errors import TaxonomyError
from transforms.classify import Document, Taxonomy, load_taxonomy
from transforms.topic_eval import (
    LabelledDataError,
    LabelledDoc,
    Report,
    evaluate,
    parse_labelled,
    parse_mapping,
)

app = typer.Typer(help="Work on a taxonomy file: score it against labelled articles.")
console = Console()


def read_text(path: Path, what: str) -> str:
    """A UTF-8 text file, or a one-line error naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelledDataError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise LabelledDataError(f"{path} is not UTF-8 text (byte {exc.start})") from exc


def read_mapping(path: Path) -> dict[str, tuple[str, ...]]:
    """A mapping file: YAML `dataset_label: taxonomy/path` (or a list of paths) per line."""
    try:
        data = yaml.safe_load(read_text(path, "mapping file"))
    except yaml.YAMLError as exc:
        raise LabelledDataError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise LabelledDataError(f"{path}: expected a mapping of dataset label to taxonomy path")
    pairs = []
    for source, targets in data.items():
        for target in targets if isinstance(targets, list) else [targets]:
            pairs.append(f"{source}={target}")
    return parse_mapping(pairs, origin=str(path))


def score_file(
    taxonomy: Taxonomy,
    data: Path,
    mapping: dict[str, tuple[str, ...]] | None,
    examples: int = 3,
) -> Report:
    """Classify every article of a labelled file with `taxonomy` and score the labels."""
    docs = parse_labelled(read_text(data, "labelled data"), origin=str(data))
    unknown = sorted({t for targets in (mapping or {}).values() for t in targets} - taxonomy.labels)
    if unknown:
        raise TaxonomyError(f"the mapping names labels the taxonomy does not have: {unknown}")

    def classify(doc: LabelledDoc) -> list:
        return taxonomy.classify(Document(doc.title, doc.body))

    return evaluate(docs, classify, mapping, examples=examples)


def print_report(report: Report) -> None:
    """Per-label figures, averages, confusions and the worst examples, as tables."""
    table = Table("label", "precision", "recall", "F1", "support", box=box.SIMPLE_HEAD)
    for score in report.labels:
        table.add_row(
            escape(score.label),
            *_figures(score.precision, score.recall, score.f1),
            str(score.support),
        )
    for name, figures in (("micro", report.micro()), ("macro", report.macro())):
        table.add_row(f"[bold]{name}[/]", *_figures(*figures), "")
    console.print(table)
    console.print(f"{report.articles} articles", highlight=False)
    if report.confusions:
        console.print("\nMost frequent confusions (gold label missed -> label predicted instead):")
        for gold, predicted, count in report.confusions:
            console.print(f"  {count:4d}  {gold} -> {predicted}", highlight=False, markup=False)
    for score in report.labels:
        for kind, found in (("false positives", score.worst_fp), ("misses", score.worst_fn)):
            if found:
                console.print(f"\n{score.label}: worst {kind}", highlight=False, markup=False)
            for example in found:
                console.print(
                    f"  row {example.row} ({example.score:g}) {example.title[:80]}",
                    highlight=False,
                    markup=False,
                )
                for line in example.evidence:
                    console.print(f"      {line[:160]}", highlight=False, markup=False)


def _figures(*values: float) -> list[str]:
    return [f"{value:.3f}" for value in values]


@app.command()
def test(
    data: Annotated[Path, typer.Argument(help="Labelled articles: CSV or JSON Lines.")],
    *,
    taxonomy: Annotated[
        Path | None,
        typer.Option("--taxonomy", "-t", help="Taxonomy file [default: the config's]."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="dataset_label=taxonomy/path; repeat for each label."),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", help="YAML file of dataset_label: taxonomy/path."),
    ] = None,
    examples: Annotated[int, typer.Option(help="Worst examples shown per label.")] = 3,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML settings file.")
    ] = None,
) -> None:
    """Score a taxonomy on labelled articles: precision, recall, F1 per label, worst examples.

    Example: mediawatch taxonomy test labelled.jsonl --map sport=sport --format json
    """
    from mediawatch.settings import load_settings

    path = taxonomy if taxonomy is not None else load_settings(config).taxonomy
    mapping = read_mapping(mapping_file) if mapping_file is not None else {}
    mapping.update(parse_mapping(map_ or [], origin="--map"))
    report = score_file(load_taxonomy(path), data, mapping or None, examples)
    if format == "json":
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report)
