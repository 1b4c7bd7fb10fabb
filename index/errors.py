"""Domain errors with messages a user can act on (each says which command fixes it)."""


class JauapError(Exception):
    """Base class: the message is safe to show to a user."""


class IndexMissingError(JauapError):
    def __init__(self, path: object) -> None:
        super().__init__(f"No index at {path}. Build it with: python -m index build --out {path}")


class IndexCorruptError(JauapError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(
            f"The index at {path} is unreadable ({reason}). Rebuild it with: python -m index build --out {path}"
        )


class IndexMismatchError(JauapError):
    def __init__(self, path: object, built_with: str, configured: str) -> None:
        super().__init__(
            f"The index at {path} was built with embedder {built_with!r}, but {configured!r} is configured. "
            f"Rebuild it with: python -m index build --out {path} (or set JAUAP_EMBEDDER={built_with})"
        )


class IndexOutdatedError(JauapError):
    def __init__(self, path: object) -> None:
        super().__init__(
            f"The index at {path} was built by another version of the chunker or analyser. "
            f"Rebuild it with: python -m index build --out {path}"
        )


class BadQuestionError(JauapError, ValueError):
    """The question cannot be searched (empty, too long, not text)."""


class UnknownDocumentError(JauapError, KeyError):
    def __init__(self, doc: str) -> None:
        super().__init__(f"Unknown document: {doc!r}")
        self.doc = doc

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
