"""Photos and documents: checked by what they contain, kept in the owning service's GridFS.

An image is accepted only if Pillow decodes it as JPEG, PNG or WebP; a document only
if it starts as a PDF does. A file's name and declared type are never trusted. Each
service that owns attachments keeps them in its own database: reporting the photos
of reports (ids ``P…``), cases those of resolutions, checks and comments (``F…``).
"""

import base64
import io
import re
import warnings
from datetime import datetime

import gridfs
from PIL import Image, UnidentifiedImageError
from pymongo import ASCENDING, IndexModel

from shared.errors import FileTooLarge, NotFound, UnsupportedFile, ValidationFailed
from shared.ids import new_id

# GridFS's collections with the indexes it makes on its first write, declared by the stores that keep files so the
# launcher creates them before any service starts: on the embedded store a collection created while another
# connection holds a transaction open can deadlock the server (docs/architecture.md).
ATTACHMENT_INDEXES = {
    "attachments.files": [IndexModel([("filename", ASCENDING), ("uploadDate", ASCENDING)])],
    "attachments.chunks": [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)],
}
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"
ALLOWED = (*IMAGE_TYPES.values(), PDF)
_UNSAFE_NAME = re.compile(r"[^\w.\- ()\u4e00-\u9fff]")


def sniff(data: bytes) -> str:
    """The real type of ``data``; ``UnsupportedFile`` unless it is a JPEG, PNG, WebP or PDF."""
    if data.startswith(b"%PDF-"):
        return PDF
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        kind = None
    if kind not in IMAGE_TYPES:
        raise UnsupportedFile.of("file.unsupported", {"allowed": list(ALLOWED)})
    return IMAGE_TYPES[kind]


def clean_filename(name: str | None) -> str:
    name = (name or "attachment").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("_", name)[:120] or "attachment"


def decode_upload(content_b64: str, max_bytes: int) -> bytes:
    if not isinstance(content_b64, str) or len(content_b64) > (max_bytes * 4) // 3 + 8:
        raise FileTooLarge.of("file.too_large", {"max_bytes": max_bytes}, max_mb=max_bytes // (1024 * 1024))
    try:
        data = base64.b64decode(content_b64, validate=True)
    except ValueError:
        raise ValidationFailed.from_messages({"file": ["Not base64."]}) from None
    if len(data) > max_bytes:
        raise FileTooLarge.of("file.too_large", {"max_bytes": max_bytes}, max_mb=max_bytes // (1024 * 1024))
    if not data:
        raise ValidationFailed.from_messages({"file": ["The file is empty."]})
    return data


class AttachmentStore:
    """GridFS in one service's database, with the metadata that decides who may read a file."""

    def __init__(self, db, prefix: str):
        self._db = db
        self._fs = None
        self.files = db["attachments.files"]
        self.prefix = prefix  # tells, from an id alone, which service keeps the file

    @property
    def fs(self) -> gridfs.GridFS:
        # made when a file is stored or read, not for every worker of the service (most handle no file)
        if self._fs is None:
            self._fs = gridfs.GridFS(self._db, collection="attachments")
        return self._fs

    def put(self, data: bytes, *, filename: str, content_type: str, uploaded_by: str, now: datetime, **binding) -> dict:
        attachment_id = new_id(self.prefix)
        metadata = {"content_type": content_type, "uploaded_by": uploaded_by, "uploaded_at": now, **binding}
        self.fs.put(data, _id=attachment_id, filename=clean_filename(filename), metadata=metadata)
        return {
            "attachment_id": attachment_id,
            "content_type": content_type,
            "size": len(data),
            "filename": clean_filename(filename),
        }

    def meta(self, attachment_id: str) -> dict:
        doc = self.files.find_one({"_id": attachment_id})
        if doc is None:
            raise NotFound.of("attachment.not_found", attachment_id=attachment_id)
        return {"attachment_id": doc["_id"], "filename": doc["filename"], "size": doc["length"], **doc["metadata"]}

    def metas(self, ids: list[str]) -> list[dict]:
        if not ids:
            return []  # most reports and actions carry no file: no read for them
        docs = {d["_id"]: d for d in self.files.find({"_id": {"$in": list(ids)}})}
        return [
            {"attachment_id": i, "filename": docs[i]["filename"], "size": docs[i]["length"], **docs[i]["metadata"]}
            for i in ids
            if i in docs
        ]

    def read(self, attachment_id: str) -> bytes:
        try:
            return self.fs.get(attachment_id).read()
        except gridfs.NoFile:
            raise NotFound.of("attachment.not_found", attachment_id=attachment_id) from None

    def bind(self, ids: list[str], **binding) -> None:
        self.files.update_many({"_id": {"$in": list(ids)}}, {"$set": {f"metadata.{k}": v for k, v in binding.items()}})


def as_download(meta: dict, data: bytes) -> dict:
    """The RPC answer for a download: the gateway turns it into a response."""
    return {
        "content_type": meta["content_type"],
        "filename": meta["filename"],
        "content": base64.b64encode(data).decode("ascii"),
    }
