// The API key the app sends as `Authorization: Bearer <key>`. Kept in sessionStorage (gone
// when the tab closes), or in localStorage when the person asked to be remembered on this
// device. It only ever travels in that header, never in a URL.

const NAME = "slidestream:api-key";
let fallback = ""; // when the browser refuses storage (some private modes)

function storages() {
  try {
    return [sessionStorage, localStorage];
  } catch {
    return [];
  }
}

/** The stored key, or "". */
export function storedKey() {
  for (const storage of storages()) {
    try {
      const key = storage.getItem(NAME);
      if (key) return key;
    } catch {
      // unreadable storage: try the next one
    }
  }
  return fallback;
}

/** Keep `key`: for this tab, or (`remember`) on this device until signing out. */
export function storeKey(key, { remember = false } = {}) {
  forgetKey();
  const [session, local] = storages();
  try {
    (remember ? local : session).setItem(NAME, key);
  } catch {
    fallback = key;
  }
}

/** Forget the key everywhere it may be kept. */
export function forgetKey() {
  fallback = "";
  for (const storage of storages()) {
    try {
      storage.removeItem(NAME);
    } catch {
      // nothing to forget
    }
  }
}
