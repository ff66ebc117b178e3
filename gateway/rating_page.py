"""The public page where a reporter rates the outcome of their closed case (回访). Pure: text in, HTML out.

A plain form, no script (the page carries the app's Content-Security-Policy and posts
to itself), in zh-CN or en (``?lang=``, else the browser's language); every text from
the shared catalogue (``page.rating.*``), every value escaped.
"""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from shared import texts

RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
_ZONE = ZoneInfo("Asia/Shanghai")


def language_of(lang: str | None, accept_language: str | None) -> str:
    if lang:
        return texts.language_of(lang)
    first = (accept_language or "").split(",")[0].strip()
    return texts.language_of(first) if first else texts.DEFAULT_LANGUAGE


def _t(key: str, language: str, **params) -> str:
    return escape(texts.render(key, params, language))


def _page(language: str, body: str, other_link: str | None = None) -> str:
    other = (
        f'<p><a href="{escape(other_link)}">{_t("page.rating.other_language", language)}</a></p>' if other_link else ""
    )
    return (
        f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_t('page.rating.title', language)}</title></head>\n"
        f"<body><main><h1>{_t('page.rating.title', language)}</h1>\n{body}\n{other}</main></body></html>\n"
    )


def form(link: dict, category_name: str, language: str, action: str, problem: str | None = None) -> str:
    """The form for an open link; ``problem``, a text to show above it (a rating left out)."""
    expires = (
        link["expires_at"] if isinstance(link["expires_at"], datetime) else datetime.fromisoformat(link["expires_at"])
    )
    choices = "\n".join(
        f'<p><label><input type="radio" name="rating" value="{r}" required> '
        f"{escape(texts.term('rating', r, language))}</label></p>"
        for r in RATINGS
    )
    notice = f'<p role="alert">{escape(problem)}</p>' if problem else ""
    until = expires.astimezone(_ZONE).strftime("%Y-%m-%d %H:%M")
    request = _t("page.rating.request", language, case_id=link["case_id"], category=category_name, expires=until)
    body = (
        f"<p>{request}</p>\n"
        f'{notice}<form method="post" action="{escape(action)}">\n'
        f"<fieldset><legend>{_t('page.rating.question', language)}</legend>\n{choices}\n</fieldset>\n"
        f'<p><label for="comment">{_t("page.rating.comment", language)}</label><br>'
        f'<textarea id="comment" name="comment" maxlength="1000" rows="4" cols="40"></textarea></p>\n'
        f'<p><button type="submit">{_t("page.rating.send", language)}</button></p>\n</form>'
    )
    return _page(language, body, _other(action, language))


def thanks(rating: str, language: str) -> str:
    return _page(language, f"<p>{_t('page.rating.thanks', language, rating=rating)}</p>")


def refusal(reason: str, params: dict | None, language: str) -> str:
    """A link that cannot be used (unknown, used, expired), said in the page's language."""
    return _page(language, f'<p role="alert">{escape(texts.render(reason, params, language))}</p>')


def _other(action: str, language: str) -> str:
    base = action.split("?")[0]
    return f"{base}?lang={'en' if language != 'en' else 'zh-CN'}"
