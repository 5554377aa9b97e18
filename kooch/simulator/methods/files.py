"""Files: turning a sendPhoto/sendDocument argument (upload, file_id or URL) into a stored
file, and getFile, whose ``file_path`` the simulator's download route serves.
"""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..media import extension_for, filename_from_url, guess_mime, image_size
from ..models import JSONDict, SimFile
from ..params import Upload
from .base import ApiBase


class FileMethods(ApiBase):
    """getFile, plus the input-file handling the media-sending methods use."""

    def _input_file(self, params: JSONDict, name: str, kind: str) -> SimFile:
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if value is None or value == "":
            raise bad_request(f"there is no {name} in the request")
        if isinstance(value, Upload):
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = guess_mime(value.filename, mime or "application/octet-stream")
            if kind == "photo":
                mime = mime if mime.startswith("image/") else "image/jpeg"
            return self._new_file(kind, value.filename, mime, value.data, url=None)
        if not isinstance(value, str):
            raise bad_request("wrong file identifier/HTTP URL specified")
        if value.startswith(("http://", "https://")):
            filename = filename_from_url(value)
            return self._new_file(kind, filename, guess_mime(filename), b"", url=value)
        known = self._files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known

    def _new_file(
        self, kind: str, filename: str | None, mime: str, data: bytes, *, url: str | None
    ) -> SimFile:
        number = self._next_file_no
        self._next_file_no += 1
        is_photo = kind == "photo"
        folder = "photos" if is_photo else "documents"
        ext = extension_for(filename, mime)
        width, height = image_size(data) if is_photo else (0, 0)
        sim_file = SimFile(
            file_id=f"{'AgAC' if is_photo else 'BQAC'}AgSim{number:06d}{self.bot.id:x}",
            file_unique_id=f"AQADSim{number:06d}",
            kind="photo" if is_photo else "document",
            filename=None if is_photo else filename,
            mime_type=None if is_photo else mime,
            data=data,
            file_path=f"{folder}/file_{number}{ext}",
            url=url,
            width=width,
            height=height,
        )
        self._files[sim_file.file_id] = sim_file
        self._files_by_path[sim_file.file_path] = sim_file
        return sim_file

    def api_get_file(self, params: JSONDict) -> Any:
        """getFile: the File object whose path the download route serves."""
        file_id = params.get("file_id")
        found = self._files.get(str(file_id)) if file_id else None
        if found is None:
            raise bad_request("invalid file_id")
        return found.file_dict()
