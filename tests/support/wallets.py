"""A browser wallet as an extension injects one, for the fan app's tests: an EIP-1193 provider
that announces itself by EIP-6963 and hands every request to the test, which answers it with a
real key (`personal_sign` for Sign-In with Ethereum, `eth_signTypedData_v4` for a swap's offer),
or declines the next signature as a fan would."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data

ANVIL_CHAIN_ID = 31337
USER_REJECTED = 4001  # EIP-1193

# One wallet, announced at once and whenever the page asks; every request goes to the test's
# `geohuntWallet(method, params)`, whose answer is {result} or {error: {code, message}}.
PROVIDER = """
(() => {
  const icon = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'"
    + "%3E%3Crect width='32' height='32' rx='8' fill='%237cf0d8'/%3E%3C/svg%3E";
  const detail = Object.freeze({
    info: Object.freeze({ uuid: "9d4f3c2b-1a0e-4f6d-8c7b-5a4e3d2c1b0a", name: "Test Wallet", icon,
      rdns: "test.geohunt.wallet" }),
    provider: {
      async request({ method, params }) {
        const answer = await window.geohuntWallet(method, params ?? []);
        if (answer.error) {
          throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
        }
        return answer.result;
      },
      on() {},
      removeListener() {},
    },
  });
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


@dataclasses.dataclass
class InjectedWallet:
    """The wallet's side: a real key, what it was asked and the typed data it signed."""

    account: Any
    decline_next_signature: bool = False
    asked: list[str] = dataclasses.field(default_factory=list)
    typed: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    signed: list[str] = dataclasses.field(default_factory=list)  # the texts of personal_sign

    @property
    def address(self) -> str:
        return str(self.account.address).lower()

    async def request(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.asked.append(method)
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.address]}  # as wallets do: lower case
        if method == "eth_chainId":
            return {"result": hex(ANVIL_CHAIN_ID)}
        if method in ("personal_sign", "eth_signTypedData_v4"):
            if self.decline_next_signature:
                self.decline_next_signature = False
                return {"error": {"code": USER_REJECTED, "message": "User rejected the request."}}
        if method == "personal_sign":
            data, address = params
            assert address.lower() == self.address
            text = bytes.fromhex(data.removeprefix("0x")).decode()
            self.signed.append(text)
            return {
                "result": _hex(Account.sign_message(encode_defunct(text=text), self.account.key))
            }
        if method == "eth_signTypedData_v4":
            address, document = params
            assert address.lower() == self.address
            typed = json.loads(document)
            self.typed.append(typed)
            message = encode_typed_data(full_message=typed)
            return {"result": _hex(Account.sign_message(message, self.account.key))}
        return {"error": {"code": 4200, "message": f"{method} is not supported"}}


def _hex(signed: Any) -> str:
    return "0x" + bytes(signed.signature).hex()


async def inject_wallet(context: Any, wallet: InjectedWallet) -> None:
    """Every page of this browser context gets the wallet, before its own scripts run."""
    await context.expose_function("geohuntWallet", wallet.request)
    await context.add_init_script(PROVIDER)
