"""Per-article CPU work done where the article is extracted: its rule labels and story print.

`Preparer` is the function the extraction pool runs on each page: it
extracts the article, labels it with the taxonomy's rules and makes the
text hash and MinHash values story grouping needs. Done in the pool's
workers, this work is shared by every core instead of competing, in the main
process, with the extraction of the next batch. The flow's classify and story
stages then only add the learned model's labels and query the story index.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from schemas.records import Article, Failure, Page, TopicLabel
from transforms.classify import Document, Taxonomy
from transforms.extract import extract
from transforms.stories import StoryPrint


@dataclass(frozen=True, slots=True)
class Prepared:
    """An extracted article labelled by the taxonomy's rules, with its body's story print."""

    article: Article
    story: StoryPrint


def document(article: Article) -> Document:
    """The article's text as the classifier sees it."""
    return Document(
        title=article.title or "",
        body=article.body,
        url=article.url,
        source=article.source,
        language=article.language or "",
    )


def rule_labels(taxonomy: Taxonomy, article: Article) -> list[TopicLabel]:
    """The taxonomy's labels for the article, with their evidence."""
    return taxonomy.classify(document(article))


@dataclass(frozen=True, slots=True)
class Preparer:
    """Extract a page and prepare its article; picklable, so the pool's workers run it."""

    taxonomy: Taxonomy
    num_perm: int
    shingle_words: int

    def __call__(self, page: Page) -> Prepared | Failure:
        outcome = extract(page)
        return outcome if isinstance(outcome, Failure) else self.article(outcome)

    def article(self, article: Article) -> Prepared:
        """Label an article by the rules and make its story print."""
        story = StoryPrint.of(
            article.body, num_perm=self.num_perm, shingle_words=self.shingle_words
        )
        return Prepared(replace(article, topics=rule_labels(self.taxonomy, article)), story)
