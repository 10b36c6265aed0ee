"""Which MongoDB to talk to, and how to name it in logs without leaking credentials."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, unquote_plus

from pymongo import MongoClient
from pymongo.database import Database

from crawler.config import check_data_dir, option

logger = logging.getLogger(__name__)

_USERINFO = re.compile(r"(?P<scheme>mongodb(?:\+srv)?://)(?P<userinfo>[^@/]*@)")
_HOSTS_PATH = re.compile(r"^mongodb(?:\+srv)?://(?:[^@/]*@)?(?P<hosts>[^/?]*)(?:/(?P<db>[^?]*))?")
AUTH_DATABASES = ("admin", "$external")
"""Databases a URI's path may name for authentication only: never newsmon's data database."""
DEFAULT_DB = "newsmon"
_SECRET_PARAMS = re.compile(r"(?i)((?:password|authmechanismproperties|tlscertificatekeyfilepassword)=)[^&]*")


def redact_uri(uri: str) -> str:
    """`mongodb://user:secret@host/db` -> `mongodb://***@host/db`: the only form of a URI we log."""
    uri = _USERINFO.sub(r"\g<scheme>***@", uri)
    return _SECRET_PARAMS.sub(r"\1***", uri)


def redact_text(text: str, uri: str | None) -> str:
    """Remove a URI's credentials from any message (pymongo errors can quote the URI or the user).

    URIs in the message lose their whole userinfo (:func:`redact_uri`); the URI's user and password are also
    hidden where they stand alone (encoded or not), but only as whole tokens: user `u` must not turn
    "Connection refused" into "Connection ref***sed".
    """
    text = redact_uri(text)
    if uri:
        match = _USERINFO.search(uri)
        if match:
            userinfo = match.group("userinfo")[:-1]
            secrets = {userinfo, *userinfo.split(":", 1)}
            secrets |= {unquote_plus(secret) for secret in secrets}
            for secret in sorted(filter(None, secrets), key=len, reverse=True):
                text = re.sub(_whole(secret), "***", text)
    return text


def _whole(secret: str) -> str:
    """`secret` as a whole token: not inside a longer word (a boundary only where the secret has a word end)."""
    left = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
    right = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
    return left + re.escape(secret) + right


def uri_database(uri: str | None) -> str | None:
    """The database a URI's path names (`mongodb://host/mydesk` -> `mydesk`), unless it is an auth database."""
    match = _HOSTS_PATH.match(uri or "")
    name = unquote(match.group("db") or "") if match else ""
    return name if name and name not in AUTH_DATABASES else None


def database_name(settings: Mapping[str, Any], uri: str | None = None) -> str:
    """`NEWSMON_MONGO_DB` when set (env or `-s`), else the URI's database, else `newsmon`."""
    return str(settings.get("NEWSMON_MONGO_DB") or uri_database(uri or settings.get("MONGO_URI")) or DEFAULT_DB)


def destination(uri: str, db_name: str) -> str:
    """Where writes go, without credentials or options: `host:port[,host2]/database`."""
    match = _HOSTS_PATH.match(uri)
    hosts = match.group("hosts") if match else redact_uri(uri)
    return f"{hosts}/{db_name}"


def resolve_uri(settings: Mapping[str, Any]) -> str:
    """`MONGO_URI` when set; otherwise the embedded server, started on first use and then reused."""
    uri = settings.get("MONGO_URI")
    if uri:
        return str(uri)
    from crawler.store.embedded.launcher import ensure_embedded_server

    server = ensure_embedded_server(check_data_dir(settings), port=option(settings, "NEWSMON_EMBEDDED_PORT"))
    return server.uri


def connect(settings: Mapping[str, Any], uri: str | None = None) -> tuple[MongoClient, Database]:
    """A client and the configured database. Lazy: this does not fail while the server is down."""
    uri = uri or resolve_uri(settings)
    timeout = option(settings, "NEWSMON_STORE_TIMEOUT_MS")
    client: MongoClient = MongoClient(
        uri,
        serverSelectionTimeoutMS=timeout,
        connectTimeoutMS=timeout,
        tz_aware=True,
        appname="newsmon",
    )
    name = database_name(settings, uri)
    logger.debug("MongoDB %s, database %s", redact_uri(uri), name)
    return client, client[name]
