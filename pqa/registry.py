"""What each app brings to the core: its menu entries per role, the home page of each role it
serves, its JSON endpoints, its notification kinds and its tables in the BI feed.

The core never names an app. Each app tells the registry what it brings in its
`AppConfig.ready()`; the core's menu, home redirect, two-factor middleware and outbox read
it back. Adding an app therefore needs no change to the core and no core migration.

    # myapp/apps.py
    def ready(self):
        from pqa import registry
        registry.menu(label="My work", url_name="myapp:mine", roles=[Role.EVALUATOR], order=10)
        registry.menu(label="Figures", url_name="myapp:figures", roles=[Role.LEADER], order=60, group="Reports")
        registry.home(role=Role.EVALUATOR, url_name="myapp:mine")
        registry.json_endpoint("myapp:autosave")
        registry.notification_kind("safeguarding_concern", "Safeguarding concern")
        registry.feed_table("things", rows=selectors.feed_things, columns=selectors.THING_FEED_COLUMNS)

A menu entry may name a `group`, a plain word the apps agree on ("Evaluations", "Reports"):
where a role sees more entries than fit the header (MENU_TOP_LEVEL), the entries of a group
show as one item that opens them (`navigation_for`); a role with few entries keeps them flat.

Registering the same thing twice (a second `ready()` in a test run) is harmless; registering
a different home for a role, or another label for a notification kind, is a mistake and
raises ImproperlyConfigured at start-up rather than letting the order of INSTALLED_APPS
decide silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.text import slugify

from pqa.models import Role
from pqa.permissions import role_of

# Every role, now and to come: a menu entry for everyone (permission may narrow it).
ALL_ROLES = frozenset(Role.values)
# Where a person goes when no app has registered a home for their role.
FALLBACK_HOME = "your_pqa"
# The most items the header's menu shows side by side: more than this, and the entries that
# share a group fold into one item each (a short list to scan, and a short folded menu at 390 px).
MENU_TOP_LEVEL = 7


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int
    permission: Callable[[object], bool] | None = None
    group: str = ""

    def shown_to(self, user, role: str | None) -> bool:
        """Whether this person, whose role is `role` (role_of, asked once a page), sees the entry."""
        if role not in self.roles:
            return False
        return self.permission is None or bool(self.permission(user))

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class Home:
    url_name: str
    query: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str:
        url = reverse(self.url_name)
        return f"{url}?{urlencode(self.query)}" if self.query else url


@dataclass(frozen=True)
class FeedTable:
    """A table of the read-only BI feed (pqa.feed): `rows()` returns a QuerySet of the table's
    records (with what its columns read already joined or prefetched: the feed orders it by
    primary key, pages it and streams it); `columns` are pqa.exports.Column, whose header is
    the column's name in the feed and whose value reads a code, a date, a number or a
    reference from one record, never free text that could name a child."""

    name: str
    rows: Callable[[], object]
    columns: tuple

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


_menu: dict[tuple[str, str], MenuEntry] = {}
_homes: dict[str, Home] = {}
_json_endpoints: set[str] = set()
_notification_kinds: dict[str, str] = {}
_demo_loaders: dict[str, tuple[int, Callable[..., object]]] = {}
_token_endpoints: set[str] = set()
_feed_tables: dict[str, FeedTable] = {}

FEED_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# --- Registering (from AppConfig.ready) --------------------------------------------------


def _roles(roles: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(str(role) for role in roles)
    unknown = chosen - ALL_ROLES
    if unknown or not chosen:
        raise ImproperlyConfigured(f"A menu entry needs roles out of {sorted(ALL_ROLES)}; got {sorted(chosen)}")
    return chosen


def menu(
    *,
    label: str,
    url_name: str,
    roles: Iterable[str],
    order: int,
    permission: Callable[[object], bool] | None = None,
    group: str = "",
) -> None:
    """A menu entry for the people of these roles (ALL_ROLES for everyone), in `order` (lower
    first). `permission(user) -> bool`, if given, narrows it further, e.g. to staff. `group`, if
    given, is the plain word its entry folds under when a role's menu is long ("Reports")."""
    group = " ".join(str(group).split())
    if group and not slugify(group):
        raise ImproperlyConfigured(f"A menu group needs a name in words; got {group!r}")
    entry = MenuEntry(
        label=label, url_name=url_name, roles=_roles(roles), order=order, permission=permission, group=group
    )
    _menu[(url_name, label)] = entry


def home(*, role: str, url_name: str, query: Mapping[str, str] | None = None) -> None:
    """The page a person of this role lands on after signing in, with an optional query string
    (e.g. a list already filtered). One home per role."""
    if role not in ALL_ROLES:
        raise ImproperlyConfigured(f"'{role}' is not a role")
    new = Home(url_name=url_name, query=tuple(sorted((query or {}).items())))
    current = _homes.get(role)
    if current is not None and current != new:
        raise ImproperlyConfigured(f"The home of role '{role}' is already {current.url_name}; not also {url_name}")
    _homes[role] = new


def json_endpoint(url_name: str) -> None:
    """An endpoint called by scripts: refused with a 403 and JSON, never a redirect to a page
    (e.g. when a second factor is still owed)."""
    _json_endpoints.add(url_name)


def token_endpoint(url_name: str) -> None:
    """An endpoint that checks a bearer token of its own on every request (the BI feed): the
    session neither opens nor closes it, so the sign-in, second-factor and input middleware let
    it through to the view, which refuses a request without a valid token with a 401 before it
    reads anything else."""
    _token_endpoints.add(url_name)


