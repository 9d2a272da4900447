// Small formatting helpers for times, dates and counts.

export function elapsed(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

export function date(iso) {
  const value = new Date(iso);
  if (Number.isNaN(value.getTime())) return "";
  return value.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A slide's title for labels: its content's title or heading, else "". */
export function slideTitle(slide) {
  const content = slide?.content;
  if (!content || typeof content !== "object") return "";
  for (const key of ["title", "heading", "quote", "message"]) {
    if (typeof content[key] === "string" && content[key].trim()) return content[key].trim().slice(0, 90);
  }
  return "";
}
