// "Connect wallet": EIP-6963 discovery, then Sign-In with Ethereum. Filled in by the wallet work.
export function walletControls() {
  return null;
}
