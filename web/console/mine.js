// The clues this team registered from this device, per token subject and hunt: the server's
// clue list does not say who registered a clue, so "My clues" remembers them here.

function key(who, slug) {
  return `geohunt.console.mine.${who.sub}.${slug}`;
}

export function myClueIds(who, slug) {
  try {
    const ids = JSON.parse(localStorage.getItem(key(who, slug)));
    return Array.isArray(ids) ? ids.filter(Number.isInteger) : [];
  } catch {
    return [];
  }
}

export function addMine(who, slug, id) {
  const ids = myClueIds(who, slug).filter((x) => x !== id);
  ids.unshift(id);
  localStorage.setItem(key(who, slug), JSON.stringify(ids.slice(0, 500)));
}
