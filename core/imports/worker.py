"""Import rows mapped and validated in a second process while this one writes the batch before.

Why: an import is one thread of Python work per row — map the cells, clean and check 17 fields,
normalise phone, email and company (~25% of a row's CPU), then dedupe, score, assign and insert.
The first part is pure, so on a machine with two cores a child process does it for batch n + 1
while the capture path writes batch n: ~4,000 → ~5,000 rows/s for a 100k-row file.

The child is `python -m core.imports.worker`, talking length-prefixed pickles over its stdin and
stdout (not `multiprocessing`: its spawn re-imports the app's `run.py`, which would start a second
server). One request is ever in flight; the child exits when its stdin closes, so a killed app
leaves no worker behind. Anything going wrong with the child (it cannot start, it died) turns the
validator off and rows are validated in-process as before — the outcome is the same either way.
"""

from __future__ import annotations

import logging
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from core.capture.clean import CleanLead, validate
from core.custom_fields.values import NO_FIELDS, CustomFields, Definition
from core.errors import ValidationFailed
from core.imports.mapping import row_data
from core.tags.catalog import NO_TAGS, TagInfo, TagSet

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
_HEADER = struct.Struct('>I')
Prepared = list[CleanLead | ValidationFailed]


def prepare(rows: Sequence[Sequence[str]], mapping: Sequence[str | None], default_source: str,
            region: str, custom: CustomFields = NO_FIELDS, *,
            tags: TagSet = NO_TAGS) -> list[tuple[bool, dict[str, Any]]]:
    """Each row's mapped and validated fields (True, CleanLead's fields) or its field errors (False, errors):
    plain dicts, so nothing but builtins crosses the pipe (and the custom field definitions, frozen
    dataclasses, the other way)."""
    out: list[tuple[bool, dict[str, Any]]] = []
    for cells in rows:
        try:
            clean = validate(row_data(cells, mapping, custom)[0], default_source=default_source, region=region,
                             custom_fields=custom, tags=tags)
        except ValidationFailed as e:
            out.append((False, e.errors))
            continue
        out.append((True, {name: getattr(clean, name) for name in CleanLead.__slots__}))
    return out


def restore(prepared: list[tuple[bool, dict[str, Any]]]) -> Prepared:
    return [CleanLead(**fields) if ok else ValidationFailed(fields) for ok, fields in prepared]


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError('the import worker closed its pipe')
    (size,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(size))


class Validator:
    """The parent's side: `submit` a batch's rows, run the batch before, then `take` them validated
    (None: validate in-process — the worker is off or failed)."""

    def __init__(self, *, enabled: bool, mapping: Sequence[str | None], default_source: str, region: str,
                 custom: Sequence[Definition] = (), tags: Sequence[TagInfo] = ()) -> None:
        self._options = (list(mapping), default_source, region, tuple(custom), tuple(tags))
        self._child: subprocess.Popen[bytes] | None = None
        self._waiting = False
        self._writer: threading.Thread | None = None
        self._sent = True
        if enabled:
            try:
                self._child = subprocess.Popen([sys.executable, '-m', 'core.imports.worker'], cwd=ROOT,
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            except OSError:
                log.warning('import worker could not start; validating in this process', exc_info=True)

    def __enter__(self) -> Validator:
        return self

    def __exit__(self, _type: type[BaseException] | None, _value: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.close()

    def submit(self, rows: Sequence[Sequence[str]]) -> bool:
        """Hand a batch's cells to the worker; False when it is off (the caller validates)."""
        if self._child is None or self._waiting:
            return False
        assert self._child.stdin is not None
        # written by a thread: a batch is ~200 KB and a pipe holds 64 KB, so the write waits for the
        # child to read — at the start for the whole ~1 s the child takes to import its modules
        self._writer = threading.Thread(target=self._write, args=(self._child.stdin, (list(rows), *self._options)),
                                        name='import-worker-send', daemon=True)
        self._writer.start()
        self._waiting = True
        return True

    def _write(self, stream: IO[bytes], request: Any) -> None:
        try:
            _send(stream, request)
        except (OSError, ValueError):
            self._sent = False

    def take(self) -> Prepared | None:
        """The submitted batch, validated (None: nothing submitted, or the worker failed)."""
        if self._child is None or not self._waiting:
            return None
        self._waiting = False
        if self._writer is not None:
            self._writer.join()
        if not self._sent:
            self._fail()
            return None
        try:
            assert self._child.stdout is not None
            return restore(_receive(self._child.stdout))
        except (OSError, EOFError, pickle.UnpicklingError):
            self._fail()
            return None

    def _fail(self) -> None:
        log.warning('import worker failed; validating in this process', exc_info=True)
        self.close()

    def close(self) -> None:
        child, self._child, self._waiting = self._child, None, False
        if child is None:
            return
        if self._writer is not None and self._writer.is_alive():
            child.kill()  # a write still blocked on a child that stopped reading
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _serve() -> None:
    """The child: answer requests until the parent closes the pipe."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    fields: tuple[tuple[Definition, ...], CustomFields] = ((), NO_FIELDS)
    tags: tuple[tuple[TagInfo, ...], TagSet] = ((), NO_TAGS)
    while True:
        try:
            rows, mapping, default_source, region, definitions, tag_infos = _receive(requests)
        except EOFError:
            return
        if definitions != fields[0]:  # the same every batch of a run: built once
            fields = (definitions, CustomFields(definitions))
        if tag_infos != tags[0]:
            tags = (tag_infos, TagSet(tag_infos))
        _send(replies, prepare(rows, mapping, default_source, region, fields[1], tags=tags[1]))


if __name__ == '__main__':
    _serve()
