"""The feed's two views: a table as a streamed CSV, or as JSON in pages. Each asks for its
bearer token before anything else (a 401 and nothing more without a valid one); a signed-in
session counts for nothing here. Only GET and HEAD."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from pqa import registry
from pqa.exports import csv_lines
from pqa.feed import selectors, services

# The contract: JSON pages of at most 10,000 rows. PQA_FEED_PAGE_SIZE may lower it (tests do).
PAGE_SIZE_LIMIT = 10_000
# Pages are numbered from 1; a thousand million rows is far beyond any table of a trust.
MAX_PAGE = 100_000
# Rows fetched from the database at a time while a CSV streams.
CSV_CHUNK = 2_000
# Characters of CSV sent at a time.
CSV_BLOCK = 64 * 1024
METHODS = ("GET", "HEAD")


def page_size() -> int:
    return max(1, min(int(settings.PQA_FEED_PAGE_SIZE), PAGE_SIZE_LIMIT))


def _unauthorised() -> HttpResponse:
    response = HttpResponse(b"", status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = 'Bearer realm="PQA feed"'
    return response


def _authenticated(request):
    """The valid token this request carries, or None (the refusal written to the audit log)."""
    token = selectors.bearer_token(request.headers.get("Authorization"))
    if token is None:
        services.feed_request_refused(reason="missing")
        return None
    record = selectors.feed_token_for(token)
    if record is None:
        services.feed_request_refused(reason="unknown")
        return None
    if record.is_revoked:
        services.feed_request_refused(reason="revoked", token=record)
        return None
    return record


class BadPage(ValueError):
    pass


def parse_page(value: str | None) -> int:
    """?page=N: a whole number from 1 to MAX_PAGE, 1 when absent."""
    if value is None:
        return 1
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE))) or not 1 <= int(text) <= MAX_PAGE:
        raise BadPage(f"page must be a whole number from 1 to {MAX_PAGE:,}, e.g. ?page=2")
    return int(text)


def _table_names() -> str:
    return ", ".join(table.name for table in registry.feed_tables())


def _serve(request, table_name: str, format: str):
    token = _authenticated(request)
    if token is None:
        return _unauthorised()

    def refused(status: int, message: str, page: int | None = None) -> JsonResponse:
        services.feed_request_log(token=token, table=table_name, format=format, page=page, status=status)
        response = JsonResponse({"error": message}, status=status)
        if status == 405:
            response["Allow"] = ", ".join(METHODS)
        return response

    if request.method not in METHODS:
        return refused(405, "The feed is read-only: use GET.")
    table = registry.feed_table_named(table_name)
    if table is None:
        return refused(404, f"There is no such table in the feed. Its tables: {_table_names()}.")
    if format == "csv":
        return _csv(request, token, table)
    try:
        page = parse_page(request.GET.get("page"))
    except BadPage as error:
        return refused(400, str(error))
    return _json_page(request, token, table, page)


def _json_page(request, token, table, page: int) -> JsonResponse:
    size = page_size()
    start = (page - 1) * size
    # One row more than a page, to know whether there is a next page without counting them all.
    records = list(table.rows().order_by("pk")[start : start + size + 1])
    rows = [selectors.json_row(table, record) for record in records[:size]]
    services.feed_request_log(token=token, table=table.name, format="json", page=page, status=200, rows=len(rows))
    response = JsonResponse(rows, safe=False)
    if len(records) > size:
        next_url = request.build_absolute_uri(f"{reverse('feed:json', args=[table.name])}?page={page + 1}")
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


def _csv(request, token, table) -> StreamingHttpResponse:
    logged = services.feed_request_log(token=token, table=table.name, format="csv", page=None, status=200)

    def blocks():
        # Lines gathered into blocks of about 64 KB: a write to the socket for each line would
        # make the sending, not the database, what takes the time.
        sent, block, size = -1, [], 0  # the first line is the header
        for line in csv_lines(table.rows().order_by("pk").iterator(chunk_size=CSV_CHUNK), table.columns):
            sent += 1
            block.append(line)
            size += len(line)
            if size >= CSV_BLOCK:
                yield "".join(block)
                block, size = [], 0
        if block:
            yield "".join(block)
        services.feed_request_rows_counted(logged=logged, rows=sent)

    response = StreamingHttpResponse(blocks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.name}.csv"'
    response["X-Accel-Buffering"] = "no"  # nginx: pass it on as it comes, not to a temporary file first
    return response


@csrf_exempt  # no cookie or session is read: a bearer token cannot be forged by another site
@login_not_required
def feed_csv(request, table: str):
    """GET /api/feed/TABLE.csv: the whole table, streamed, a header row first."""
    return _serve(request, table, "csv")


@csrf_exempt
@login_not_required
def feed_json(request, table: str):
    """GET /api/feed/TABLE.json[?page=N]: a list of objects, a page at a time."""
    return _serve(request, table, "json")
