// Passkeys (WebAuthn): "Add a passkey" keeps a walletless account; "Sign in with a passkey"
// brings it back on another phone. Filled in by the passkey work; until then nothing is shown.
export function passkeyControls() {
  return null;
}
