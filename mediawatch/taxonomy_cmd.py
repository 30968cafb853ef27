"""`mediawatch taxonomy ...`: score a taxonomy against labelled articles, train its learned stage.

Kept apart from `mediawatch/cli.py` so the taxonomy tools grow without
touching the pipeline commands; `cli.py` only mounts this sub-app.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
import yaml
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mediawatch.errors import TaxonomyError
from mediawatch.learned import load_model, model_path
from schemas.records import TopicLabel
from transforms.classify import Document, Taxonomy, load_taxonomy, with_learned
from transforms.topic_eval import (
    LabelledDataError,
    LabelledDoc,
    Report,
    evaluate,
    gold_labels,
    parse_labelled,
    parse_mapping,
)

if TYPE_CHECKING:  # scikit-learn loads only when a command uses the model
    from transforms.topic_model import TopicModel

app = typer.Typer(help="Work on a taxonomy file: score it on labelled articles, train a model.")
console = Console()
Method = Literal["rules", "model", "both"]
DataArgument = Annotated[Path, typer.Argument(help="Labelled articles: CSV or JSON Lines.")]
TaxonomyOption = Annotated[
    Path | None, typer.Option("--taxonomy", "-t", help="Taxonomy file [default: the config's].")
]
MapOption = Annotated[
    list[str] | None,
    typer.Option("--map", help="dataset_label=taxonomy/path; repeat for each label."),
]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="YAML file of dataset_label: taxonomy/path.")
]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file.")]
TEST_EVERY = 5  # `train` holds out every 5th labelled row to measure the model


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


def read_labelled(
    taxonomy: Taxonomy, data: Path, mapping: dict[str, tuple[str, ...]] | None
) -> list[LabelledDoc]:
    """The labelled articles of a file, once the mapping is known to name taxonomy labels."""
    unknown = sorted({t for targets in (mapping or {}).values() for t in targets} - taxonomy.labels)
    if unknown:
        raise TaxonomyError(f"the mapping names labels the taxonomy does not have: {unknown}")
    return parse_labelled(read_text(data, "labelled data"), origin=str(data))


def score_file(
    taxonomy: Taxonomy,
    data: Path,
    mapping: dict[str, tuple[str, ...]] | None,
    examples: int = 3,
    *,
    model: TopicModel | None = None,
    method: Method = "rules",
) -> Report:
    """Classify every article of a labelled file (rules, model or both) and score the labels."""
    docs = read_labelled(taxonomy, data, mapping)
    learned: dict[int, list[TopicLabel]] = {}
    if model is not None and method != "rules":
        batch = model.classify_many([(doc.title, doc.body) for doc in docs])
        learned = {doc.row: labels for doc, labels in zip(docs, batch, strict=True)}

    def classify(doc: LabelledDoc) -> list[TopicLabel]:
        labels = [] if method == "model" else taxonomy.classify(Document(doc.title, doc.body))
        return with_learned(labels, learned.get(doc.row, []))

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
    data: DataArgument,
    *,
    taxonomy: TaxonomyOption = None,
    map_: MapOption = None,
    mapping_file: MappingOption = None,
    examples: Annotated[int, typer.Option(help="Worst examples shown per label.")] = 3,
    method: Annotated[
        str, typer.Option(help="rules, model (the learned stage) or both.")
    ] = "rules",
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
    config: ConfigOption = None,
) -> None:
    """Score a taxonomy on labelled articles: precision, recall, F1 per label, worst examples.

    Example: mediawatch taxonomy test labelled.jsonl --map sport=sport --format json
    """
    from mediawatch.settings import load_settings

    if method not in {"rules", "model", "both"}:
        raise LabelledDataError(f"--method must be rules, model or both, not {method!r}")
    path = taxonomy if taxonomy is not None else load_settings(config).taxonomy
    mapping = _mapping(map_, mapping_file)
    model = None if method == "rules" else load_model(path)
    report = score_file(load_taxonomy(path), data, mapping, examples, model=model, method=method)  # type: ignore[arg-type]
    if format == "json":
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report)


def _mapping(
    pairs: list[str] | None, mapping_file: Path | None
) -> dict[str, tuple[str, ...]] | None:
    """The --map pairs over the --mapping file, or None when neither is given."""
    mapping = read_mapping(mapping_file) if mapping_file is not None else {}
    mapping.update(parse_mapping(pairs or [], origin="--map"))
    return mapping or None


@app.command()
def train(
    data: DataArgument,
    *,
    taxonomy: TaxonomyOption = None,
    map_: MapOption = None,
    mapping_file: MappingOption = None,
    config: ConfigOption = None,
) -> None:
    """Train the learned stage: one calibrated linear model per label, saved beside the taxonomy.

    Every 5th row is held out and the model's figures on it are saved with it
    (`<taxonomy>.model.json`) and printed.

    Example: mediawatch taxonomy train labelled.jsonl -t topics.yaml --mapping map.yaml
    """
    from mediawatch.settings import load_settings

    path = taxonomy if taxonomy is not None else load_settings(config).taxonomy
    mapping = _mapping(map_, mapping_file)
    docs = read_labelled(load_taxonomy(path), data, mapping)
    golds = [gold_labels(doc, mapping) for doc in docs]
    labels = sorted({label for gold in golds for label in gold})
    held_out = {i for i in range(len(docs)) if i % TEST_EVERY == TEST_EVERY - 1}
    train_rows = [i for i in range(len(docs)) if i not in held_out]
    from transforms.topic_model import fit

    model = fit(
        [(docs[i].title, docs[i].body) for i in train_rows], [golds[i] for i in train_rows], labels
    )
    tests = [docs[i] for i in sorted(held_out)]
    predicted = model.classify_many([(doc.title, doc.body) for doc in tests])
    by_row = {doc.row: labels for doc, labels in zip(tests, predicted, strict=True)}
    report = evaluate(tests, lambda doc: by_row[doc.row], mapping, examples=0)
    model.metrics = {"trained_on": len(train_rows), "held_out": report.as_dict()}
    with model_path(path).open("wb") as out:
        pickle.dump(model, out)
    metrics = model_path(path).with_suffix(".json")
    metrics.write_text(json.dumps(model.metrics, indent=2), encoding="utf-8")
    print_report(report)
    console.print(f"Model: {model_path(path)} (figures: {metrics})", highlight=False)
