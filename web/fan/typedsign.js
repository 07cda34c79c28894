// Signing a swap's EIP-712 offer (eth_signTypedData_v4) in the wallet linked to the fan's account.
// The browser's wallets are found as "Connect wallet" finds them (EIP-6963); the one that already
// shares the linked address is used without a prompt (eth_accounts), else the only wallet, else
// the fan picks one. A wallet on another chain is asked to switch first, as wallets refuse to
// sign a document whose domain names a chain they are not on.
import { discover } from "./wallet.js";

const REJECTED = 4001; // EIP-1193: the user rejected the request
const PENDING = -32002; // the wallet already shows a request of this page
const UNKNOWN_CHAIN = 4902; // wallet_switchEthereumChain: the wallet does not know the chain

/** Why a wallet could not sign, with what the page says about it (`kind`, the wallet's name). */
export class SignFailure extends Error {
  constructor(kind, name, detail = "") {
    super(detail || kind);
    this.kind = kind; // none | declined | pending | other_account | chain | wallet
    this.name = name || "your wallet";
    this.detail = detail;
  }
}

const lower = (value) => String(value).toLowerCase();

// A uint256 past 2^53 (a moment's token id) reaches the wallet as decimal digits, as wallets
// take them: a BigInt has no JSON form, and a JSON number that long is rounded by the wallet.
const uintAsDecimal = (key, value) => (typeof value === "bigint" ? value.toString() : value);

async function shares(provider, address, method) {
  const accounts = await provider.request({ method });
  return Array.isArray(accounts) && accounts.map(lower).includes(address);
}

/** The wallet holding `address`: asked without a prompt first; `choose(wallets)` picks among
 * several when none says so (it resolves to one of them, or null when the fan cancels). */
async function walletFor(address, choose) {
  const wallets = await discover();
  if (!wallets.length) throw new SignFailure("none");
  for (const wallet of wallets) {
    try {
      if (await shares(wallet.provider, address, "eth_accounts")) return wallet;
    } catch {
      // A wallet that will not say without a prompt: asked below, if it is the one.
    }
  }
  const wallet = wallets.length === 1 ? wallets[0] : await choose(wallets);
  if (!wallet) throw new SignFailure("declined", "the wallet");
  return wallet;
}

function failure(error, name) {
  if (error instanceof SignFailure) return error;
  if (error?.code === REJECTED) return new SignFailure("declined", name);
  if (error?.code === PENDING) return new SignFailure("pending", name);
  return new SignFailure("wallet", name, error?.message || String(error));
}

/** The signature of `typedData` by `address` (0x-hex), asked of the fan's wallet; `step(text)`
 * says what the fan should do in the wallet meanwhile. Throws SignFailure. */
export async function signTypedData(typedData, address, { step, choose }) {
  const wanted = lower(address);
  const wallet = await walletFor(wanted, choose);
  const name = wallet.info?.name || "your wallet";
  const { provider } = wallet;
  try {
    step(`Open ${name} and approve sharing the account ${wanted.slice(0, 6)}…${wanted.slice(-4)}.`);
    if (!(await shares(provider, wanted, "eth_requestAccounts"))) throw new SignFailure("other_account", name);
    const chainId = Number(typedData.domain.chainId);
    let current = null;
    try {
      current = parseInt(await provider.request({ method: "eth_chainId" }), 16);
    } catch {
      // A wallet that does not say which chain it is on signs for the document's own.
    }
    if (current && current !== chainId) {
      step(`Switch ${name} to the hunt's chain (chain id ${chainId}).`);
      try {
        await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: `0x${chainId.toString(16)}` }] });
      } catch (error) {
        if (error?.code === REJECTED || error?.code === UNKNOWN_CHAIN || error?.code === 4200) throw new SignFailure("chain", name, String(chainId));
        throw error;
      }
    }
    step(`Sign the swap in ${name}: it names both tokens and costs you nothing (geohunt pays the fee).`);
    const signature = await provider.request({ method: "eth_signTypedData_v4", params: [wanted, JSON.stringify(typedData, uintAsDecimal)] });
    if (typeof signature !== "string" || !/^0x([0-9a-f]{2})+$/i.test(signature)) {
      throw new SignFailure("wallet", name, "it answered with something that is not a signature");
    }
    return signature;
  } catch (error) {
    throw failure(error, name);
  }
}
