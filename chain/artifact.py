"""The compiled collectible contract, as `node chain/compile.mjs` wrote it (committed, so a
Python-only install can deploy and call it without node)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector

ARTIFACT_PATH = Path(__file__).with_name("artifacts") / "GeohuntCollectible.json"


class ArtifactMissing(RuntimeError):
    """The compiled contract is missing or unreadable."""


@dataclass(frozen=True)
class DecodedError:
    """A custom Solidity error from revert data, e.g. `ERC721InvalidSender(0x0...)`."""

    name: str
    args: tuple[Any, ...]

    def __str__(self) -> str:
        shown = (f"0x{arg.hex()}" if isinstance(arg, bytes) else repr(arg) for arg in self.args)
        return f"{self.name}({', '.join(shown)})"


@dataclass(frozen=True)
class ContractArtifact:
    abi: list[dict[str, Any]]
    bytecode: str

    def decode_error(self, data: str | bytes | None) -> DecodedError | None:
        """Names the custom error in revert `data` (web3 gives it undecoded), or None when the
        data is no error of this contract's ABI."""
        try:
            raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else data
        except ValueError:
            return None
        if not raw or len(raw) < 4:
            return None
        known = self._errors_by_selector
        if raw[:4] not in known:
            return None
        name, types = known[raw[:4]]
        try:
            return DecodedError(name, tuple(abi_decode(types, raw[4:])))
        except Exception:  # malformed data after a known selector: name it without arguments
            return DecodedError(name, ())

    @functools.cached_property
    def _errors_by_selector(self) -> dict[bytes, tuple[str, list[str]]]:
        known: dict[bytes, tuple[str, list[str]]] = {}
        for item in self.abi:
            if item.get("type") == "error":
                types = [arg["type"] for arg in item["inputs"]]
                selector = function_signature_to_4byte_selector(
                    f"{item['name']}({','.join(types)})"
                )
                known[selector] = (item["name"], types)
        return known


@functools.cache
def load_artifact() -> ContractArtifact:
    try:
        data = json.loads(ARTIFACT_PATH.read_text(encoding="utf-8"))
        return ContractArtifact(abi=data["abi"], bytecode=data["bytecode"])
    except (OSError, ValueError, KeyError) as exc:
        raise ArtifactMissing(
            f"cannot load the contract artifact {ARTIFACT_PATH}: {exc}; "
            "run `npm ci && npm run compile` to rebuild it"
        ) from exc
