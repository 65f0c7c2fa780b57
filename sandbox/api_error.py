"""The one error type the emulator answers with: HTTP status + DataWorks-style ``Code``."""

from __future__ import annotations


class ApiError(Exception):
    """An OpenAPI error reply: ``{"Code", "Message", "RequestId"}`` with ``status``.

    ``headers`` are extra reply headers (e.g. ``x-acs-retry-after`` on throttling).
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, request_id: str) -> dict:
        return {"Code": self.code, "Message": self.message, "RequestId": request_id}


def missing(name: str) -> ApiError:
    return ApiError(400, "MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid(name: str, value: object, why: str) -> ApiError:
    return ApiError(400, "InvalidParameter", f'The parameter "{name}" is invalid ({value!r}): {why}.')
