"""The catalogue: every Whisper model the engine can run, as data.

Repository ids are the ones faster-whisper itself downloads from (`faster_whisper.utils._MODELS`),
so a model pulled here is the same CTranslate2 conversion a faster-whisper user gets. Sizes are
the download (model.bin plus the small files), rounded, so the picker and the disk-space check
can speak before any network call; the exact bytes come from the hub's metadata at pull time.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000


@dataclass(frozen=True)
class CatalogEntry:
    name: str  # the faster-whisper size: "small.en", "large-v3-turbo"
    repo_id: str  # where the CTranslate2 files are on the Hub
    download_mb: int
    parameters: str
    licence: str
    note: str = ""

    @property
    def english_only(self) -> bool:
        return self.name.endswith(".en")

    @property
    def languages(self) -> str:
        return "English only" if self.english_only else "99 languages, auto-detect"

    @property
    def model_id(self) -> str:
        """The id clients send at the handshake (Together's naming)."""
        return f"openai/whisper-{self.name}"

    @property
    def download_bytes(self) -> int:
        return self.download_mb * MB


_S = "Systran/faster-whisper-"
_D = "Systran/faster-distil-whisper-"

CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry("tiny.en", _S + "tiny.en", 75, "39 M", "MIT", "bundled, works offline"),
    CatalogEntry("tiny", _S + "tiny", 75, "39 M", "MIT"),
    CatalogEntry("base.en", _S + "base.en", 145, "74 M", "MIT"),
    CatalogEntry("base", _S + "base", 145, "74 M", "MIT"),
    CatalogEntry("small.en", _S + "small.en", 484, "244 M", "MIT"),
    CatalogEntry("small", _S + "small", 484, "244 M", "MIT"),
    CatalogEntry("distil-small.en", _D + "small.en", 336, "166 M", "MIT"),
    CatalogEntry("medium.en", _S + "medium.en", 1530, "769 M", "MIT"),
    CatalogEntry("medium", _S + "medium", 1530, "769 M", "MIT"),
    CatalogEntry("distil-medium.en", _D + "medium.en", 789, "394 M", "MIT"),
    CatalogEntry("large-v2", _S + "large-v2", 3090, "1550 M", "MIT"),
    CatalogEntry("large-v3", _S + "large-v3", 3090, "1550 M", "MIT"),
    CatalogEntry(
        "large-v3-turbo",
        "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
        1620,
        "809 M",
        "MIT",
        "large-v3 accuracy at several times its speed",
    ),
    CatalogEntry("distil-large-v3", _D + "large-v3", 1510, "756 M", "MIT", "English output"),
)

BUNDLED = "tiny.en"

# What multilingual Whisper models can be told to transcribe (faster-whisper's own codes).
WHISPER_LANGUAGES = (
    "af",
    "am",
    "ar",
    "as",
    "az",
    "ba",
    "be",
    "bg",
    "bn",
    "bo",
    "br",
    "bs",
    "ca",
    "cs",
    "cy",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "eu",
    "fa",
    "fi",
    "fo",
    "fr",
    "gl",
    "gu",
    "ha",
    "haw",
    "he",
    "hi",
    "hr",
    "ht",
    "hu",
    "hy",
    "id",
    "is",
    "it",
    "ja",
    "jw",
    "ka",
    "kk",
    "km",
    "kn",
    "ko",
    "la",
    "lb",
    "ln",
    "lo",
    "lt",
    "lv",
    "mg",
    "mi",
    "mk",
    "ml",
    "mn",
    "mr",
    "ms",
    "mt",
    "my",
    "ne",
    "nl",
    "nn",
    "no",
    "oc",
    "pa",
    "pl",
    "ps",
    "pt",
    "ro",
    "ru",
    "sa",
    "sd",
    "si",
    "sk",
    "sl",
    "sn",
    "so",
    "sq",
    "sr",
    "su",
    "sv",
    "sw",
    "ta",
    "te",
    "tg",
    "th",
    "tk",
    "tl",
    "tr",
    "tt",
    "uk",
    "ur",
    "uz",
    "vi",
    "yi",
    "yo",
    "zh",
    "yue",
)


# The files faster-whisper needs from a repository (its own allow-list): nothing else is fetched.
ALLOW_PATTERNS = (
    "config.json",
    "preprocessor_config.json",
    "model.bin",
    "tokenizer.json",
    "vocabulary.*",
)


def name_of(model: str) -> str:
    """`openai/whisper-small.en`, `whisper-small.en`, `small.en` -> `small.en`; other text as is."""
    name = model.strip()
    for prefix in ("openai/whisper-", "whisper-"):
        if name.lower().startswith(prefix):
            return name[len(prefix) :]
    return name


def find(model: str) -> CatalogEntry | None:
    """The catalogue entry for a name or model id, or None."""
    name = name_of(model)
    return next((e for e in CATALOG if e.name == name or e.repo_id == model.strip()), None)


def names() -> list[str]:
    return [e.name for e in CATALOG]
