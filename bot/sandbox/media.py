"""PRAW's media flow on the sandbox: upload lease, S3-style upload, serving media, websocket.

How PRAW uploads (``praw/models/media.py``): ``POST /api/media/asset.json`` with ``filepath`` and
``mimetype`` returns ``{"args": {"action": "//host/bucket", "fields": [...]}, "asset": {...}}``;
PRAW then POSTs multipart to ``"https:" + action`` (https is hard-coded: see
:mod:`bot.sandbox.praw_site` for the session that brings it back to plain http) and uses
``{upload_url}/{key}`` as the image URL. For ``kind=image`` submissions PRAW waits on the
asset's websocket for ``{"type": "success", "payload": {"redirect": permalink}}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.sandbox import images
from bot.sandbox.calls import Call, HttpError, Reply, json_reply, multipart
from bot.sandbox.hosts import UPLOAD_BUCKET
from bot.sandbox.things import permalink
from bot.sandbox.world import MediaFile, Upload

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

WS_MAGIC = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def media_asset(call: Call) -> Reply:
    """``POST /api/media/asset.json``: an upload lease whose action is the sandbox itself."""
    form = call.form
    filename = re.sub(r"[^A-Za-z0-9._-]+", "_", form.get("filepath", "upload.bin")) or "upload.bin"
    mimetype = form.get("mimetype", "application/octet-stream")
    asset_id = secrets.token_hex(7)
    key = asset_id  # Reddit's lease: the S3 key is the asset id
    with call.world.lock:
        call.world.uploads[key] = Upload(asset_id, key, filename, mimetype)
    netloc = urlsplit(call.base).netloc
    fields = [("x-amz-algorithm", "AWS4-HMAC-SHA256"), ("x-amz-date", "20260101T000000Z"), ("x-amz-storage-class", "STANDARD"),
              ("success_action_status", "201"), ("bucket", UPLOAD_BUCKET.split(".")[0]), ("acl", "private"),
              ("x-amz-signature", "sandbox"), ("x-amz-security-token", "sandbox"), ("key", key),
              ("x-amz-meta-ext", filename.rsplit(".", 1)[-1]), ("policy", "sandbox"), ("x-amz-credential", "sandbox"),
              ("Content-Type", mimetype)]
    return json_reply({
        "args": {"action": f"//{netloc}/{UPLOAD_BUCKET}", "fields": [{"name": n, "value": v} for n, v in fields]},
        "asset": {"asset_id": asset_id, "processing_state": "incomplete", "payload": {"filepath": filename},
                  "websocket_url": f"{call.base.replace('http', 'ws', 1)}/_ws/{asset_id}"},
    })


def s3_upload(call: Call) -> Reply:
    """``POST /{bucket}``: multipart ``key`` + ``file``; S3's XML answers, incl. EntityTooLarge."""
    fields = multipart(call.body, call.headers.get("content-type", ""))
    key = fields.get("key", (None, b""))[1].decode()
    data = fields.get("file", (None, b""))[1]
    world = call.world
    with world.lock:
        upload = world.uploads.get(key)
        if upload is None:
            return Reply(403, b"<Error><Code>AccessDenied</Code><Message>Invalid according to Policy</Message></Error>", "application/xml")
        if len(data) > world.max_upload_bytes:
            xml = (f"<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message>"
                   f"<ProposedSize>{len(data)}</ProposedSize><MaxSizeAllowed>{world.max_upload_bytes}</MaxSizeAllowed></Error>")
            return Reply(400, xml.encode(), "application/xml")
        upload.data = data
    location = f"{call.base}/{UPLOAD_BUCKET}/{key}"
    xml = f"<PostResponse><Location>{location}</Location><Bucket>{UPLOAD_BUCKET}</Bucket><Key>{key}</Key><ETag>\"{hashlib.md5(data).hexdigest()}\"</ETag></PostResponse>"  # noqa: S324
    return Reply(201, xml.encode(), "application/xml")


def serve_media(call: Call) -> Reply:
    """``GET /{media host}/{path}``: stored images (``preview.redd.it`` falls back to ``i.redd.it``)."""
    host, path = call.params["host"], call.params["path"]
    world = call.world
    stored = world.media.get(f"{host}/{path}")
    if stored is None and host in {"preview.redd.it", "external-preview.redd.it"}:
        stored = world.media.get(f"i.redd.it/{path}")
    if stored is None and host == UPLOAD_BUCKET and (upload := world.uploads.get(path)) and upload.data is not None:
        stored = MediaFile(upload.mimetype, upload.data)
    if stored is None:
        raise HttpError(404, "Not Found")
    fault = call.faults.take("GET", call.path, {"image"})
    width = call.query.get("width", "")
    if fault is None and host in {"preview.redd.it", "external-preview.redd.it"} and width.isdigit() and 0 < int(width) < stored.width:
        return Reply(200, images.rendition(stored.data, int(width)), "image/jpeg")  # a listed rendition
    if fault is None:
        return Reply(200, stored.data, stored.content_type)
    if fault.image == "404":
        raise HttpError(404, "Not Found")
    if fault.image == "html":
        return Reply(200, images.HTML_PAGE, "text/html; charset=utf-8")
    if fault.image == "truncated":
        return Reply(200, images.truncated(stored.data), stored.content_type)
    if fault.image == "oversized":
        return Reply(200, images.oversized(stored.data), stored.content_type)
    if fault.image == "huge":
        return Reply(200, images.huge_png(), "image/png")
    raise HttpError(500, f"unknown image fault {fault.image}")


def websocket(call: Call, handler: BaseHTTPRequestHandler) -> None:
    """``GET /_ws/{asset_id}``: upgrade, send one JSON text frame, close (what PRAW waits for)."""
    key = call.headers.get("sec-websocket-key", "")
    world = call.world
    with world.lock:
        upload = next((u for u in world.uploads.values() if u.asset_id == call.params["asset_id"]), None)
        post = world.posts.get(upload.post_id) if upload and upload.post_id else None
    failed = post is None or call.faults.take("GET", call.path, {"ws_failed"}) is not None
    message = {"type": "failed", "payload": {}} if failed else {"type": "success", "payload": {"redirect": f"{call.base}{permalink(post)}"}}
    accept = base64.b64encode(hashlib.sha1((key + WS_MAGIC).encode()).digest()).decode()  # noqa: S324 - the protocol says sha1
    handler.wfile.write(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode())
    payload = json.dumps(message).encode()
    length = bytes([len(payload)]) if len(payload) < 126 else b"\x7e" + len(payload).to_bytes(2, "big")
    handler.wfile.write(b"\x81" + length + payload + b"\x88\x00")
    handler.wfile.flush()
    handler.close_connection = True
