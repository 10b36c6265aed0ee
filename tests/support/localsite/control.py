"""The control API (JSON under /_newsmon/ on 127.0.0.1): the same controls as the Python API, for the CLI.

GET  /_newsmon/articles            published articles, newest first
GET  /_newsmon/articles/<id>       one article (removed ones too)
GET  /_newsmon/requests            the request log
GET  /_newsmon/state               seed, clock, counts, faults, conditional
POST /_newsmon/edit                {"id": ..., "headline": ..., "kicker": ..., "lead": ..., "body": [...]}
POST /_newsmon/add                 {"section": ..., "headline": ..., ...} -> {"id", "path", "url"}
POST /_newsmon/remove              {"id": ..., "gone": true}
POST /_newsmon/move                {"id": ..., "slug": ..., "section": null}
POST /_newsmon/fault               {"path": regex, "kind": ..., "count": null, ...params}
POST /_newsmon/clear-faults
POST /_newsmon/conditional         {"enabled": true}
POST /_newsmon/clear-requests
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.localsite.publisher import Publisher

PREFIX = "/_newsmon/"


def _dates(fields: dict[str, Any]) -> dict[str, Any]:
    for name in ("published", "modified"):
        if isinstance(fields.get(name), str):
            fields[name] = datetime.fromisoformat(fields[name])
    return fields


def _article(site: Publisher, article_id: int) -> dict[str, Any]:
    data = site.article(article_id).to_dict()
    if site.base_url:
        data["url"] = site.base_url + data["path"]
    return data


def handle(site: Publisher, method: str, action: str, data: dict[str, Any]) -> tuple[int, Any]:
    """Run one control action; (HTTP status, JSON payload). Errors come back as {"error": ...}."""
    try:
        return 200, _dispatch(site, "GET" if method == "HEAD" else method, action, dict(data))
    except KeyError as exc:
        return 404, {"error": f"no such article or field: {exc}"}
    except (TypeError, ValueError) as exc:
        return 400, {"error": str(exc)}
    except LookupError as exc:
        return 404, {"error": str(exc)}


def _dispatch(site: Publisher, method: str, action: str, data: dict[str, Any]) -> Any:
    if method == "GET":
        if action == "articles":
            return [_article(site, a.id) for a in site.articles]
        if action.startswith("articles/"):
            return _article(site, int(action.split("/", 1)[1]))
        if action == "requests":
            return [r.to_dict() for r in site.requests]
        if action == "state":
            return {
                "seed": site.seed,
                "now": site.now.isoformat(),
                "base_url": site.base_url,
                "articles": len(site.articles),
                "seed_article_id": site.seed_article_id,
                "conditional": site.conditional,
                "faults": [f.to_dict() for f in site.faults],
                "intern_path": site.intern_path,
            }
        raise LookupError(f"unknown GET {PREFIX}{action}")
    if action == "edit":
        article_id = int(data.pop("id"))
        site.edit_article(article_id, **_dates(data))
        return _article(site, article_id)
    if action == "add":
        article_id = site.add_article(**_dates(data))
        return _article(site, article_id)
    if action == "remove":
        article_id = int(data["id"])
        site.remove_article(article_id, gone=bool(data.get("gone", True)))
        return _article(site, article_id)
    if action == "move":
        moved = site.move_article(int(data["id"]), str(data["slug"]), data.get("section"))
        return _article(site, moved.id)
    if action == "fault":
        path, kind, count = data.pop("path"), data.pop("kind"), data.pop("count", None)
        return site.set_fault(path, kind, count=None if count is None else int(count), **data).to_dict()
    if action == "clear-faults":
        site.clear_faults()
        return {"faults": []}
    if action == "conditional":
        site.conditional = bool(data.get("enabled", True))
        return {"conditional": site.conditional}
    if action == "clear-requests":
        site.clear_requests()
        return {"requests": 0}
    raise LookupError(f"unknown POST {PREFIX}{action}")
