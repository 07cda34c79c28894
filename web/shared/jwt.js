// What a token says of itself, for display only: the server checks every call.

/** The claims of a JWT's payload ({role, sub, hunt?, exp, ...}), or null if it is not one. */
export function claimsOf(token) {
  try {
    const part = String(token).split(".")[1];
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** True when the token's `exp` has passed (or is within `marginS` seconds). */
export function expired(claims, marginS = 30) {
  return !claims || (typeof claims.exp === "number" && claims.exp * 1000 < Date.now() + marginS * 1000);
}
