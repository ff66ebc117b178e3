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
from datetime import UTC, datetime

import gridfs
from bson import Binary, Int64, ObjectId
from PIL import Image, UnidentifiedImageError
from pymongo import ASCENDING, IndexModel

from shared.errors import FileTooLarge, NotFound, UnsupportedFile, ValidationFailed
from shared.ids import new_id

BUCKET = "attachments"  # the GridFS bucket: its files and chunks collections
FILES, CHUNKS = f"{BUCKET}.files", f"{BUCKET}.chunks"

# GridFS's collections with the indexes it makes on its first write, declared by the stores that keep files so the
# launcher creates them before any service starts: on the embedded store a collection created while another
# connection holds a transaction open can deadlock the server (docs/architecture.md).
ATTACHMENT_INDEXES = {
    FILES: [IndexModel([("filename", ASCENDING), ("uploadDate", ASCENDING)])],
    CHUNKS: [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)],
}
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"
ALLOWED = (*IMAGE_TYPES.values(), PDF)
_UNSAFE_NAME = re.compile(r"[^\w.\- ()\u4e00-\u9fff]")
CHUNK_BYTES = gridfs.DEFAULT_CHUNK_SIZE  # GridFS's own (255 KiB): a photo of a few MB is a handful of chunks


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
        self.files, self.chunks = db[FILES], db[CHUNKS]
        self.prefix = prefix  # tells, from an id alone, which service keeps the file

    @property
    def fs(self) -> gridfs.GridFS:
        # made when a file is stored or read, not for every worker of the service (most handle no file)
        if self._fs is None:
            self._fs = gridfs.GridFS(self._db, collection=BUCKET)
        return self._fs

    def put(self, data: bytes, *, filename: str, content_type: str, uploaded_by: str, now: datetime, **binding) -> dict:
        """Store ``data`` as a GridFS file (any GridFS reader reads it), in two writes: its chunks, then its files
        document, which makes it visible. Not through ``GridFS.put``: before every file it asks each collection for
        a document (``find_one()`` with no filter) to decide whether to create its indexes, which the deploy step
        has made (``ATTACHMENT_INDEXES``), and on the embedded store an unfiltered read decodes the whole collection:
        every stored photo's bytes, on every upload."""
        attachment_id = new_id(self.prefix)
        metadata = {"content_type": content_type, "uploaded_by": uploaded_by, "uploaded_at": now, **binding}
        name = clean_filename(filename)
        chunks = [
            {"_id": ObjectId(), "files_id": attachment_id, "n": n, "data": Binary(data[start : start + CHUNK_BYTES])}
            for n, start in enumerate(range(0, len(data), CHUNK_BYTES))
        ]
        if chunks:
            self.chunks.insert_many(chunks, ordered=True)
        self.files.insert_one(
            {
                "_id": attachment_id,
                "filename": name,
                "metadata": metadata,
                "chunkSize": CHUNK_BYTES,
                "length": Int64(len(data)),
                "uploadDate": datetime.now(UTC),  # when it was stored, as GridFS has it: not the platform's clock
            }
        )
        return {"attachment_id": attachment_id, "content_type": content_type, "size": len(data), "filename": name}

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
