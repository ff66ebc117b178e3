"""What a notification says: Jinja2 templates per event type, in zh-CN and en.

``templates/<language>/<event type>.txt`` holds the blocks ``subject`` and ``body``
(and ``sms`` where the short form is not simply the subject). A plain-text e-mail is
the body and a link to the case; the HTML e-mail puts the same text into
``templates/layout.html``, which escapes everything (reasons and comments are
people's words). Templates render with ``StrictUndefined``: a misspelt variable is a
failure in the tests, not a blank in a message.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta, select_autoescape

from shared import texts
from shared.events import Event
from shared.events.contracts.cases import CASE_FACTS

LANGUAGES, DEFAULT_LANGUAGE, language_of = texts.LANGUAGES, texts.DEFAULT_LANGUAGE, texts.language_of
SMS_MAX = 160
# Read from the package itself: the templates are part of the program (as the rules are), not kept data, so reading
# them is no I/O in the sense of the domain's rule (no store, broker or network).
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_PRIORITY = {
    "zh-CN": {"urgent": "紧急", "high": "高", "normal": "普通", "low": "低"},
    "en": {"urgent": "urgent", "high": "high", "normal": "normal", "low": "low"},
}
_LINK_LABEL = {"zh-CN": "查看案件", "en": "Open the case"}
_INBOX_LABEL = {"zh-CN": "打开收件箱", "en": "Open your inbox"}
_RATE_LABEL = {"zh-CN": "评价处理结果", "en": "Rate the outcome"}
# Where a public notice's rating link goes: the link is made when the message is sent, never stored (reporting makes
# a new token for each send and keeps only its hash), so the stored message holds this mark in its place.
RATING_LINK_MARK = "[[rating-link]]"
_DEADLINE_FORMAT = {"zh-CN": "%Y年%m月%d日 %H:%M", "en": "%d %b %Y, %H:%M"}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    sms: str


class Messages:
    def __init__(self, base_url: str, timezone: str = "Asia/Shanghai"):
        self.base_url = base_url.rstrip("/")
        self.zone = ZoneInfo(timezone)
        self.env = Environment(
            loader=FileSystemLoader(_TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )
        self._reads_audiences: dict[str, bool] = {}

    def case_link(self, case_id: str) -> str:
        """The case's page in the web app (web/src/main.js routes /cases/:id): a person opens it, not the API."""
        return f"{self.base_url}/cases/{quote(case_id, safe='')}"

    # -- one event ---------------------------------------------------------------------
    def render(self, event: Event, language: str, reference, audiences=()) -> Message:
        language = language_of(language)
        values = self._values(event, language, reference, audiences)
        subject, body, sms = self._blocks(f"{language}/{event.type}.txt", values)
        link = values["link"]
        return Message(
            subject,
            f"{body}\n\n{_LINK_LABEL[language]}: {link}",
            self._html(language, subject, body, link, _LINK_LABEL[language]),
            _shorten(sms or f"{subject} {link}"),
        )

    def titles(self, event: Event, reference, audiences=()) -> tuple[dict, dict]:
        """(subject, body) in every language: the inbox shows the reader's."""
        subjects, bodies = {}, {}
        for language in LANGUAGES:
            subject, body, _ = self._blocks(
                f"{language}/{event.type}.txt", self._values(event, language, reference, audiences)
            )
            subjects[language], bodies[language] = subject, body
        return subjects, bodies

    def reads_audiences(self, event_type: str) -> bool:
        """Whether what ``event_type``'s message says, in any language, depends on why its reader is told: if not,
        one rendering serves every audience."""
        if event_type not in self._reads_audiences:
            names = set()
            for language in LANGUAGES:
                source = self.env.loader.get_source(self.env, f"{language}/{event_type}.txt")[0]
                names |= meta.find_undeclared_variables(self.env.parse(source))
            self._reads_audiences[event_type] = "audiences" in names
        return self._reads_audiences[event_type]

    def render_public(self, notice: dict, reference) -> Message:
        """A notice to a member of the public (``reporter.notice_due``): what became of their report, in their
        language, without a link into the staff's app; a closing's carries the rating link's mark."""
        language = language_of(notice["language"])
        rating = bool(notice.get("rating"))
        values = {
            "case_id": notice["case_id"],
            "reason": notice.get("reason") or "—",
            "note": notice.get("note"),
            "category": _name(reference.categories.get(notice["category"]), language, notice["category"]),
            "rating": rating,
            "rating_link": RATING_LINK_MARK,
            "rating_days": _days(notice.get("rating_days")),
        }
        subject, body, sms = self._blocks(f"{language}/public/{notice['about']}.txt", values)
        link = RATING_LINK_MARK if rating else None
        return Message(
            subject, body, self._html(language, subject, body, link, _RATE_LABEL[language]), _shorten(sms or subject)
        )

    def rating_link(self, token: str, language: str) -> str:
        """The public page where a reporter rates the outcome (served by the gateway, docs/open311.md)."""
        return f"{self.base_url}/rate/{quote(token, safe='')}?lang={language_of(language)}"

    # -- many at once --------------------------------------------------------------------
    def digest(self, items: list[dict], language: str, count: int | None = None) -> Message:
        """One message for a burst of ``count`` messages (default: as many as ``items``); ``items`` are ``{subject,
        link}`` of those it lists, the rest only counted."""
        language = language_of(language)
        count = max(count or 0, len(items))
        values = {"count": count, "items": items, "more": count - len(items)}
        subject, body, sms = self._blocks(f"{language}/digest.txt", values)
        inbox = f"{self.base_url}/api/v1/notifications"
        return Message(
            subject,
            f"{body}\n{_INBOX_LABEL[language]}: {inbox}",
            self._html(language, subject, body, inbox, _INBOX_LABEL[language]),
            _shorten(sms),
        )

    # -- helpers -------------------------------------------------------------------------
    def _blocks(self, name: str, values: dict) -> tuple[str, str, str | None]:
        template = self.env.get_template(name)
        context = template.new_context(values)

        def block(key):
            render = template.blocks.get(key)
            return "".join(render(context)).strip() if render else None

        return block("subject"), block("body"), block("sms")

    def _html(self, language, subject, body, link, link_label) -> str:
        return self.env.get_template("layout.html").render(
            language=language,
            subject=subject,
            paragraphs=[p for p in body.split("\n\n") if p.strip()],
            link=link,
            link_label=link_label,
        )

    def _values(self, event: Event, language: str, reference, audiences) -> dict:
        p = event.payload
        extras = {k: v for k, v in p.items() if k not in CASE_FACTS}  # what this event adds to the case's facts
        if "rung_name" in extras:  # a word of the platform's: said in the reader's language (shared/texts.json)
            extras["rung_label"] = texts.term("rung_name", extras["rung_name"], language)
        if "rating" in extras:
            extras["rating_label"] = texts.term("rating", extras["rating"], language)
        author = extras.get("author")
        if isinstance(author, dict):
            extras["author"] = author.get("name") or author.get("user_id")
        return {
            **extras,
            "case_id": p["case_id"],
            "status": p["status"],
            "category": _name(reference.categories.get(p["category"]), language, p["category"]),
            "priority": _PRIORITY[language].get(p["priority"], p["priority"]),
            "department": _name(reference.departments.get(p.get("department") or ""), language, "—"),
            "returned_by": _name(
                reference.departments.get(p.get("returned_by_department") or ""),
                language,
                p.get("returned_by_department") or "—",
            ),
            "place": place(p, reference),
            "deadline": self._when(p.get("deadline"), language),
            "stage_deadline": self._when(p.get("stage_deadline"), language),
            "supervised": bool(p.get("supervised")),
            "link": self.case_link(p["case_id"]),
            "audiences": sorted(audiences),
        }

    def _when(self, moment: datetime | None, language: str) -> str | None:
        if moment is None:
            return None
        local = moment.astimezone(self.zone)
        offset = local.utcoffset().total_seconds() / 3600
        return f"{local.strftime(_DEADLINE_FORMAT[language])} (UTC{offset:+g})"


def _name(item: dict | None, language: str, fallback: str) -> str:
    if not item:
        return fallback
    return item["name_en"] if language == "en" else item["name_zh"]


def place(facts: dict, reference) -> str:
    """Street, community and grid by name, as far as the case is placed."""
    names = []
    for level in ("street", "community"):
        area = reference.areas.get(facts.get(level) or "")
        if area:
            names.append(area["name"])
    grid = reference.grids.get(facts.get("grid") or "")
    if grid:
        names.append(grid["name"])
    return " ".join(names) if names else (facts.get("grid") or "—")


def _days(days) -> str:
    return "" if days is None else f"{days:g}"


def _shorten(text: str) -> str:
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 1] + "…"