def feed_table(name: str, *, rows: Callable[[], object], columns: Sequence) -> None:
    """A table the BI feed serves at /api/feed/NAME.csv and NAME.json (see FeedTable). Names
    are lower-case words joined by underscores; one registration per name."""
    if not FEED_TABLE_NAME.match(name):
        raise ImproperlyConfigured(f"'{name}' is not a feed table name: lower-case letters, digits and _")
    headers = [column.header for column in columns]
    if not headers or len(set(headers)) != len(headers):
        raise ImproperlyConfigured(f"The feed table '{name}' needs columns with distinct names; got {headers}")
    new = FeedTable(name=name, rows=rows, columns=tuple(columns))
    current = _feed_tables.get(name)
    if current is not None and current.headers != new.headers:
        raise ImproperlyConfigured(f"The feed table '{name}' is already registered with other columns")
    _feed_tables[name] = new


def notification_kind(code: str, label: str) -> None:
    """A kind of notification an app sends through the core's outbox."""
    current = _notification_kinds.get(code)
    if current is not None and current != label:
        raise ImproperlyConfigured(f"Notification kind '{code}' is already registered as '{current}'")
    _notification_kinds[code] = label


def demo_loader(label: str, loader: Callable[..., object], order: int) -> None:
    """Demo data an app adds after the core's and the other apps' (`load_demo`):
    `loader(actor=...)` must be idempotent and return what it added, in words (or "")."""
    _demo_loaders[label] = (order, loader)


# --- Reading (the core) ---------------------------------------------------------------------


def menu_for(user) -> list[MenuEntry]:
    """The entries this person's role sees and their permission allows, in order. Nothing for
    someone not signed in."""
    role = role_of(user)  # once: each page draws the menu, and the user is a lazy object
    if role is None:
        return []
    entries = sorted(_menu.values(), key=lambda entry: (entry.order, entry.label))
    return [entry for entry in entries if entry.shown_to(user, role)]


@dataclass(frozen=True)
class MenuItem:
    """One item of the header's menu: an entry (a link), or a group of entries (`entries`),
    which opens them. `id` names a group's list, for `aria-controls` and the menu page's anchor."""

    label: str
    url: str
    active: bool
    entries: tuple[MenuItem, ...] = field(default=())
    id: str = ""

    @property
    def is_group(self) -> bool:
        return bool(self.entries)


def _active_url(path: str, urls: list[str]) -> str | None:
    """The entry the page belongs to: the longest menu URL the path starts with, so that
    /evaluations/mine/ is "My evaluations" and not also "Evaluations"."""
    matches = [url for url in urls if url != "/" and path.startswith(url)] or [url for url in urls if url == path]
    return max(matches, key=len) if matches else None


def group_id(group: str) -> str:
    return f"menu-{slugify(group)}"


def navigation_for(user, path: str) -> list[MenuItem]:
    """The header's menu for this person on the page at `path`: their entries, flat while they
    fit (MENU_TOP_LEVEL), else each group's entries folded into one item where its first entry
    would be. A group with a single entry for this person shows as that entry. The entry the
    page belongs to is active, and so is its group."""
    entries = menu_for(user)
    urls = [entry.url for entry in entries]
    active = _active_url(path, urls)
    links = [
        (entry, MenuItem(label=entry.label, url=url, active=url == active))
        for entry, url in zip(entries, urls, strict=True)
    ]
    if len(links) <= MENU_TOP_LEVEL:
        return [item for _, item in links]
    members: dict[str, list[MenuItem]] = {}
    for entry, item in links:
        if entry.group:
            members.setdefault(entry.group, []).append(item)
    top: list[MenuItem] = []
    placed: set[str] = set()
    for entry, item in links:
        if not entry.group or len(members[entry.group]) == 1:
            top.append(item)
        elif entry.group not in placed:
            placed.add(entry.group)
            grouped = tuple(members[entry.group])
            top.append(
                MenuItem(
                    label=entry.group,
                    url=f"{reverse('menu')}#{group_id(entry.group)}",
                    active=any(member.active for member in grouped),
                    entries=grouped,
                    id=group_id(entry.group),
                )
            )
    return top


def menu_page_for(user) -> list[tuple[str, list[MenuEntry]]]:
    """Every entry this person may open, under its group (the entries of no group first, under
    ""), for the menu page: where a group's item leads without JavaScript."""
    sections: dict[str, list[MenuEntry]] = {}
    for entry in menu_for(user):
        sections.setdefault(entry.group, []).append(entry)
    return sorted(sections.items(), key=lambda section: section[0] != "")


def has_home(user) -> bool:
    return role_of(user) in _homes


def home_url_for(user) -> str:
    """Where this person starts: their role's registered home, or the core's "Your PQA" page
    for a role no app serves yet."""
    home_page = _homes.get(role_of(user))
    return home_page.url if home_page else reverse(FALLBACK_HOME)


def is_json_endpoint(view_name: str) -> bool:
    return view_name in _json_endpoints


def is_token_endpoint(view_name: str) -> bool:
    return view_name in _token_endpoints


def feed_tables() -> list[FeedTable]:
    """The feed's tables, by name."""
    return [_feed_tables[name] for name in sorted(_feed_tables)]


def feed_table_named(name: str) -> FeedTable | None:
    return _feed_tables.get(name)


def notification_kind_choices() -> list[tuple[str, str]]:
    return sorted(_notification_kinds.items())


def notification_kind_label(code: str) -> str:
    return _notification_kinds.get(code, code)


def demo_loaders() -> list[tuple[str, Callable[..., object]]]:
    """The registered demo loaders, in order (lower first)."""
    return [(label, loader) for label, (order, loader) in sorted(_demo_loaders.items(), key=lambda item: item[1][0])]
