// Downloads: the deck rendered by the server as an editable PPTX or a PDF, fetched so that
// a failure is shown in words (not saved as a file), then saved under the server's name.

import { api } from "../api.js";

function fileName(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const encoded = /filename\*=utf-8''([^;]+)/i.exec(header);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]);
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : fallback;
}

/** Fetch and save the deck; throws ApiError with the server's detail on failure. */
export async function downloadDeck(id, format) {
  const response = await api.download(id, format);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName(response, `presentation.${format}`);
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return link.download;
}
