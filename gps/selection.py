"""Which repositories a run syncs: owners' listings, explicit names and globs, filters, excludes.

- Without GPS_REPOSITORIES: every repository of each owner in GPS_GITHUB_ID (or the token's own
  user), through the fork/private/archived filters.
- With it: exactly the entries given. A glob (`owner/*`, `owner/gps-*`) is matched against its
  owner's listing and filtered; a plain `owner/name` is the user's explicit choice and is synced
  whatever the filters say; a name that does not exist is a configuration error.
- GPS_EXCLUDE globs are removed last. A repository the token cannot push to is always skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from gps.errors import ConfigError
from gps.log import Log
from gps.model import Owner, Repo

GLOB_CHARS = set("*?[")


def is_glob(pattern: str) -> bool:
    return bool(GLOB_CHARS & set(pattern))


def matches(full_name: str, pattern: str) -> bool:
    """GitHub names are case-insensitive: so is matching."""
    return fnmatchcase(full_name.lower(), pattern.lower())


def filter_reason(repo: Repo, allow_forks: bool, allow_private: bool, allow_archived: bool) -> str:
    """Why the filters leave this repository out ('' when they keep it)."""
    if repo.fork and not allow_forks:
        return "fork (GPS_ALLOW_FORKS=0)"
    if repo.private and not allow_private:
        return "private (GPS_ALLOW_PRIVATE=0)"
    if repo.archived and not allow_archived:
        return "archived (GPS_ALLOW_ARCHIVED=0)"
    return ""


NO_PUSH = "no push access for this token"


def in_shard(full_name: str, shard: tuple[int, int] | None) -> bool:
    """Stable across runs and machines: a hash of the lower-cased name, not Python's hash()."""
    if shard is None:
        return True
    k, n = shard
    digest = hashlib.sha256(full_name.lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1


@dataclass
class Selection:
    owners: list[Owner] = field(default_factory=list)
    selected: list[Repo] = field(default_factory=list)
    skipped: list[tuple[Repo, str]] = field(default_factory=list)
    listed: int = 0
    other_shards: int = 0  # selected, but another shard's to sync
    seen: set[str] = field(default_factory=set)  # lower-cased names already selected or skipped

    def add(self, repo: Repo, reason: str = "") -> None:
        """Select or skip a repository once, whatever route reached it."""
        key = repo.full_name.lower()
        if key in self.seen:
            return
        self.seen.add(key)
        if not reason and repo.can_push is False:
            reason = NO_PUSH
        if reason:
            self.skipped.append((repo, reason))
        else:
            self.selected.append(repo)


def select_repos(repos: list[Repo], allow_forks: bool, allow_private: bool,
                 allow_archived: bool) -> tuple[list[Repo], list[tuple[Repo, str]]]:
    """Apply the three filters and the push-access check; return (selected, [(skipped, reason)])."""
    selection = Selection()
    for repo in repos:
        selection.add(repo, filter_reason(repo, allow_forks, allow_private, allow_archived))
    return selection.selected, selection.skipped


def select(source, config, log: Log) -> Selection:
    """Resolve owners and repositories with `source` (a GitHubSource) under `config`."""
    selection = Selection()
    listings: dict[str, list[Repo]] = {}
    filters = (config.allow_forks, config.allow_private, config.allow_archived)

    def listing(login: str) -> list[Repo]:
        key = login.lower()
        if key not in listings:
            if login:
                owner = source.resolve_owner(login, private_wanted=config.allow_private)
                repos = source.list_repos(owner)
            else:  # the token's own user: its listing names it (0 requests), unless it is empty
                repos = source.list_repos(Owner("", "token-user"))
                owner = Owner(repos[0].owner if repos else source.token_login(), "token-user")
            selection.owners.append(owner)
            log.info(f"owner: {owner.login} ({owner.kind.replace('-', ' ')})")
            if owner.public_only:
                log.info(f"{owner.login} is another user: GitHub lists only their public repositories")
            listings[key] = repos
            selection.listed += len(repos)
        return listings[key]

    if config.repositories:
        for pattern in config.repositories:
            owner, name = pattern.split("/", 1)
            if is_glob(name):
                for repo in listing(owner):
                    if matches(repo.full_name, pattern):
                        selection.add(repo, filter_reason(repo, *filters))
                continue
            known = [r for r in listings.get(owner.lower(), []) if r.full_name.lower() == pattern.lower()]
            repo = known[0] if known else source.get_repo(pattern)
            if repo is None:
                raise ConfigError(f"GPS_REPOSITORIES: no repository {pattern!r} (it does not exist, "
                                  "or the token cannot see it)")
            selection.add(repo)  # named explicitly: the filters do not apply
    else:
        for login in config.github_id or ("",):
            for repo in listing(login):
                selection.add(repo, filter_reason(repo, *filters))

    for pattern in config.exclude:
        kept = []
        for repo in selection.selected:
            if matches(repo.full_name, pattern):
                selection.skipped.append((repo, f"excluded ({pattern})"))
            else:
                kept.append(repo)
        selection.selected = kept
    mine = [r for r in selection.selected if in_shard(r.full_name, config.shard)]
    selection.other_shards = len(selection.selected) - len(mine)
    selection.selected = mine
    return selection
